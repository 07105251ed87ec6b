"""Writes for match runs: run the engine over a programme's pool. Its proposals are reviewed in
:mod:`twofold.matchruns.review` and published in :mod:`twofold.matchruns.publishing`.

Two rules keep a run from half-happening:

- **The engine runs outside any database transaction.** :func:`match_run_execute` claims the run
  (``queued`` → ``running``, a compare-and-set), reads its inputs without a transaction, solves with
  no lock held and no transaction open, then writes every proposal in one short transaction that
  moves the run ``running`` → ``ready`` only if nothing else (a reaper marking it abandoned) changed
  it meanwhile, and only if what its pairs depended on still holds
  (:mod:`twofold.matchruns.freshness`): otherwise the run fails as stale, with the changes listed
  and nothing stored. A swap scores its two new pairs before it takes the run's lock, likewise.
  Callers must not wrap these services in a transaction of their own: it would hold its locks
  while the engine runs.
- **Publishing is idempotent and resumable** (:mod:`twofold.matchruns.publishing`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.accounts.permissions import authorize
from twofold.matching import (
    MatchInputError,
    PolicyError,
    Reason,
    RosterError,
    TreeError,
    build_problem,
    match,
)
from twofold.matchruns.freshness import changes_since_read, stale_message
from twofold.matchruns.matching_input import programme_pool
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal, Unmatched
from twofold.matchruns.selectors import RUN_IN_PROGRESS, runs_in_the_way
from twofold.programmes.matching_policy import programme_policy
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme, ProgrammeState
from twofold.programmes.services import ProgrammeRuleBroken

logger = logging.getLogger(__name__)

# Pools at least this large are matched by a background worker rather than inside the request.
BACKGROUND_POOL = 3000
STALE_RUN = timedelta(hours=6)
INELIGIBLE = str(Reason.INELIGIBLE)


class MatchRunRuleBroken(ProgrammeRuleBroken):
    """A match-run request the rules refuse (not matching yet, a run under way, not ready for review)."""


def _require_managed(programme: Programme) -> None:
    """Match runs are for managed matching: a participant-choice programme's pairs are requested."""
    if programme.is_participant_choice:
        raise MatchRunRuleBroken(
            f"{programme.name} lets its {programme.mentee_label}s choose their partners: it has no match runs",
            code="participant_choice",
        )


def match_run_refusal(programme: Programme, *, now: datetime | None = None) -> MatchRunRuleBroken | None:
    """Why a match run of ``programme`` may not start at ``now``, or None when it may: the one rule
    :func:`match_run_start` checks (on the locked programme) and the runs page offers the run by.

    Managed matching only, while the programme matches or runs, with no run under way (one older than
    :data:`STALE_RUN` was abandoned by its worker and does not count) and none half published. At most
    one query.
    """
    try:
        _require_managed(programme)
    except MatchRunRuleBroken as refusal:
        return refusal
    if programme.state not in (ProgrammeState.MATCHING, ProgrammeState.RUNNING):
        return MatchRunRuleBroken(
            f"{programme.name} is {programme.get_state_display().lower()}; start matching first", code="not_matching"
        )
    now = now or timezone.now()
    # The runs in the way, in one query: one under way, or the first half published.
    in_the_way = runs_in_the_way(programme.pk, since=now - STALE_RUN)
    if any(status in RUN_IN_PROGRESS for status, _ in in_the_way):
        return MatchRunRuleBroken("a match run of this programme is already under way", code="run_in_progress")
    if in_the_way:
        return MatchRunRuleBroken(
            f"match run {in_the_way[0][1]} was not completely published; publish it again to finish it first",
            code="run_publishing",
        )
    return None


@transaction.atomic
def _create_run(*, programme: Programme, created_by: Any, locked: list[tuple[int, int]] | None) -> MatchRun:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    # A run a worker never finished (the worker died) must not block the programme for ever.
    now = timezone.now()
    MatchRun.objects.filter(programme=programme, status__in=RUN_IN_PROGRESS, created_at__lt=now - STALE_RUN).update(
        status=MatchRunStatus.FAILED, error="Abandoned: no worker finished it.", finished_at=now
    )
    refusal = match_run_refusal(programme, now=now)
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            return MatchRun.objects.create(
                programme=programme,
                created_by=created_by,
                parameters={
                    "locked": [list(pair) for pair in (locked or [])],
                    "partial": programme.state == ProgrammeState.RUNNING,
                },
                progress_note="Waiting for a worker",
            )
    except IntegrityError:
        # The database's one-run-at-a-time constraint caught a run the check above did not see.
        raise MatchRunRuleBroken("a match run of this programme is already under way", code="run_in_progress") from None


def match_run_start(
    *,
    actor: Any,
    programme: Programme,
    locked: list[tuple[int, int]] | None = None,
    background: bool | None = None,
) -> MatchRun:
    """Queue a match run over the programme's pool and run it: now, or on a worker for large pools.

    While matching, it proposes pairs for the whole pool; while running, only for the people left
    without a partner (existing pairs are kept). ``locked`` (mentor, mentee) enrolment pairs are kept
    as they are. ``background`` None decides by the size of the pool.
    """
    authorize(actor, "matchruns.run", programme)
    created_by = actor if isinstance(actor, User) else None
    run = _create_run(programme=programme, created_by=created_by, locked=locked)
    if background is None:
        pool_size = Enrolment.objects.filter(programme=run.programme, status=EnrolmentStatus.ACTIVE).count()
        background = pool_size >= BACKGROUND_POOL
    if background:
        from twofold.matchruns.tasks import match_run_execute_task

        run_id = run.pk
        # Outside a transaction on_commit runs at once; inside one (a caller's), after it commits.
        transaction.on_commit(lambda: match_run_execute_task.enqueue(run_id))
        return run
    return match_run_execute(run=run)


def _policy_failure(programme: Programme, error: PolicyError) -> str:
    return (
        f"The matching policy of {programme.name} is not valid ({error}). Correct it in the programme's settings "
        "and run again."
    )


def _run_progress(run: MatchRun, percent: int, note: str) -> None:
    MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.RUNNING).update(progress=percent, progress_note=note)


def _run_failed(run: MatchRun, error: str) -> None:
    MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.RUNNING).update(
        status=MatchRunStatus.FAILED, error=error, finished_at=timezone.now(), progress=100, progress_note=""
    )


def match_run_execute(*, run: MatchRun, resume: bool = False) -> MatchRun:
    """Build the engine's input, match, and store proposals with their explanations.

    ``resume`` (the worker's task, queued again after its worker died) takes over a run left
    ``running``: nothing of it was stored, since proposals are written only in the last step's
    transaction, so it starts again from the pool.

    Reading and solving happen outside any transaction, with no row locked: a large pool may take
    minutes, and people keep answering proposals and editing programmes meanwhile. The short
    transaction that stores the result first reads again what its pairs depend on
    (:func:`~twofold.matchruns.freshness.changes_since_read`); if that changed, the run fails as
    stale and stores nothing. Publishing checks every pair once more under locks. Each step's
    progress is committed for the review board to show while a worker runs.
    """
    claimable = [MatchRunStatus.QUEUED, MatchRunStatus.RUNNING] if resume else [MatchRunStatus.QUEUED]
    claimed = MatchRun.objects.filter(pk=run.pk, status__in=claimable).update(
        status=MatchRunStatus.RUNNING, started_at=timezone.now(), progress=5, progress_note="Reading the pool"
    )
    run.refresh_from_db()
    if not claimed:
        return run
    programme = run.programme
    try:
        # The policy first: a saved policy that does not hold stops the run, never the defaults.
        policy = programme_policy(programme)
        locked = [(int(mentor), int(mentee)) for mentor, mentee in run.parameters.get("locked", [])]
        pool = programme_pool(programme, locked=locked)
        _run_progress(run, 20, "Building the candidate pairs")
        roster = build_problem(pool.records, policy)
        _run_progress(run, 30, "Finding the best pairs")
        result = match(roster.problem)
    except PolicyError as error:
        _run_failed(run, _policy_failure(programme, error))
        run.refresh_from_db()
        return run
    except (MatchInputError, RosterError, TreeError) as error:
        _run_failed(run, str(error))
        run.refresh_from_db()
        return run
    except Exception as error:
        # Anything else is a fault, not bad input: record it so the programme can run again, then
        # let it surface (the worker logs it, a request shows the error page).
        logger.exception("match run %s failed", run.pk)
        _run_failed(run, f"An unexpected error stopped the run ({error.__class__.__name__}); it is in the server log.")
        raise
    _run_progress(run, 90, "Saving the proposals")
    locked_set = set(locked)
    fairness = result.fairness
    stats = result.stats
    pairs = [(pool.enrolments[pair.left_id].pk, pool.enrolments[pair.right_id].pk) for pair in result.pairs]
    with transaction.atomic():
        # Taken before reading the pool again, as _create_run takes it: no run starts meanwhile.
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        changes = changes_since_read(run=run, programme=programme, pairs=pairs)
        if changes:
            MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.RUNNING).update(
                status=MatchRunStatus.FAILED,
                error=stale_message(changes),
                finished_at=timezone.now(),
                progress=100,
                progress_note="",
            )
            run.refresh_from_db()
            return run
        # Compare-and-set: a run marked failed or abandoned while it solved stays so, with nothing stored.
        finished = MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.RUNNING).update(
            status=MatchRunStatus.READY,
            progress=100,
            progress_note="",
            finished_at=timezone.now(),
            total_score=round(result.total, 6),
            statistics={
                "seconds": round(stats.seconds, 3),
                "eligible_mentors": stats.eligible_left,
                "eligible_mentees": stats.eligible_right,
                "pairs": stats.matched,
                "certified_optimal": stats.certified,
                "gap_bound": stats.gap_bound,
                "candidate_pairs": stats.edges,
                "rounds": stats.rounds,
                "solver": stats.solver,
                "weights": dict(result.weights),
            },
            fairness={}
            if fairness is None
            else {
                "tolerance": fairness.tolerance,
                "seats": fairness.seats,
                "feasible": fairness.feasible,
                "message": fairness.message,
                "groups": [
                    {
                        "group": group.group,
                        "eligible": group.eligible,
                        "share": group.share,
                        "minimum": group.minimum,
                        "matched": group.matched,
                        "met": group.met,
                    }
                    for group in fairness.groups
                ],
            },
        )
        if finished:
            Proposal.objects.bulk_create(
                [
                    Proposal(
                        run=run,
                        mentor=pool.enrolments[pair.left_id],
                        mentee=pool.enrolments[pair.right_id],
                        score=round(pair.score, 6),
                        breakdown={name: round(value, 6) for name, value in pair.breakdown.items()},
                        locked=(pool.enrolments[pair.left_id].pk, pool.enrolments[pair.right_id].pk) in locked_set,
                        origin="kept" if pair.locked else "engine",
                    )
                    for pair in result.pairs
                ],
                batch_size=2000,
            )
            Unmatched.objects.bulk_create(
                [
                    Unmatched(
                        run=run,
                        enrolment=pool.enrolments[item.id],
                        reason_code=str(item.reason),
                        reason=item.text[:300],
                    )
                    for item in result.unmatched
                    if item.id in pool.enrolments
                ]
                + [
                    # Kept out of the engine's pool by the pairing rules: left, or no longer eligible.
                    Unmatched(run=run, enrolment=enrolment, reason_code=INELIGIBLE, reason=refusal.message[:300])
                    for enrolment, refusal in pool.left_out
                ],
                batch_size=2000,
            )
            MatchRun.objects.filter(programme=programme, status=MatchRunStatus.READY).exclude(pk=run.pk).update(
                status=MatchRunStatus.SUPERSEDED
            )
    run.refresh_from_db()
    return run
