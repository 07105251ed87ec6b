"""What relationships tell the enrolment services below them (see :mod:`twofold.programmes.holds`):
a mentee in an open pair keeps their place in the pool, and nobody leaves a pool while a pair
still counts on them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from twofold.programmes import holds
from twofold.programmes.models import Enrolment, Programme
from twofold.relationships.models import OPEN_STATES, Relationship, RelationshipState


def _mentees_in_open_pairs(programme: Programme) -> QuerySet[Any]:
    return Relationship.objects.filter(programme=programme, state__in=OPEN_STATES).values("mentee_enrolment_id")


def _withdrawal_refusal(enrolment: Enrolment) -> tuple[str, str] | None:
    mine = Relationship.objects.filter(Q(mentor_enrolment=enrolment) | Q(mentee_enrolment=enrolment))
    if mine.filter(state=RelationshipState.ACTIVE).exists():
        return "in_active_relationship", "end the active relationship first (from its page, with a reason)"
    if mine.filter(state=RelationshipState.PROPOSED).exists():
        return "in_open_proposal", "decline the open proposal first"
    return None


def register_holds() -> None:
    holds.register(
        holds.Hold(name="relationships", held_mentees=_mentees_in_open_pairs, withdrawal_refusal=_withdrawal_refusal)
    )
