"""Ending a relationship: early with a reason, by either of the pair or a programme manager, or
completed at its planned end."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.people.models import Person
from twofold.programmes.models import Enrolment, EnrolmentStatus
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.models import OPEN_STATES, Relationship, RelationshipState
from twofold.relationships.selectors import END_WINDOW, relationship_planned_end
from twofold.relationships.services.steps import (
    _acting_person,
    _announce,
    _locked,
    _move,
    _release_seat,
    _require_state,
    _text,
)


@transaction.atomic
def relationship_end(
    *,
    relationship: Relationship,
    actor: Any,
    reason: str,
    person: Person | None = None,
    rematch: bool = False,
    now: datetime | None = None,
) -> Relationship:
    """End an active relationship early, with a reason: either of the pair or a programme manager.

    The mentor's seat is given back. With ``rematch`` both people stay in the programme's pool and
    the relationship is flagged for the next (partial) match run. Without it they leave the pool —
    the mentor only if this was their last open relationship, so a sponsor keeps their other protégés.
    """
    now = now or timezone.now()
    current = _locked(relationship)
    person = _acting_person(current, actor, "relationships.end", person, managers_too=True)
    _require_state(current, RelationshipState.ACTIVE, action="end the relationship early")
    cleaned = _text(reason, field="The reason", code="reason_required", max_length=500)
    _move(
        current,
        to=RelationshipState.ENDED_EARLY,
        ended_at=now,
        end_reason=cleaned,
        ended_by=person,
        rematch_requested=rematch,
    )
    _release_seat(current)
    if not rematch:
        leaving = [current.mentee_enrolment_id]
        if not Relationship.objects.filter(
            mentor_enrolment=current.mentor_enrolment_id, state__in=OPEN_STATES
        ).exists():
            leaving.append(current.mentor_enrolment_id)
        Enrolment.objects.filter(pk__in=leaving, status=EnrolmentStatus.ACTIVE).update(
            status=EnrolmentStatus.WITHDRAWN,
            status_reason="Left the pool when their relationship ended early without a re-match.",
            updated_at=timezone.now(),
        )
    _announce("relationship.ended", current, outcome="ended_early", rematch=rematch)
    return current


@transaction.atomic
def relationship_complete(
    *, relationship: Relationship, actor: Any, person: Person | None = None, now: datetime | None = None
) -> Relationship:
    """Complete an active relationship at its planned end (from :data:`END_WINDOW` before it).

    Either of the pair or a programme manager. The seat is given back, and the closing survey opens
    to both. Stopping sooner is ending early (:func:`relationship_end`), which asks for a reason.
    """
    now = now or timezone.now()
    current = _locked(relationship)
    person = _acting_person(current, actor, "relationships.complete", person, managers_too=True)
    _require_state(current, RelationshipState.ACTIVE, action="complete the relationship")
    planned_end = relationship_planned_end(current)
    assert planned_end is not None  # an active relationship has started
    if now < planned_end - END_WINDOW:
        raise RelationshipRuleBroken(
            f"This relationship runs until {planned_end:%d %B %Y}; to stop sooner, end it early with a reason.",
            code="too_early",
        )
    _move(current, to=RelationshipState.COMPLETED, ended_at=now, ended_by=person)
    _release_seat(current)
    _announce("relationship.ended", current, outcome="completed")
    return current
