"""The invariants of issue 4 point 7, on any database: held by constraints even against writes that
skip the services, and by the services through any sequence of requests.

The same races run truly concurrently on PostgreSQL in test_concurrency.py; here they run one after
the other, which is all SQLite (one writer at a time) can show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from tests.factories import OPERATOR, EnrolmentFactory, PersonFactory, ProgrammeFactory, RelationshipFactory, acting
from tests.relationships.pairing import DAY, MENTEE, MENTOR, NOW, enrol, propose
from twofold.people.models import Person
from twofold.programmes.models import Acceptance, Enrolment, Programme, ProgrammeState
from twofold.relationships.models import (
    OPEN_STATES,
    RELATIONSHIP_TRANSITIONS,
    CheckIn,
    CheckInPoint,
    Meeting,
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.relationships.services import (
    RelationshipRuleBroken,
    RelationshipStateConflict,
    relationship_answer,
    relationship_complete,
    relationship_end,
    relationship_propose,
    relationships_expire,
)

# --- the database's own guarantees ---------------------------------------------------------------


def test_the_database_refuses_a_seat_beyond_capacity(db) -> None:
    enrolment = EnrolmentFactory(capacity=3, seats_taken=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.filter(pk=enrolment.pk).update(seats_taken=4)


def test_the_database_refuses_a_seat_count_below_zero(db) -> None:
    # So that giving a seat back twice could never pass silently.
    enrolment = EnrolmentFactory(seats_taken=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.filter(pk=enrolment.pk).update(seats_taken=-1)


def test_the_database_refuses_a_second_open_relationship_for_a_mentee(db) -> None:
    first = RelationshipFactory(state=RelationshipState.ACTIVE)
    other_mentor = EnrolmentFactory(programme=first.programme, person=PersonFactory(level=2))
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.create(
            programme=first.programme,
            mentor=other_mentor.person,
            mentee=first.mentee,
            mentor_enrolment=other_mentor,
            mentee_enrolment=first.mentee_enrolment,
            state=RelationshipState.PROPOSED,
            proposed_at=NOW,
        )
    # A finished relationship does not count: the mentee may be paired again.
    Relationship.objects.filter(pk=first.pk).update(state=RelationshipState.ENDED_EARLY)
    Relationship.objects.create(
        programme=first.programme,
        mentor=other_mentor.person,
        mentee=first.mentee,
        mentor_enrolment=other_mentor,
        mentee_enrolment=first.mentee_enrolment,
        proposed_at=NOW,
    )


def test_the_database_refuses_a_person_paired_with_themselves(db) -> None:
    relationship = RelationshipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.filter(pk=relationship.pk).update(mentee=relationship.mentor)


def test_the_database_refuses_a_second_check_in_or_private_note(db) -> None:
    relationship = RelationshipFactory(state=RelationshipState.ACTIVE)
    values = {"satisfaction": 3, "psychological_safety": 3, "progress": 3, "submitted_at": NOW}
    CheckIn.objects.create(relationship=relationship, person=relationship.mentor, point=CheckInPoint.FIT, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(relationship=relationship, person=relationship.mentor, point=CheckInPoint.FIT, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(
            relationship=relationship, person=relationship.mentee, point=CheckInPoint.FIT, **{**values, "progress": 6}
        )
    meeting = Meeting.objects.create(relationship=relationship, starts_at=NOW)
    PrivateNote.objects.create(meeting=meeting, author=relationship.mentor, text="one")
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivateNote.objects.create(meeting=meeting, author=relationship.mentor, text="two")


# --- the races, one request after the other ------------------------------------------------------


def outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except RelationshipRuleBroken as refusal:
        return refusal.code
    return "ok"


def test_eight_requests_for_three_seats_fill_three(db) -> None:
    programme = ProgrammeFactory(sponsorship=True, state=ProgrammeState.MATCHING)
    sponsor = EnrolmentFactory(programme=programme, person=PersonFactory(level=9), role=MENTOR, capacity=3)
    proteges = [EnrolmentFactory(programme=programme, person=PersonFactory(level=3), role=MENTEE) for _ in range(8)]
    results = Counter(
        outcome(
            lambda protege=protege: relationship_propose(
                actor=OPERATOR, programme=programme, mentor_enrolment=sponsor, mentee_enrolment=protege, now=NOW
            )
        )
        for protege in proteges
    )
    assert results == {"ok": 3, "no_free_seat": 5}
    sponsor.refresh_from_db()
    assert sponsor.seats_taken == 3 == Relationship.objects.filter(mentor_enrolment=sponsor).count()


def test_two_proposals_for_one_mentee_leave_one_open(cast: Cast, reverse_mentoring: Programme) -> None:
    cara = PersonFactory(level=2, department="Finance")
    results = [
        outcome(lambda mentor=mentor: propose(reverse_mentoring, mentor, cast.vp_sales)) for mentor in (cast.ana, cara)
    ]
    assert results == ["ok", "mentee_already_paired"]
    assert Relationship.objects.filter(mentee=cast.vp_sales, state__in=OPEN_STATES).count() == 1
    assert Enrolment.objects.get(programme=reverse_mentoring, person=cara).seats_taken == 0


def test_two_answers_to_one_proposal_change_it_once(cast: Cast, proposed: Relationship) -> None:
    results = [
        outcome(lambda: relationship_answer(relationship=proposed, actor=acting(cast.ana), accept=False, now=NOW)),
        outcome(lambda: relationship_answer(relationship=proposed, actor=acting(cast.vp_sales), accept=True, now=NOW)),
    ]
    assert results == ["ok", "not_proposed"]
    proposed.refresh_from_db()
    assert proposed.state == RelationshipState.DECLINED
    assert Enrolment.objects.get(pk=proposed.mentor_enrolment_id).seats_taken == 0


def test_ending_and_completing_give_the_seat_back_once(cast: Cast, active: Relationship) -> None:
    late = NOW + 200 * DAY
    results = [
        outcome(lambda: relationship_end(relationship=active, actor=acting(cast.ana), reason="Moving on", now=late)),
        outcome(lambda: relationship_complete(relationship=active, actor=acting(cast.vp_sales), now=late)),
    ]
    assert results == ["ok", "not_active"]
    assert Enrolment.objects.get(pk=active.mentor_enrolment_id).seats_taken == 0


# --- any sequence of requests keeps the invariants -----------------------------------------------

# Proposals and acceptances weigh more, so that sequences reach active relationships to end or complete.
ACTIONS = (
    "propose",
    "propose",
    "propose",
    "accept",
    "accept",
    "accept",
    "decline",
    "end",
    "rematch",
    "complete",
    "expire",
)


def check_invariants(programme: Programme, seen: dict[int, str]) -> None:
    """Seats match open relationships within capacity; a mentee has one open relationship; nobody is
    paired inside their reporting chain; every state reached from the last along an allowed edge."""
    relationships = list(Relationship.objects.filter(programme=programme).select_related("mentor", "mentee"))
    open_by_mentor = Counter(r.mentor_enrolment_id for r in relationships if r.state in OPEN_STATES)
    for enrolment in Enrolment.objects.filter(programme=programme, role=MENTOR):
        assert enrolment.seats_taken == open_by_mentor[enrolment.pk] <= enrolment.capacity
    open_by_mentee = Counter(r.mentee_id for r in relationships if r.state in OPEN_STATES)
    assert all(count <= 1 for count in open_by_mentee.values())
    for relationship in relationships:
        assert not relationship.mentor.shares_reporting_chain(relationship.mentee)
        before = seen.get(relationship.pk)
        assert before is None or relationship.state == before or relationship.state in RELATIONSHIP_TRANSITIONS[before]
        seen[relationship.pk] = relationship.state


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 3), st.integers(0, 4), st.booleans()),
        min_size=5,
        max_size=30,
    ),
    one_sided=st.booleans(),
)
def test_any_sequence_of_requests_keeps_the_invariants(
    cast: Cast, steps: list[tuple[str, int, int, bool]], one_sided: bool
) -> None:
    with transaction.atomic():
        programme = ProgrammeFactory(
            sponsorship=True,
            state=ProgrammeState.RUNNING,
            capacity=2,
            acceptance=Acceptance.ONE_SIDED if one_sided else Acceptance.TWO_SIDED,
        )
        # Victor and Vera sponsor; Ana (Victor's chain) and Ben (Vera's) are protégés with three others.
        sponsors: list[Person] = [cast.vp_tech, cast.vp_sales, PersonFactory(level=9, department="Legal")]
        proteges: list[Person] = [cast.ana, cast.ben, *(PersonFactory(level=3, department="Ops") for _ in range(3))]
        for person in sponsors:
            enrol(programme, person, MENTOR)
        for person in proteges:
            enrol(programme, person, MENTEE)
        seen: dict[int, str] = {}
        clock: datetime = NOW
        for action, i, j, flag in steps:
            clock += DAY
            # Mostly act on a relationship in the state the action is for, sometimes on any (to be refused).
            existing = list(Relationship.objects.filter(programme=programme).order_by("pk"))
            wanted = RelationshipState.PROPOSED if action in ("accept", "decline") else RelationshipState.ACTIVE
            pool = [r for r in existing if r.state == wanted and i < 3] or existing
            target = pool[j % len(pool)] if pool else None
            try:
                if action == "propose":
                    propose(programme, sponsors[i % len(sponsors)], proteges[j], now=clock)
                elif action == "expire":
                    relationships_expire(now=clock)
                elif target is None:
                    continue
                elif action in ("accept", "decline"):
                    person = target.mentor if flag else target.mentee
                    relationship_answer(relationship=target, actor=acting(person), accept=action == "accept", now=clock)
                elif action in ("end", "rematch"):
                    relationship_end(
                        relationship=target,
                        actor=acting(target.mentee),
                        reason="Test",
                        rematch=action == "rematch",
                        now=clock,
                    )
                else:
                    relationship_complete(relationship=target, actor=acting(target.mentor), now=clock + 400 * DAY)
            except (RelationshipRuleBroken, RelationshipStateConflict):
                pass  # refusals are expected; what matters is what holds afterwards
            check_invariants(programme, seen)
        transaction.set_rollback(True)
