"""Publishing a reviewed match run: its proposals become relationships the people are asked about.

**Publishing is idempotent and resumable.** :func:`match_run_publish` moves the run to
``publishing``, then decides each proposal in its own transaction: the relationship is created and
the proposal records it (or why it was skipped) together, so a crash loses at most the pair in hand
and no pair is ever proposed twice. Only when every proposal is decided does the run become
``published``. Publishing a run left ``publishing`` finishes it; publishing a published run changes
nothing. The people proposed are emailed by the worker after the publication committed, each once
however often it is published (:mod:`twofold.relationships.reminders.proposals`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.accounts.permissions import authorize
from twofold.events import announce
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal
from twofold.matchruns.services import MatchRunRuleBroken, _require_managed
from twofold.programmes.models import Programme, ProgrammeState
from twofold.programmes.services import ProgrammeRuleBroken, programme_transition
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.reminders.proposals import proposal_emails_later
from twofold.relationships.services import relationship_propose

# Runs with at least this many proposals are published by a background worker.
BACKGROUND_PUBLISH = 300
CONFLICT = "It conflicted with a change made at the same time."


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
