"""Reads for match runs: the review board, in a bounded number of queries whatever the run's size.

Why each pair was matched comes from :func:`twofold.programmes.why_matched.match_reasons`, the
function the pair's own page uses, with the weights the run scored the pairs with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q

from twofold.matchruns.models import MatchRun, Proposal, Unmatched
from twofold.privacy import large_enough, min_group_size
from twofold.programmes.why_matched import MatchReason, match_reasons

UNMATCHED_LABELS = {
    "ineligible": "Not eligible under the programme's rules",
    "no_candidates": "Nobody on the other side",
    "level_gap": "No partner at a fitting level gap",
    "same_chain": "Every possible partner is in their reporting line",
    "do_not_pair": "Every possible partner is on a do-not-pair list",
    "previously_paired": "Every possible partner was paired with them before",
    "excluded": "Every possible partner is excluded by a rule",
    "capacity_exhausted": "Seats ran out",
    "fairness_quota": "Seat given to meet the fairness target",
    "no_positive_score": "No pair with anything in common",
    "removed": "Removed by a programme manager",
}


@dataclass(frozen=True)
class BoardRow:
    proposal: Proposal
    reasons: list[MatchReason]


@dataclass
class Board:
    """One page of a match run's review board: proposals with their reasons, the unmatched by reason."""

    run: MatchRun
    proposals: Page[Proposal]
    rows: list[BoardRow]
    unmatched_counts: list[tuple[str, int]]
    unmatched: Page[Unmatched]
    fairness_groups: list[dict[str, Any]]
    hidden_groups: int
    fairness_summary: str
    min_group_size: int


def match_run_board(run: MatchRun, *, page: Any = 1, unmatched_page: Any = 1, search: str = "") -> Board:
    """Everything the review board shows, in a fixed number of queries whatever the run's size."""
    proposals = (
        Proposal.objects.filter(run=run).select_related("mentor__person", "mentee__person").order_by("-score", "pk")
    )
    unmatched = Unmatched.objects.filter(run=run).select_related("enrolment__person").order_by("reason_code", "pk")
    if search:
        words = Q(mentor__person__name__icontains=search) | Q(mentee__person__name__icontains=search)
        proposals = proposals.filter(words)
        unmatched = unmatched.filter(enrolment__person__name__icontains=search)
    proposal_page = Paginator(proposals, 50).get_page(page)
    weights = run.statistics.get("weights", {})
    programme = run.programme
    counts = list(
        Unmatched.objects.filter(run=run)
        .values_list("reason_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason_code")
    )
    groups = run.fairness.get("groups", []) if run.fairness else []
    # Self-identified groups smaller than the minimum are never shown, not even as counts.
    shown = [group for group in groups if large_enough(group["eligible"])]
    return Board(
        run=run,
        proposals=proposal_page,
        rows=[
            BoardRow(
                proposal,
                match_reasons(
                    breakdown=proposal.breakdown,
                    weights=weights,
                    mentor_label=programme.mentor_label,
                    mentee_label=programme.mentee_label,
                ),
            )
            for proposal in proposal_page.object_list
        ],
        unmatched_counts=[(UNMATCHED_LABELS.get(code, code.replace("_", " ")), n) for code, n in counts],
        unmatched=Paginator(unmatched, 50).get_page(unmatched_page),
        fairness_groups=shown,
        hidden_groups=len(groups) - len(shown),
        fairness_summary=fairness_summary(run.fairness) if run.fairness else "",
        min_group_size=min_group_size(),
    )


def fairness_summary(fairness: dict[str, Any]) -> str:
    """The fairness outcome in a sentence that names only groups of at least the minimum size.

    The engine's own message names every group that missed its minimum; a group of three would be
    identified by it, so it is never shown.
    """
    groups = fairness.get("groups", [])
    short = [g for g in groups if not g["met"]]
    if not short:
        return "Every group reached at least its share of the matched places, less the tolerance."
    named = [g["group"] for g in short if large_enough(g["eligible"])]
    hidden = len(short) - len(named)
    parts = []
    if named:
        parts.append(", ".join(named))
    if hidden:
        parts.append(f"{hidden} group{'s' if hidden != 1 else ''} of fewer than {min_group_size()} candidates")
    return "Not every minimum could be met: " + " and ".join(parts) + " fell short (no allowed pairing reaches them)."
