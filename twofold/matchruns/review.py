"""Reviewing a match run before it is published: lock, remove and swap its proposals, release the
people who left, re-run it. A swap scores its two new pairs before it takes the run's lock, so no
lock is held while the engine scores (:mod:`twofold.matchruns.services`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum

from twofold.accounts.permissions import authorize
from twofold.matching import (
    Policy,
    PolicyError,
    RecordedWeights,
    build_problem,
    match,
)
from twofold.matchruns.matching_input import programme_pool
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal, Unmatched
from twofold.matchruns.services import MatchRunRuleBroken, _policy_failure, match_run_refusal, match_run_start
from twofold.people.leavers import Departure
from twofold.programmes.matching_policy import programme_policy
from twofold.programmes.models import Enrolment, Programme
from twofold.relationships.services import pair_refusal


def _require_ready(run: MatchRun) -> None:
    if run.status != MatchRunStatus.READY:
        raise MatchRunRuleBroken(
            f"this match run is {run.get_status_display().lower()}; only a run ready for review can change",
            code="run_not_ready",
        )


def _editable_run(run: MatchRun) -> MatchRun:
    """The run, locked for the rest of the transaction, if it is still under review."""
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    _require_ready(run)
    return run


@transaction.atomic
def proposal_lock(*, actor: Any, proposal: Proposal, locked: bool = True) -> Proposal:
    """Keep a pair as it is when the run is re-run (or stop keeping it)."""
    authorize(actor, "matchruns.edit", proposal.run.programme)
    _editable_run(proposal.run)
    Proposal.objects.filter(pk=proposal.pk).update(locked=locked)
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def proposal_remove(*, actor: Any, proposal: Proposal) -> None:
    """Take a pair out of the run; both people join the unmatched, for a re-run or by hand."""
    authorize(actor, "matchruns.edit", proposal.run.programme)
    run = _editable_run(proposal.run)
    proposal = Proposal.objects.select_related("mentor__person", "mentee__person").get(pk=proposal.pk)
    proposal.delete()
    Unmatched.objects.get_or_create(
        run=run,
        enrolment=proposal.mentee,
        defaults={
            "reason_code": "removed",
            "reason": f"Removed from a pair with {proposal.mentor.person.name} by a programme manager.",
        },
    )
    if not Proposal.objects.filter(run=run, mentor=proposal.mentor).exists():
        Unmatched.objects.get_or_create(
            run=run,
            enrolment=proposal.mentor,
            defaults={
                "reason_code": "removed",
                "reason": f"Removed from a pair with {proposal.mentee.person.name} by a programme manager.",
            },
        )
    _refresh_total(run)


def match_runs_release_leavers(departure: Departure) -> dict[str, int]:
    """Take people who left the organisation off the runs still under review (see
    :mod:`twofold.people.leavers`): their proposed pairs leave the board, a partner left without any
    pair joins the unmatched with the reason, and the leavers themselves are no longer listed.

    Runs being published need nothing: publishing checks every pair again and skips a leaver's.
    """
    leaving: set[int] = set()
    for chunk in departure.chunks():
        leaving.update(Enrolment.objects.filter(person_id__in=chunk).values_list("pk", flat=True))
    enrolment_ids = sorted(leaving)
    under_review = Proposal.objects.filter(run__status=MatchRunStatus.READY)
    removed: list[tuple[int, int, int]] = []
    for start in range(0, len(enrolment_ids), 5000):
        chunk = enrolment_ids[start : start + 5000]
        theirs = under_review.filter(Q(mentor_id__in=chunk) | Q(mentee_id__in=chunk))
        removed.extend(theirs.values_list("run_id", "mentor_id", "mentee_id").order_by("pk"))
        theirs.delete()
        Unmatched.objects.filter(enrolment_id__in=chunk, run__status=MatchRunStatus.READY).delete()
    runs = sorted({run_id for run_id, _, _ in removed})
    partners = {(run_id, side) for run_id, *sides in removed for side in sides if side not in leaving}
    # A mentor keeps their place on the board while another of their pairs remains there.
    partner_ids = sorted({enrolment_id for _, enrolment_id in partners})
    still_paired: set[tuple[int, int]] = set()
    for start in range(0, len(partner_ids), 5000):
        chunk = partner_ids[start : start + 5000]
        remaining = Proposal.objects.filter(Q(mentor_id__in=chunk) | Q(mentee_id__in=chunk), run_id__in=runs)
        for run_id, mentor_id, mentee_id in remaining.values_list("run_id", "mentor_id", "mentee_id"):
            still_paired.update({(run_id, mentor_id), (run_id, mentee_id)})
    Unmatched.objects.bulk_create(
        [
            Unmatched(
                run_id=run_id,
                enrolment_id=enrolment_id,
                reason_code="partner_left",
                reason=f"Their proposed partner {departure.reason}.",
            )
            for run_id, enrolment_id in sorted(partners - still_paired)
        ],
        ignore_conflicts=True,
    )
    for run in MatchRun.objects.filter(pk__in=runs):
        _refresh_total(run)
    return {"proposals_taken_off_review": len(removed)}


def _refresh_total(run: MatchRun) -> None:
    total = Proposal.objects.filter(run=run).aggregate(total=Sum("score"))["total"] or 0.0
    MatchRun.objects.filter(pk=run.pk).update(total_score=round(total, 6))


def _run_policy(run: MatchRun) -> Policy:
    """The programme's policy with the weights ``run`` scored its pairs with: a pair made by hand is
    scored (and explained) on the same scale as the run's own. The weights are taken as the run
    stored them, even where weights are no longer accepted so (a run scored before weights were
    used as written holds them rounded: 45.5 as 45.4545...)."""
    policy = programme_policy(run.programme)
    weights = run.statistics.get("weights")
    return replace(policy, weights=RecordedWeights(**weights)) if weights else policy


def _score_pairs(
    programme: Programme, pairs: list[tuple[Enrolment, Enrolment]], policy: Policy
) -> list[tuple[float, dict[str, float]]]:
    """The engine's score and breakdown of given pairs (whose rules were checked already)."""
    ids = [(mentor.pk, mentee.pk) for mentor, mentee in pairs]
    pool = programme_pool(programme, locked=ids, only={pk for pair in ids for pk in pair})
    result = match(build_problem(pool.records, policy).problem)
    scored = {(pool.enrolments[p.left_id].pk, pool.enrolments[p.right_id].pk): p for p in result.pairs}
    return [
        (round(scored[key].score, 6), {name: round(value, 6) for name, value in scored[key].breakdown.items()})
        if key in scored
        else (0.0, {})
        for key in ids
    ]


def proposal_swap(*, actor: Any, first: Proposal, second: Proposal) -> tuple[Proposal, Proposal]:
    """Exchange the mentees of two proposals, re-checking every rule for both new pairs.

    The rules are checked and the new pairs scored before the run is locked (scoring runs the
    engine); the swap itself then happens in a short transaction, only if both proposals are still
    in the run as they were read.
    """
    if second.run_id != first.run_id or first.pk == second.pk:
        raise MatchRunRuleBroken("choose two different pairs of the same run", code="invalid_swap")
    first = Proposal.objects.select_related("run__programme", "mentor__person", "mentee__person").get(pk=first.pk)
    second = Proposal.objects.select_related("mentor__person", "mentee__person").get(pk=second.pk)
    run = first.run
    authorize(actor, "matchruns.edit", run.programme)
    _require_ready(run)
    programme = run.programme
    new_pairs = [(first.mentor, second.mentee), (second.mentor, first.mentee)]
    problems = []
    for mentor, mentee in new_pairs:
        refusal = pair_refusal(programme=programme, mentor_enrolment=mentor, mentee_enrolment=mentee)
        if refusal is not None:
            problems.append(str(refusal).rstrip("."))
    if problems:
        raise MatchRunRuleBroken("; ".join(problems), code="swap_breaks_rule")
    try:
        policy = _run_policy(run)
    except PolicyError as error:
        raise MatchRunRuleBroken(_policy_failure(programme, error), code="invalid_policy") from None
    scores = _score_pairs(programme, new_pairs, policy)
    with transaction.atomic():
        run = _editable_run(run)
        expected = {(first.pk, first.mentor_id, first.mentee_id), (second.pk, second.mentor_id, second.mentee_id)}
        current = set(
            Proposal.objects.select_for_update()
            .filter(run=run, pk__in=[first.pk, second.pk])
            .values_list("pk", "mentor_id", "mentee_id")
        )
        if current != expected:
            raise MatchRunRuleBroken("these pairs changed meanwhile; look at the board again", code="pairs_changed")
        Proposal.objects.filter(pk__in=[first.pk, second.pk]).delete()
        created = [
            Proposal.objects.create(
                run=run, mentor=mentor, mentee=mentee, score=score, breakdown=breakdown, origin="swap"
            )
            for (mentor, mentee), (score, breakdown) in zip(new_pairs, scores, strict=True)
        ]
        _refresh_total(run)
    return created[0], created[1]


def match_run_rerun_refusal(run: MatchRun) -> MatchRunRuleBroken | None:
    """Why ``run`` may not be re-run now, or None when it may: the one rule :func:`match_run_rerun`
    checks and the run's board offers "Re-run" by. Only a run ready for review, or one that failed,
    and only where a new run of its programme may start (:func:`match_run_refusal`). At most two
    queries."""
    if run.status not in (MatchRunStatus.READY, MatchRunStatus.FAILED):
        return MatchRunRuleBroken(
            "only a run ready for review (or one that failed) can be re-run", code="run_not_ready"
        )
    return match_run_refusal(run.programme)


def match_run_rerun(*, actor: Any, run: MatchRun, background: bool | None = None) -> MatchRun:
    """Run the engine again, keeping the locked pairs of ``run`` as they are (a failed run: the pairs
    it was asked to keep); refused as :func:`match_run_rerun_refusal` says."""
    run.refresh_from_db()
    authorize(actor, "matchruns.run", run.programme)
    refusal = match_run_rerun_refusal(run)
    if refusal is not None:
        raise refusal
    if run.status == MatchRunStatus.READY:
        locked = list(Proposal.objects.filter(run=run, locked=True).values_list("mentor_id", "mentee_id"))
    else:
        # A failed run stored no pairs: keep the ones it was asked to keep.
        locked = [(int(mentor), int(mentee)) for mentor, mentee in run.parameters.get("locked", [])]
    return match_run_start(actor=actor, programme=run.programme, locked=locked, background=background)
