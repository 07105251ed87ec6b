"""What a programme manager does to one pair from the pairs list: nudge it, end it, re-match one or
both people, extend its end date. Each is recorded in the pair's log (:class:`PairEvent`), which
both people see on their page.

Ending reuses :func:`~twofold.relationships.services.ending.relationship_end`; a partner picked
by the manager is proposed through :func:`~twofold.relationships.services.proposing.relationship_propose`,
which applies every hard rule of the matching engine to that one pair, under locks.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.permissions import authorize
from twofold.dates import date_out_of_range
from twofold.programmes.models import Enrolment, EnrolmentStatus
from twofold.relationships.errors import RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.models import OPEN_STATES, PairEvent, PairEventKind, Relationship, RelationshipState
from twofold.relationships.notices import nudge_send
from twofold.relationships.reminders.proposals import proposal_emails_later
from twofold.relationships.selectors import relationship_planned_end
from twofold.relationships.services.ending import relationship_end
from twofold.relationships.services.proposing import relationship_propose
from twofold.relationships.services.steps import _fresh, _locked, _require_state

SIDES = ("mentor", "mentee")
# A pair is nudged at most once a day: a second click (or a second manager) the same day sends nothing.
NUDGE_EVERY = timedelta(hours=20)
NUDGE_MESSAGE_MAX = 1000


def _record(relationship: Relationship, actor: Any, kind: str, text: str) -> PairEvent:
    return PairEvent.objects.create(
        relationship=relationship, kind=kind, text=text, by=actor if getattr(actor, "pk", None) else None
    )


@transaction.atomic
def relationship_nudge(
    *, relationship: Relationship, actor: Any, message: str = "", now: datetime | None = None
) -> PairEvent:
    """A programme manager nudges an active pair to meet: the note goes in the pair's log, and both
    people are emailed (by :func:`twofold.relationships.notices.nudge_send`, after the commit).

    Once a day per pair at most, so that a double click or two managers at once send one email.
    """
    now = now or timezone.now()
    current = _locked(relationship)
    authorize(actor, "relationships.manage", current)
    _require_state(current, RelationshipState.ACTIVE, action="nudge the pair")
    if len(message.strip()) > NUDGE_MESSAGE_MAX:
        raise RelationshipRuleBroken(
            f"The message is longer than {NUDGE_MESSAGE_MAX} characters.", code="message_too_long"
        )
    if PairEvent.objects.filter(
        relationship=current, kind=PairEventKind.NUDGED, created_at__gt=now - NUDGE_EVERY
    ).exists():
        raise RelationshipStateConflict(
            "This pair was nudged in the last day already; nothing more was sent.", code="nudged_recently"
        )
    text = message.strip() or (
        f"A programme manager of {current.programme.name} asks you to plan your next meeting soon."
    )
    event = _record(current, actor, PairEventKind.NUDGED, text)
    # After the commit: a nudge refused or rolled back emails nobody.
    transaction.on_commit(lambda: nudge_send(event), robust=True)
    return event


@transaction.atomic
def relationship_end_by_manager(
    *,
    relationship: Relationship,
    actor: Any,
    reason: str,
    back_to_pool: Collection[str] = (),
    now: datetime | None = None,
) -> Relationship:
    """A programme manager ends an active pair, with a reason both people read.

    ``back_to_pool`` names the sides (``"mentor"``, ``"mentee"``) who stay in the programme's pool to
    be matched again in the next run (or by :func:`relationship_pick_partner`); the others leave it
    (the mentor only if this was their last open pair). Recorded in the pair's log.
    """
    sides = set(back_to_pool)
    if not sides <= set(SIDES):
        raise RelationshipRuleBroken("Say which of the pair goes back to the pool.", code="unknown_side")
    current = _locked(relationship)
    authorize(actor, "relationships.manage", current)
    ended = relationship_end(relationship=current, actor=actor, reason=reason, rematch=bool(sides), now=now)
    if sides and sides != set(SIDES):
        # relationship_end kept both in the pool; the one not re-matched leaves it.
        leaving = "mentee" if sides == {"mentor"} else "mentor"
        enrolment_id = ended.mentee_enrolment_id if leaving == "mentee" else ended.mentor_enrolment_id
        still_paired = leaving == "mentor" and (
            Relationship.objects.filter(mentor_enrolment=enrolment_id, state__in=OPEN_STATES).exists()
        )
        if not still_paired:
            Enrolment.objects.filter(pk=enrolment_id, status=EnrolmentStatus.ACTIVE).update(
                status=EnrolmentStatus.WITHDRAWN,
                status_reason="Left the pool when a programme manager ended their relationship.",
                updated_at=timezone.now(),
            )
    names = {"mentor": ended.mentor.name, "mentee": ended.mentee.name}
    if sides:
        who = " and ".join(names[side] for side in SIDES if side in sides)
        text = f"A programme manager ended this relationship: “{ended.end_reason}”. {who} will be matched again."
        kind = PairEventKind.REMATCH
    else:
        text = f"A programme manager ended this relationship: “{ended.end_reason}”."
        kind = PairEventKind.ENDED
    _record(ended, actor, kind, text)
    return ended


@transaction.atomic
def relationship_pick_partner(
    *, programme_enrolment: Enrolment, partner_enrolment: Enrolment, actor: Any, now: datetime | None = None
) -> Relationship:
    """A programme manager proposes one person in the pool to a partner they picked.

    The proposal is :func:`relationship_propose`'s: every hard rule the engine applies, checked on
    locked rows, refuses the pair with the rule it breaks. Both people are emailed
    (``proposal_made``) by the worker once this commits.
    """
    first = Enrolment.objects.select_related("programme").get(pk=programme_enrolment.pk)
    second = Enrolment.objects.get(pk=partner_enrolment.pk)
    mentor, mentee = (first, second) if first.role == "mentor" else (second, first)
    relationship = relationship_propose(
        actor=actor, programme=first.programme, mentor_enrolment=mentor, mentee_enrolment=mentee, now=now
    )
    proposal_emails_later([relationship.pk])
    return relationship


@transaction.atomic
def relationship_extend(*, relationship: Relationship, actor: Any, until: date) -> Relationship:
    """A programme manager lets an active pair run longer: ``until`` is its new last day, after the
    planned end it has now. Recorded in the pair's log."""
    current = _locked(relationship)
    authorize(actor, "relationships.manage", current)
    _require_state(current, RelationshipState.ACTIVE, action="extend the relationship")
    problem = date_out_of_range(until, what="the new end date")
    if problem is not None:
        raise RelationshipRuleBroken(f"{problem[:1].upper()}{problem[1:]}.", code="date_out_of_range")
    planned = relationship_planned_end(current)
    assert planned is not None  # an active relationship has started
    last_day_now = timezone.localtime(planned).date() - timedelta(days=1)
    if until <= last_day_now:
        raise RelationshipRuleBroken(
            f"The relationship already runs until {last_day_now:%d %B %Y}; choose a later day.",
            code="not_later",
        )
    Relationship.objects.filter(pk=current.pk).update(extended_until=until, updated_at=timezone.now())
    current.extended_until = until
    _record(
        current,
        actor,
        PairEventKind.EXTENDED,
        f"A programme manager extended this relationship until {until:%d %B %Y}.",
    )
    return _fresh(current)
