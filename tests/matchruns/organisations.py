"""Random small organisations with a programme, its pool and a history of pairs, for the property
tests that hold the engine's bulk rules and the services' one-pair check to one another.

:func:`organisations` draws a plain description (:class:`OrganisationSpec`); :func:`build` writes it
to the database directly (no service checks a rule: histories that no service could have made
today, such as a person enrolled before a reorganisation moved them out of range, are the point).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from hypothesis import strategies as st

from tests.factories import ProgrammeFactory
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild
from twofold.programmes.models import (
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    Programme,
    ProgrammeKind,
    ProgrammeState,
)
from twofold.relationships.models import OPEN_STATES, Relationship, RelationshipState

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MENTOR, MENTEE = EnrolmentRole.MENTOR, EnrolmentRole.MENTEE
# Where an earlier pair happened: this programme, another of the same kind, one of the other kind.
HERE, SAME_KIND, OTHER_KIND = "here", "same kind", "other kind"


@dataclass(frozen=True)
class PersonSpec:
    level: int
    manager: int | None
    department: str
    location: str
    high_potential: bool
    active: bool


@dataclass(frozen=True)
class EnrolmentSpec:
    role: str
    status: str
    capacity: int
    nominated: bool


@dataclass(frozen=True)
class HistorySpec:
    """A relationship between people ``mentor`` and ``mentee`` (indices) in state ``state``."""

    mentor: int
    mentee: int
    state: str
    where: str


@dataclass(frozen=True)
class OrganisationSpec:
    people: list[PersonSpec]
    sponsorship: bool
    settings: dict[str, object]
    enrolments: dict[int, EnrolmentSpec]
    avoid: list[tuple[int, int]] = field(default_factory=list)
    history: list[HistorySpec] = field(default_factory=list)


def rarely(draw: st.DrawFn, odds: int = 8) -> bool:
    """True about once in ``odds`` (a power of two) draws, False in the simplest example. Made of
    fair coins: Hypothesis favours the ends of a range, so a list with one odd value in it would
    draw that value far more often than its share."""
    return all(draw(st.booleans()) for _ in range(odds.bit_length() - 1))


def _band(draw: st.DrawFn, low: int, high: int) -> tuple[int | None, int | None]:
    """An optional [low, high] range within the given levels, each end mostly open."""
    a = draw(st.integers(low, high)) if rarely(draw) else None
    b = draw(st.integers(low, high)) if rarely(draw) else None
    if a is not None and b is not None and a > b:
        a, b = b, a
    return a, b


@st.composite
def organisations(draw: st.DrawFn) -> OrganisationSpec:
    """A directory of 4-10 people, most of them in the pool, with levels that mostly suit their side
    (so that many pairs come close to being allowed and the rule deciding them varies)."""
    n = draw(st.integers(4, 10))
    sponsorship = draw(st.booleans())
    roles = [None if rarely(draw) else draw(st.sampled_from([MENTOR, MENTEE])) for _ in range(n)]
    junior, senior = st.integers(1, 6), st.integers(3, 9)
    people = [
        PersonSpec(
            level=draw((senior if sponsorship else junior) if role == MENTOR else (junior if sponsorship else senior)),
            manager=draw(st.none() | st.integers(0, index - 1)) if index else None,
            department=draw(st.sampled_from(["Eng", "Sales", "Ops"])),
            location=draw(st.sampled_from(["London", "Nairobi"])),
            high_potential=draw(st.booleans()),
            active=not rarely(draw, 16),
        )
        for index, role in enumerate(roles)
    ]
    mentor_min, mentor_max = _band(draw, 1, 9)
    mentee_min, mentee_max = _band(draw, 1, 9)
    min_gap = draw(st.integers(0, 3))
    settings: dict[str, object] = {
        "mentor_min_level": mentor_min,
        "mentor_max_level": mentor_max,
        "mentee_min_level": mentee_min,
        "mentee_max_level": mentee_max,
        "min_level_gap": min_gap,
        "max_level_gap": draw(st.none() | st.integers(min_gap, min_gap + 4)),
        "requires_high_potential": rarely(draw, 4),
        "allow_repeat_pairs": draw(st.booleans()),
        "capacity": draw(st.integers(1, 3)),
        "state": draw(st.sampled_from([ProgrammeState.MATCHING, ProgrammeState.RUNNING])),
    }
    out_of_pool = st.sampled_from([EnrolmentStatus.WITHDRAWN, EnrolmentStatus.WAITLISTED])
    enrolments = {
        index: EnrolmentSpec(
            role=role,
            status=draw(out_of_pool) if rarely(draw, 16) else EnrolmentStatus.ACTIVE,
            capacity=draw(st.integers(1, 3)),
            nominated=draw(st.booleans()) if role == MENTEE else False,
        )
        for index, role in enumerate(roles)
        if role is not None
    }
    # Wishes and earlier pairs mostly between the pool's two sides, where they decide something; an
    # earlier pair may have run the other way round (the protégé then the sponsor).
    mentors = [index for index, role in enumerate(roles) if role == MENTOR] or list(range(n))
    mentees = [index for index, role in enumerate(roles) if role == MENTEE] or list(range(n))
    pair = st.tuples(st.sampled_from(mentors), st.sampled_from(mentees))
    avoid = [
        (b, a) if by_mentee else (a, b)
        for (a, b), by_mentee in draw(st.lists(st.tuples(pair, st.booleans()), max_size=3))
    ]
    states = st.sampled_from(RelationshipState.values)
    places = st.sampled_from([HERE, SAME_KIND, HERE, SAME_KIND, OTHER_KIND])
    history = [
        HistorySpec(mentor=b, mentee=a, state=state, where=where)
        if turned and where != HERE
        else HistorySpec(mentor=a, mentee=b, state=state, where=where)
        for (a, b), state, where, turned in draw(st.lists(st.tuples(pair, states, places, st.booleans()), max_size=10))
    ]
    return OrganisationSpec(people, sponsorship, settings, enrolments, avoid, history)


@dataclass
class Organisation:
    people: list[Person]
    programme: Programme
    enrolments: dict[int, Enrolment]
    programmes: dict[str, Programme]


@dataclass(frozen=True)
class Fact:
    """One more thing that may keep two people apart: a wish (``avoid``, by the mentee or not) or a
    pair of them in ``state`` at ``where`` (``turned``: with the roles the other way round)."""

    avoid: bool
    by_mentee: bool = False
    where: str = HERE
    state: str = RelationshipState.COMPLETED
    turned: bool = False


facts = st.one_of(
    st.builds(Fact, avoid=st.just(True), by_mentee=st.booleans()),
    st.builds(
        Fact,
        avoid=st.just(False),
        where=st.sampled_from([HERE, SAME_KIND, OTHER_KIND]),
        state=st.sampled_from(RelationshipState.values),
        turned=st.booleans(),
    ),
)


def add_fact(organisation: Organisation, mentor: Enrolment, mentee: Enrolment, fact: Fact) -> bool:
    """Write ``fact`` about the pool's ``mentor`` and ``mentee``; False when the database could not
    hold it (an open pair where one is already open, a role taken the other way round)."""
    if fact.avoid:
        wisher, other = (mentee, mentor.person) if fact.by_mentee else (mentor, mentee.person)
        wisher.avoid.add(other)
        return True
    where = organisation.programmes[fact.where]
    people = (mentee.person, mentor.person) if fact.turned and fact.where != HERE else (mentor.person, mentee.person)
    sides = []
    for person, role in zip(people, (MENTOR, MENTEE), strict=True):
        enrolment = Enrolment.objects.filter(programme=where, person=person).first() or Enrolment.objects.create(
            programme=where, person=person, role=role, status=EnrolmentStatus.WITHDRAWN, capacity=3
        )
        if enrolment.role != role:
            return False
        sides.append(enrolment)
    giver, receiver = sides
    if fact.state in OPEN_STATES:
        if (
            giver.seats_taken >= giver.capacity
            or Relationship.objects.filter(programme=where, mentee=receiver.person, state__in=OPEN_STATES).exists()
        ):
            return False
        Enrolment.objects.filter(pk=giver.pk).update(seats_taken=giver.seats_taken + 1)
    Relationship.objects.create(
        programme=where,
        mentor=giver.person,
        mentee=receiver.person,
        mentor_enrolment=giver,
        mentee_enrolment=receiver,
        state=fact.state,
        proposed_at=NOW,
    )
    for enrolment in (mentor, mentee):
        enrolment.refresh_from_db()
    return True


def build(spec: OrganisationSpec) -> Organisation:
    """Write ``spec`` to the database in a few bulk writes: the directory and its tree, the programme
    and its pool, two other programmes for earlier pairs, and the pairs. Pairs the database's own
    constraints would refuse (a second open pair for a mentee or for the same two people, a seat
    beyond capacity, two roles in one programme) are left out."""
    people = Person.objects.bulk_create(
        Person(
            employee_id=f"E{index:02d}",
            name=f"Person {index:02d}",
            email=f"e{index:02d}@example.org",
            level=person.level,
            department=person.department,
            location=person.location,
            high_potential=person.high_potential,
            active=person.active,
        )
        for index, person in enumerate(spec.people)
    )
    for person, described in zip(people, spec.people, strict=True):
        person.manager = people[described.manager] if described.manager is not None else None
    Person.objects.bulk_update(people, ["manager"])
    people_tree_rebuild()
    people = list(Person.objects.filter(pk__in=[person.pk for person in people]).order_by("employee_id"))
    kind = ProgrammeKind.SPONSORSHIP if spec.sponsorship else ProgrammeKind.REVERSE_MENTORING
    other = ProgrammeKind.REVERSE_MENTORING if spec.sponsorship else ProgrammeKind.SPONSORSHIP
    programme = ProgrammeFactory(name="Here", kind=kind, **spec.settings)
    programmes = {
        HERE: programme,
        SAME_KIND: ProgrammeFactory(name="Earlier, same kind", kind=kind, state=ProgrammeState.CLOSED),
        OTHER_KIND: ProgrammeFactory(name="Earlier, other kind", kind=other, state=ProgrammeState.CLOSED),
    }
    # Every enrolment by (programme, person index): the pool here; in the earlier programmes one is
    # made (withdrawn, so in no pool) for whoever had a pair there.
    enrolments: dict[tuple[str, int], Enrolment] = {
        (HERE, index): Enrolment(
            programme=programme,
            person=people[index],
            role=enrolment.role,
            status=enrolment.status,
            capacity=enrolment.capacity if enrolment.role == MENTOR else 1,
            nominated_by=people[(index + 1) % len(people)] if enrolment.nominated else None,
        )
        for index, enrolment in spec.enrolments.items()
    }
    pairs: list[tuple[HistorySpec, tuple[str, int], tuple[str, int]]] = []
    open_mentees: set[tuple[str, int]] = set()
    for pair in spec.history:
        mentor, mentee = (pair.where, pair.mentor), (pair.where, pair.mentee)
        for key, role in ((mentor, MENTOR), (mentee, MENTEE)):
            if key not in enrolments and pair.where != HERE:
                enrolments[key] = Enrolment(
                    programme=programmes[pair.where],
                    person=people[key[1]],
                    role=role,
                    status=EnrolmentStatus.WITHDRAWN,
                    capacity=3,
                )
        if (
            pair.mentor == pair.mentee
            or enrolments.get(mentor) is None
            or enrolments[mentor].role != MENTOR
            or enrolments.get(mentee) is None
            or enrolments[mentee].role != MENTEE
        ):
            continue
        if pair.state in OPEN_STATES:
            seat = enrolments[mentor]
            if mentee in open_mentees or seat.seats_taken >= seat.capacity:
                continue
            open_mentees.add(mentee)
            seat.seats_taken += 1
        pairs.append((pair, mentor, mentee))
    Enrolment.objects.bulk_create(enrolments.values())
    Relationship.objects.bulk_create(
        Relationship(
            programme=programmes[pair.where],
            mentor=people[pair.mentor],
            mentee=people[pair.mentee],
            mentor_enrolment=enrolments[mentor],
            mentee_enrolment=enrolments[mentee],
            state=pair.state,
            proposed_at=NOW,
        )
        for pair, mentor, mentee in pairs
    )
    Enrolment.avoid.through.objects.bulk_create(
        {
            (index, avoided): Enrolment.avoid.through(enrolment=enrolments[(HERE, index)], person=people[avoided])
            for index, avoided in spec.avoid
            if (HERE, index) in enrolments and index != avoided
        }.values()
    )
    pool = {index: enrolments[(HERE, index)] for index in spec.enrolments}
    return Organisation(people=people, programme=programme, enrolments=pool, programmes=programmes)
