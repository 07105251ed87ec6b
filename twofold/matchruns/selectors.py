"""Reads for match runs: the review board, in a bounded number of queries whatever the run's size.

Why each pair was matched comes from :func:`twofold.programmes.why_matched.match_reasons`, the
function the pair's own page uses, with the weights the run scored the pairs with.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from twofold.accounts.kept_queries import KeptQuery
from twofold.decimals import fixed_places
from twofold.matchruns.models import NEWEST_FIRST, MatchRun, MatchRunStatus, Proposal, Unmatched
from twofold.privacy import Headcount, group_table
from twofold.programmes.why_matched import MatchReason, match_reasons
from twofold.site_links import id_paths

UNMATCHED_LABELS = {
    "ineligible": "Not eligible under the programme's rules",
    "no_candidates": "Nobody on the other side",
    "level_gap": "No partner at a fitting level gap",
    "same_chain": "Every possible partner is in their reporting line",
    "do_not_pair": "Every possible partner is on a do-not-pair list",
    "previously_paired": "Every possible partner was paired with them before",
    "excluded": "Every possible partner is excluded by a rule",
    "capacity_exhausted": "Seats ran out",
    "no_positive_score": "No pair with anything in common",
    "removed": "Removed by a programme manager",
}


@dataclass(frozen=True)
class BoardPerson:
    """One side of a proposed pair as the board shows it: name, link, level and department."""

    pk: int
    name: str
    url: str
    detail: str


@dataclass(frozen=True)
class BoardRow:
    """A proposed pair, its figures written out: the board reads rows, not models (a page of 50
    proposals with both enrolments and both people is 250 model instances, read for ten columns)."""

    pk: int
    mentor: BoardPerson
    mentee: BoardPerson
    score: str
    locked: bool
    swapped: bool
    sent: bool
    skipped_reason: str
    reasons: list[MatchReason]


@dataclass(frozen=True)
class UnmatchedRow:
    person_id: int
    name: str
    url: str
    role: str
    reason: str


@dataclass(frozen=True)
class Publication:
    """Where publishing a run stands: proposals sent (they became relationships), not sent (skipped,
    with a reason), and still to send (publishing stopped before them, or is under way)."""

    sent: int
    not_sent: int
    waiting: int

    @property
    def total(self) -> int:
        return self.sent + self.not_sent + self.waiting


def run_publication(run: MatchRun) -> Publication | None:
    """How far publishing ``run`` got, in one query; None before it starts."""
    if run.published_at is None:
        return None
    counts = Proposal.objects.filter(run=run).aggregate(
        sent=Count("pk", filter=Q(relationship__isnull=False)),
        not_sent=Count("pk", filter=Q(relationship__isnull=True) & ~Q(skipped_reason="")),
        total=Count("pk"),
    )
    return Publication(
        sent=counts["sent"],
        not_sent=counts["not_sent"],
        waiting=counts["total"] - counts["sent"] - counts["not_sent"],
    )


@dataclass
class Board:
    """One page of a match run's review board: proposals with their reasons, the unmatched by reason."""

    run: MatchRun
    proposals: Page[Any]
    rows: list[BoardRow]
    unmatched_counts: list[tuple[str, int]]
    unmatched: Page[Any]
    unmatched_rows: list[UnmatchedRow]
    fairness: Fairness | None
    publication: Publication | None
    # Every proposal of the run, whatever the search: what publishing it sends.
    proposal_total: int


def _side(values: dict[str, Any], side: str, person_path: Callable[[int], str]) -> BoardPerson:
    person_id = values[f"{side}__person_id"]
    return BoardPerson(
        pk=person_id,
        name=values[f"{side}__person__name"],
        url=person_path(person_id),
        detail=f"L{values[f'{side}__person__level']} · {values[f'{side}__person__department']}",
    )


ROWS_PER_PAGE = 50
# A proposal of the board as its row shows it: its own columns and both people's.
_ROW_COLUMNS = (
    "pk",
    "score",
    "locked",
    "origin",
    "relationship_id",
    "skipped_reason",
    "breakdown",
    *(
        f"{side}__person{field}"
        for side in ("mentor", "mentee")
        for field in ("_id", "__name", "__level", "__department")
    ),
)


def _proposals(run_id: int) -> QuerySet[Proposal]:
    return Proposal.objects.filter(run=run_id).order_by("-score", "pk")


def _two_runs() -> tuple[tuple[int], tuple[int]]:
    return (1,), (2,)


@functools.lru_cache(maxsize=8)
def first_page_of_proposals(per_page: int) -> KeptQuery[Proposal]:
    """The first ``per_page`` proposals of a run as the board's rows (the page a board opens on,
    unsearched), kept. The ORM writes a LIMIT into the SQL, not as a parameter: each page size has
    its own kept query, so the SQL kept for one size is never read for another."""
    return KeptQuery(
        Proposal,
        lambda run_id: _proposals(run_id).values(*_ROW_COLUMNS)[:per_page],
        parameters=("run",),
        samples=_two_runs,
    )


# The reads every board asks in the same shape, their SQL built once per process: the first page of
# a run's proposals (above), the unmatched counted by reason, and the newest run of a programme (the
# board's address "latest").
UNMATCHED_BY_REASON = KeptQuery(
    Unmatched,
    lambda run_id: (
        Unmatched.objects.filter(run=run_id)
        .values_list("reason_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason_code")
    ),
    parameters=("run",),
    samples=_two_runs,
)
# How many proposals a run has, for the board's pager of pairs (unsearched).
PROPOSALS_COUNTED = KeptQuery(
    Proposal,
    lambda run_id: Proposal.objects.filter(run=run_id).values("run").annotate(n=Count("*")).values_list("n"),
    parameters=("run",),
    samples=_two_runs,
)
LATEST_RUN = KeptQuery(
    MatchRun,
    lambda programme_id: MatchRun.objects.filter(programme=programme_id).order_by(*NEWEST_FIRST)[:1],
    parameters=("programme",),
    samples=_two_runs,
)


# A run under way: queued, or running on a worker. Two, as the kept read of the runs in the way
# takes them (a third status would fail here, when the module loads, not on a page).
RUN_IN_PROGRESS = (MatchRunStatus.QUEUED, MatchRunStatus.RUNNING)
_QUEUED, _RUNNING = RUN_IN_PROGRESS


def _runs_in_the_way(
    since: datetime, queued: str, running: str, publishing: str, programme_id: int
) -> QuerySet[MatchRun, tuple[Any, ...]]:
    return (
        MatchRun.objects.filter(
            Q(status__in=(queued, running), created_at__gte=since) | Q(status=publishing),
            programme=programme_id,
        )
        .order_by(*NEWEST_FIRST)
        .values_list("status", "number")
    )


# Asked by every runs page and board (may a run start?), always in the same shape.
RUNS_IN_THE_WAY = KeptQuery(
    MatchRun,
    _runs_in_the_way,
    # In the order the ORM writes them: the keyword arguments of a Q sorted by name.
    parameters=("created_at", "status", "status", "status", "programme"),
    samples=lambda: (
        (datetime(2026, 1, 1, tzinfo=UTC), "a", "b", "c", 1),
        (datetime(2026, 1, 2, tzinfo=UTC), "d", "e", "f", 2),
    ),
)


def runs_in_the_way(programme_id: int, *, since: datetime) -> list[tuple[str, int]]:
    """The status and number of each run of the programme that keeps a new one from starting,
    newest first: one under way (:data:`RUN_IN_PROGRESS`) created since ``since``, or one half
    published. One query, its SQL built once per process."""
    rows = RUNS_IN_THE_WAY.rows(since, str(_QUEUED), str(_RUNNING), str(MatchRunStatus.PUBLISHING), programme_id)
    return [(status, number) for status, number in rows]


def latest_run(programme_id: int) -> MatchRun | None:
    """The newest match run of the programme, None before its first."""
    return LATEST_RUN.first(programme_id)


def _pager(items: QuerySet[Any], page: Any, count: int | None, per_page: int) -> Page[Any]:
    """The page ``page`` of ``items``, ``per_page`` a page; ``count``, when known, spares their count."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count
    return paginator.get_page(page)


def match_run_board(run: MatchRun, *, page: Any = 1, unmatched_page: Any = 1, search: str = "") -> Board:
    """Everything the review board shows, in a fixed number of queries whatever the run's size."""
    proposals = _proposals(run.pk)
    unmatched = Unmatched.objects.filter(run=run).order_by("reason_code", "pk")
    if search:
        words = Q(mentor__person__name__icontains=search) | Q(mentee__person__name__icontains=search)
        proposals = proposals.filter(words)
        unmatched = unmatched.filter(enrolment__person__name__icontains=search)
    # Counted without the people (a count of the run's proposals joined to four tables reads 30,000
    # pages where the plain count reads a few); only the page's rows are read as values, people joined.
    proposal_total = sum(n for (n,) in PROPOSALS_COUNTED.rows(run.pk))
    per_page = ROWS_PER_PAGE
    proposal_page = _pager(proposals, page, None if search else proposal_total, per_page)
    if proposal_page.number == 1 and not search and proposal_page.paginator.count:
        # The first page's rows are the first per_page (no orphans), read by the kept query.
        page_rows = first_page_of_proposals(per_page).dicts(run.pk)
    else:
        page_rows = list(proposal_page.object_list.values(*_ROW_COLUMNS))  # type: ignore[attr-defined]
    proposal_page.object_list = page_rows
    # The unmatched by reason add up to all of them: the pager of the unsearched asks no count of its own.
    counts = UNMATCHED_BY_REASON.rows(run.pk)
    unmatched_in_page = _pager(unmatched, unmatched_page, None if search else sum(n for _, n in counts), per_page)
    unmatched_in_page.object_list = unmatched_in_page.object_list.values(  # type: ignore[attr-defined]
        "enrolment__person_id", "enrolment__person__name", "enrolment__role", "reason"
    )
    weights = run.statistics.get("weights", {})
    programme = run.programme
    person_path = id_paths("people:person")
    role_titles = programme.role_titles
    return Board(
        run=run,
        proposals=proposal_page,
        rows=[
            BoardRow(
                pk=proposal["pk"],
                mentor=_side(proposal, "mentor", person_path),
                mentee=_side(proposal, "mentee", person_path),
                score=fixed_places(proposal["score"], 2),
                locked=proposal["locked"],
                swapped=proposal["origin"] == "swap",
                sent=proposal["relationship_id"] is not None,
                skipped_reason=proposal["skipped_reason"],
                reasons=match_reasons(
                    breakdown=proposal["breakdown"],
                    weights=weights,
                    mentor_label=programme.mentor_label,
                    mentee_label=programme.mentee_label,
                ),
            )
            for proposal in page_rows
        ],
        unmatched_counts=[(UNMATCHED_LABELS.get(code, code.replace("_", " ")), n) for code, n in counts],
        unmatched=unmatched_in_page,
        unmatched_rows=[
            UnmatchedRow(
                person_id=item["enrolment__person_id"],
                name=item["enrolment__person__name"],
                url=person_path(item["enrolment__person_id"]),
                role=role_titles[item["enrolment__role"]],
                reason=item["reason"],
            )
            for item in unmatched_in_page.object_list
        ],
        fairness=run_fairness(run),
        publication=run_publication(run),
        proposal_total=proposal_total,
    )


# The candidates who gave no answer for the attribute: a row like any group, since the rows must add
# up to the pool size the page prints, or the total minus the shown rows would give away a hidden one.
NO_ANSWER = None


@dataclass(frozen=True)
class FairnessRow:
    """A shown row of the fairness table; ``minimum`` and ``met`` are None for those who gave no answer."""

    group: str
    candidates: Headcount
    minimum: Headcount | None
    matched: Headcount
    met: bool | None


@dataclass(frozen=True)
class Fairness:
    """A match run's fairness outcome by self-identified group, through :func:`twofold.privacy.group_table`."""

    tolerance: float
    rows: list[FairnessRow]
    candidates: Headcount
    matched: Headcount
    summary: str
    note: str


def run_fairness(run: MatchRun) -> Fairness | None:
    """The fairness table of a run with a fairness target (None without one), every group of fewer
    than k candidates hidden together with the next smallest, and a sentence naming shown groups only."""
    if not run.fairness:
        return None
    groups = run.fairness.get("groups", [])
    stats = run.statistics or {}
    counts: dict[str | None, dict[str, int]] = {
        group["group"]: {"candidates": group["eligible"], "matched": group["matched"], "minimum": group["minimum"]}
        for group in groups
    }
    counts[NO_ANSWER] = {
        "candidates": max(0, stats.get("eligible_mentees", 0) - sum(g["eligible"] for g in groups)),
        "matched": max(0, stats.get("pairs", 0) - sum(g["matched"] for g in groups)),
        "minimum": 0,
    }
    # The matched are some of each group's candidates: a cell of fewer than k of them is hidden in a
    # shown row too, as in the insights tables (the minimum is a target, not people).
    table = group_table(counts, size="candidates", totals=("candidates", "matched"), subsets=("matched",))
    met = {group["group"]: bool(group["met"]) for group in groups}
    rows = [
        FairnessRow(
            group="No answer given" if row.key is NO_ANSWER else str(row.key),
            candidates=row["candidates"],
            minimum=None if row.key is NO_ANSWER else row["minimum"],
            matched=row["matched"],
            met=None if row.key is NO_ANSWER else met[row.key],
        )
        for row in table.rows
    ]
    shown = {row.key for row in table.rows}
    short = [group["group"] for group in groups if not group["met"]]
    named = [group for group in short if group in shown]
    if not short:
        summary = "Every group reached at least its share of the matched places, less the tolerance."
    else:
        parts = [", ".join(named)] if named else []
        if len(named) < len(short):
            parts.append("one or more groups not shown")
        summary = (
            "Not every minimum could be met: " + " and ".join(parts) + " fell short (no allowed pairing reaches them)."
        )
    return Fairness(
        tolerance=run.fairness.get("tolerance", 0.0),
        rows=rows,
        candidates=table.total["candidates"],
        matched=table.total["matched"],
        summary=summary,
        note=table.note,
    )


def fairness_lines(run: MatchRun) -> list[str]:
    """The fairness table as lines for the terminal: the same figures as the board, and no others."""
    fairness = run_fairness(run)
    if fairness is None:
        return []
    lines = [f"fairness ({run.programme.fairness_attribute}, tolerance {fairness.tolerance:.2f}): {fairness.summary}"]
    for row in fairness.rows:
        target = "" if row.minimum is None else f" (minimum {row.minimum.display})"
        lines.append(
            f"  {row.group}: {row.matched.display} matched of {row.candidates.display} candidates{target}"
            f"{' — NOT MET' if row.met is False else ''}"
        )
    lines.append(f"  all candidates: {fairness.matched.display} matched of {fairness.candidates.display}")
    if fairness.note:
        lines.append(f"  {fairness.note}")
    return lines
