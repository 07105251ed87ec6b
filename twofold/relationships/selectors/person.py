"""A person's relationships, each seen from their side."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from twofold.accounts.kept_queries import KeptQuery
from twofold.people.models import Person
from twofold.programmes.models import Acceptance, Programme
from twofold.relationships.models import Agreement, Answer, Relationship, RelationshipState


def agreement_or_none(relationship: Relationship) -> Agreement | None:
    try:
        return relationship.agreement
    except Agreement.DoesNotExist:
        return None


def answer_awaited(relationship: Relationship, *, side: str, now: datetime | None = None) -> bool:
    """Whether a proposal waits for this side's answer: still proposed and not expired, not answered by
        this side yet, and this side is asked at all (in a one-sided programme the mentor accepted by enrolling,
    unless the mentee asked them: participant choice)."""
    now = now or timezone.now()
    if relationship.state != RelationshipState.PROPOSED:
        return False
    if relationship.expires_at is not None and now >= relationship.expires_at:
        return False
    if (
        side == "mentor"
        and relationship.programme.acceptance == Acceptance.ONE_SIDED
        and not relationship.requested_by_mentee
    ):
        return False
    return bool(getattr(relationship, f"{side}_answer") == Answer.PENDING)


@dataclass(frozen=True)
class PersonRelationship:
    """One of a person's relationships, seen from their side."""

    relationship: Relationship
    role: str  # "mentor" (gives) or "mentee" (receives)
    role_label: str  # mentor, mentee, sponsor or protégé, in the programme's words
    partner: Person
    programme: Programme
    agreement: Agreement | None
    awaiting_answer: bool = False  # a proposal that waits for this person's answer


# What a row shows and its callers read (the state, its dates and answers; the partner's name; the
# programme's name, kind and acceptance), no more: half of the columns of the five tables joined,
# and as much less to compile and convert. A test holds that the rows cost no query more.
PERSON_RELATIONSHIP_FIELDS = (
    "programme__name",
    "programme__kind",
    "programme__acceptance",
    "mentor__name",
    "mentee__name",
    "state",
    "requested_by_mentee",
    "mentor_answer",
    "mentee_answer",
    "proposed_at",
    "expires_at",
    "started_at",
    "ended_at",
    "meetings_held",
    "agreement__goals",
    "agreement__cadence_days",
)


def relationships_as_mentor_or_mentee(mentor: int, mentee: int) -> QuerySet[Relationship]:
    """The relationships of ``mentor`` as mentor and of ``mentee`` as mentee (one person's, given
    their id twice), with what :data:`PERSON_RELATIONSHIP_FIELDS` names, newest first."""
    return (
        Relationship.objects.filter(Q(mentor=mentor) | Q(mentee=mentee))
        .select_related("programme", "mentor", "mentee", "agreement")
        .only(*PERSON_RELATIONSHIP_FIELDS)
        .order_by("-proposed_at", "pk")
    )


# Read on every visit to "My programmes" (every state), always in the same shape.
RELATIONSHIPS_OF_PERSON = KeptQuery(
    Relationship,
    relationships_as_mentor_or_mentee,
    parameters=("mentor", "mentee"),
    samples=lambda: ((1, 2), (3, 4)),
)


def relationships_of_person(
    *,
    person: Person,
    states: Iterable[str] | None = None,
    awaiting_first: bool = False,
    now: datetime | None = None,
) -> list[PersonRelationship]:
    """The person's relationships as mentor or mentee, with partner, programme and agreement: one query.

    Newest first; with ``awaiting_first``, the proposals waiting for this person's answer come before
    the rest, so that nobody misses one.
    """
    now = now or timezone.now()
    if states is None:
        rows: Iterable[Relationship] = RELATIONSHIPS_OF_PERSON.objects(person.pk, person.pk)
    else:
        rows = relationships_as_mentor_or_mentee(person.pk, person.pk).filter(state__in=list(states))
    result = []
    for relationship in rows:
        as_mentor = relationship.mentor_id == person.pk
        programme = relationship.programme
        role = "mentor" if as_mentor else "mentee"
        result.append(
            PersonRelationship(
                relationship=relationship,
                role=role,
                role_label=programme.mentor_label if as_mentor else programme.mentee_label,
                partner=relationship.mentee if as_mentor else relationship.mentor,
                programme=programme,
                agreement=agreement_or_none(relationship),
                awaiting_answer=answer_awaited(relationship, side=role, now=now),
            )
        )
    if awaiting_first:
        result.sort(key=lambda row: not row.awaiting_answer)  # stable: newest first within each group
    return result
