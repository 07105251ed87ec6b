"""Writes for match runs: run the engine over a programme's pool, review its proposals, publish them.

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
- **Publishing is idempotent and resumable.** :func:`match_run_publish` moves the run to
  ``publishing``, then decides each proposal in its own transaction: the relationship is created and
  the proposal records it (or why it was skipped) together, so a crash loses at most the pair in
  hand and no pair is ever proposed twice. Only when every proposal is decided does the run become
  ``published``. Publishing a run left ``publishing`` finishes it; publishing a published run
  changes nothing. The people proposed are emailed by the worker after the publication committed,
  each once however often it is published (:mod:`twofold.relationships.reminders.proposals`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from twofold.accounts.models import User
from twofold.accounts.permissions import authorize
from twofold.events import announce
from twofold.matching import (
    MatchInputError,
    Policy,
    PolicyError,
    Reason,
    RosterError,
    TreeError,
    Weights,
    build_problem,
    match,
)
from twofold.matchruns.freshness import changes_since_read, stale_message
from twofold.matchruns.matching_input import programme_pool
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal, Unmatched
from twofold.people.leavers import Departure
from twofold.programmes.matching_policy import programme_policy
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme, ProgrammeState
from twofold.programmes.services import ProgrammeRuleBroken, programme_transition
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.reminders.proposals import proposal_emails_later
from twofold.relationships.services import pair_refusal, relationship_propose

logger = logging.getLogger(__name__)

# Pools at least this large are matched by a background worker rather than inside the request.
BACKGROUND_POOL = 3000
# Runs with at least this many proposals are published by a background worker.
BACKGROUND_PUBLISH = 300
RUN_IN_PROGRESS = (MatchRunStatus.QUEUED, MatchRunStatus.RUNNING)
STALE_RUN = timedelta(hours=6)
CONFLICT = "It conflicted with a change made at the same time."
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
    two queries.
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
    runs = MatchRun.objects.filter(programme=programme)
    if runs.filter(status__in=RUN_IN_PROGRESS, created_at__gte=now - STALE_RUN).exists():
        return MatchRunRuleBroken("a match run of this programme is already under way", code="run_in_progress")
    publishing = runs.filter(status=MatchRunStatus.PUBLISHING).first()
    if publishing is not None:
        return MatchRunRuleBroken(
            f"match run {publishing.number} was not completely published; publish it again to finish it first",
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


# --- review: lock, remove, swap, re-run ------------------------------------------------------------


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
    scored (and explained) on the same scale as the run's own."""
    policy = programme_policy(run.programme)
    weights = run.statistics.get("weights")
    return replace(policy, weights=Weights(**weights)) if weights else policy


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


def match_run_rerun(*, actor: Any, run: MatchRun, background: bool | None = None) -> MatchRun:
    """Run the engine again, keeping the locked pairs of ``run`` as they are."""
    run.refresh_from_db()
    authorize(actor, "matchruns.run", run.programme)
    if run.status not in (MatchRunStatus.READY, MatchRunStatus.FAILED):
        raise MatchRunRuleBroken("only a run ready for review (or one that failed) can be re-run", code="run_not_ready")
    if run.status == MatchRunStatus.READY:
        locked = list(Proposal.objects.filter(run=run, locked=True).values_list("mentor_id", "mentee_id"))
    else:
        # A failed run stored no pairs: keep the ones it was asked to keep.
        locked = [(int(mentor), int(mentee)) for mentor, mentee in run.parameters.get("locked", [])]
    return match_run_start(actor=actor, programme=run.programme, locked=locked, background=background)


# --- publishing ----------------------------------------------------------------------------------


@dataclass
class PublishResult:
    """What publishing made of a run's proposals: how many became relationships, and which were
    skipped and why (counted over the whole run, however many times it was published)."""

    proposed: int = 0
    skipped: list[tuple[Proposal, str]] = field(default_factory=list)


def _claim_for_publishing(run: MatchRun, now: datetime) -> MatchRun:
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=run.pk)
        if run.status == MatchRunStatus.READY:
            # A run left from before the programme switched to participant choice is not sent.
            _require_managed(Programme.objects.get(pk=run.programme_id))
            MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.READY).update(
                status=MatchRunStatus.PUBLISHING, published_at=now
            )
            run.refresh_from_db()
        elif run.status not in (MatchRunStatus.PUBLISHING, MatchRunStatus.PUBLISHED):
            raise MatchRunRuleBroken(
                f"this match run is {run.get_status_display().lower()}; only a run ready for review is published",
                code="run_not_ready",
            )
    return run


def _publish_proposal(
    *, actor: Any, proposal_id: int, programme: Programme, weights: dict[str, float], now: datetime
) -> None:
    """Decide one proposal: propose its pair, or record why not. One transaction for both, so a
    proposal never becomes two relationships, whoever publishes and however often."""
    with transaction.atomic():
        proposal = (
            Proposal.objects.select_for_update(of=("self",)).select_related("mentor", "mentee").get(pk=proposal_id)
        )
        if proposal.decided:
            return
        try:
            relationship = relationship_propose(
                actor=actor,
                programme=programme,
                mentor_enrolment=proposal.mentor,
                mentee_enrolment=proposal.mentee,
                score=proposal.score,
                breakdown=proposal.breakdown,
                weights=weights,
                now=now,
            )
        except RelationshipRuleBroken as refusal:
            proposal.skipped_reason = str(refusal)[:500]
        except IntegrityError:
            # A constraint caught what the checks did not see (a concurrent change): skip the pair.
            proposal.skipped_reason = CONFLICT
        else:
            proposal.relationship = relationship
        proposal.save(update_fields=["relationship", "skipped_reason"])


def _announce_published(run: MatchRun, programme: Programme) -> None:
    proposals = Proposal.objects.filter(run=run)
    announce(
        "match_run.published",
        {
            "match_run": {"id": run.pk, "number": run.number},
            "programme": {"id": programme.pk, "name": programme.name, "kind": programme.kind},
            "proposed": proposals.filter(relationship__isnull=False).count(),
            "skipped": proposals.exclude(skipped_reason="").count(),
        },
    )


def match_run_publish_start(*, actor: Any, run: MatchRun, background: bool | None = None) -> MatchRun:
    """Publish ``run`` now, or, for a large run (``background`` None decides by its size), turn it
    ``publishing`` and leave the sending to a worker; the review board follows its progress.

    The worker's task publishes through :func:`match_run_publish` as the same actor, so a task
    queued again after its worker died finishes the publication without proposing any pair twice.
    """
    run = MatchRun.objects.select_related("programme").get(pk=run.pk)
    authorize(actor, "matchruns.publish", run.programme)
    if background is None:
        background = Proposal.objects.filter(run=run).count() >= BACKGROUND_PUBLISH
    if not background:
        match_run_publish(actor=actor, run=run)
        run.refresh_from_db()
        return run
    run = _claim_for_publishing(run, timezone.now())
    if run.status == MatchRunStatus.PUBLISHING:
        from twofold.matchruns.tasks import match_run_publish_task

        run_id, actor_id = run.pk, actor.pk if isinstance(actor, User) else None
        transaction.on_commit(lambda: match_run_publish_task.enqueue(run_id, actor_id))
    return run


def match_run_publish(*, actor: Any, run: MatchRun, now: datetime | None = None) -> PublishResult:
    """Send every proposal of a reviewed run to both people (or, one-sided, to the mentee).

    Each pair is proposed through :func:`twofold.relationships.services.relationship_propose`, which
    checks every rule again under row locks: a pair that has become impossible since the run (someone
    left, was paired meanwhile) is skipped with its reason, and the others still go out. A matching
    programme starts running. Both people of each pair are emailed once it is committed (a refused
    publication emails nobody). Idempotent and resumable: see the module docstring.
    """
    now = now or timezone.now()
    authorize(actor, "matchruns.publish", MatchRun.objects.select_related("programme").get(pk=run.pk).programme)
    run = _claim_for_publishing(run, now)
    programme = run.programme
    if run.status == MatchRunStatus.PUBLISHING:
        undecided = Proposal.objects.filter(run=run, relationship__isnull=True, skipped_reason="")
        for proposal_id in list(undecided.order_by("pk").values_list("pk", flat=True)):
            _publish_proposal(
                actor=actor,
                proposal_id=proposal_id,
                programme=programme,
                weights=run.statistics.get("weights", {}),
                now=now,
            )
        with transaction.atomic():
            if not undecided.exists() and MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.PUBLISHING).update(
                status=MatchRunStatus.PUBLISHED
            ):
                _announce_published(run, programme)
        programme.refresh_from_db()
        if programme.state == ProgrammeState.MATCHING:
            try:
                programme_transition(actor=actor, programme=programme, to_state=ProgrammeState.RUNNING)
            except ProgrammeRuleBroken as refusal:
                # Two publishers finishing together: the other one started the programme.
                if refusal.code != "state_changed":
                    raise
    # Both people of each pair are emailed by the worker once this is committed. Queued on every
    # call, not only the first: a publication resumed after its worker died queues the emails the
    # dead one never did, and those already sent are not sent again.
    proposal_emails_later(
        Proposal.objects.filter(run=run, relationship__isnull=False).values_list("relationship_id", flat=True)
    )
    decided = Proposal.objects.filter(run=run).select_related("mentor__person", "mentee__person").order_by("pk")
    result = PublishResult(proposed=decided.filter(relationship__isnull=False).count())
    result.skipped = [(proposal, proposal.skipped_reason) for proposal in decided.exclude(skipped_reason="")]
    return result
