"""Building blocks for the relationship tests: a fixed clock, enrolling people, making pairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import OPERATOR, EnrolmentFactory, acting
from twofold.people.models import Person
from twofold.programmes.models import Enrolment, EnrolmentRole, Programme
from twofold.relationships.models import Relationship
from twofold.relationships.services import relationship_answer, relationship_propose

# Every test runs on this clock: services take ``now``, so nothing depends on the wall clock.
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MENTOR, MENTEE = EnrolmentRole.MENTOR, EnrolmentRole.MENTEE


def enrol(programme: Programme, person: Person, role: str, **fields: object) -> Enrolment:
    """The person's enrolment in the programme, created in the pool when they have none yet."""
    existing = Enrolment.objects.filter(programme=programme, person=person).first()
    return existing or EnrolmentFactory(programme=programme, person=person, role=role, **fields)


def propose(
    programme: Programme, mentor: Person, mentee: Person, *, now: datetime = NOW, **kwargs: object
) -> Relationship:
    return relationship_propose(
        actor=OPERATOR,
        programme=programme,
        mentor_enrolment=enrol(programme, mentor, MENTOR),
        mentee_enrolment=enrol(programme, mentee, MENTEE),
        now=now,
        **kwargs,  # type: ignore[arg-type]
    )


def pair_up(programme: Programme, mentor: Person, mentee: Person, *, now: datetime = NOW) -> Relationship:
    """Propose and have both accept: an active relationship that started at ``now``."""
    relationship = propose(programme, mentor, mentee, now=now)
    relationship_answer(relationship=relationship, actor=acting(mentor), accept=True, now=now)
    relationship_answer(relationship=relationship, actor=acting(mentee), accept=True, now=now)
    relationship.refresh_from_db()
    return relationship
