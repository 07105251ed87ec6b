"""The invariants under truly concurrent requests (issue 4 point 7), on PostgreSQL.

Each request runs in its own thread with its own database connection and its own transaction;
a barrier releases them together once every one is connected. SQLite lets one writer in at a time,
so there these races cannot happen and the tests are skipped; test_invariants.py runs the same
requests one after the other on both databases.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tests.factories import OPERATOR, EnrolmentFactory, PersonFactory, ProgrammeFactory, acting
from tests.relationships.pairing import DAY, MENTEE, MENTOR, NOW, pair_up, propose
from twofold.people.models import Person
from twofold.programmes.models import Acceptance, Enrolment, Programme, ProgrammeState
from twofold.relationships.models import OPEN_STATES, Agreement, Nomination, Relationship, RelationshipState
from twofold.relationships.services import (
    RelationshipRuleBroken,
    nomination_create,
    relationship_answer,
    relationship_complete,
    relationship_end,
    relationship_propose,
    relationships_expire,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so requests cannot race (see test_invariants.py)",
    ),
]

# Each race runs a few times on fresh rows, so that one lucky interleaving cannot hide a bug.
attempts = pytest.mark.parametrize("attempt", range(3))


def race(*requests: Callable[[], Any]) -> list[str]:
    """Run the requests at the same moment, each in its own thread and connection; return each one's
    outcome: "ok", or the code of the refusal it got. Any other exception fails the test."""
    barrier = threading.Barrier(len(requests))
    outcomes: list[str] = [""] * len(requests)
    crashes: list[BaseException] = []

    def run(index: int, request: Callable[[], Any]) -> None:
        try:
            connections["default"].ensure_connection()  # connect first, so that the barrier times the requests
            barrier.wait(timeout=30)
            request()
            outcomes[index] = "ok"
        except RelationshipRuleBroken as refusal:
            outcomes[index] = refusal.code
        except BaseException as crash:  # reported below, in the test's own thread
            crashes.append(crash)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, request)) for n, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung (a lock never released?)"
    if crashes:
        raise crashes[0]
    return outcomes


def sponsorship(**fields: Any) -> Programme:
    return ProgrammeFactory(sponsorship=True, **{"state": ProgrammeState.MATCHING, **fields})


def people(count: int, level: int) -> list[Person]:
    return [PersonFactory(level=level) for _ in range(count)]


@pytest.mark.parametrize("taken", [0, 2])
@attempts
def test_eight_requests_for_a_sponsor_s_seats_never_exceed_capacity(taken: int, attempt: int) -> None:
    programme = sponsorship()
    sponsor = EnrolmentFactory(programme=programme, person=PersonFactory(level=9), role=MENTOR, capacity=3)
    for protege in people(taken, level=3):
        propose(programme, sponsor.person, protege)
    candidates = [EnrolmentFactory(programme=programme, person=p, role=MENTEE) for p in people(8, level=3)]

    outcomes = race(
        *(
            lambda candidate=candidate: relationship_propose(
                actor=OPERATOR, programme=programme, mentor_enrolment=sponsor, mentee_enrolment=candidate, now=NOW
            )
            for candidate in candidates
        )
    )

    assert Counter(outcomes) == {"ok": 3 - taken, "no_free_seat": 5 + taken}
    sponsor.refresh_from_db()
    open_relationships = Relationship.objects.filter(mentor_enrolment=sponsor, state__in=OPEN_STATES).count()
    assert sponsor.seats_taken == open_relationships == 3


@attempts
def test_proposals_from_eight_mentors_for_one_mentee_leave_one_open(attempt: int) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING)
    mentee = EnrolmentFactory(programme=programme, person=PersonFactory(level=9), role=MENTEE)
    mentors = [EnrolmentFactory(programme=programme, person=p, role=MENTOR) for p in people(8, level=2)]

    outcomes = race(
        *(
            lambda mentor=mentor: relationship_propose(
                actor=OPERATOR, programme=programme, mentor_enrolment=mentor, mentee_enrolment=mentee, now=NOW
            )
            for mentor in mentors
        )
    )

    assert Counter(outcomes) == {"ok": 1, "mentee_already_paired": 7}
    assert Relationship.objects.filter(mentee_enrolment=mentee, state__in=OPEN_STATES).count() == 1
    # Only the winner's seat is taken: the losers' increments were never made or rolled back.
    seats = dict(Enrolment.objects.filter(pk__in=[m.pk for m in mentors]).values_list("pk", "seats_taken"))
    assert sorted(seats.values()) == [0] * 7 + [1]


@attempts
def test_accept_and_decline_racing_on_one_proposal_change_it_once(attempt: int) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, acceptance=Acceptance.ONE_SIDED)
    mentor, mentee = PersonFactory(level=2), PersonFactory(level=9)
    proposal = propose(programme, mentor, mentee)

    outcomes = race(
        *(
            lambda accept=accept: relationship_answer(
                relationship=proposal, actor=acting(mentee), accept=accept, now=NOW + DAY
            )
            for accept in (True, False, True, False)
        )
    )

    assert Counter(outcomes) == {"ok": 1, "not_proposed": 3}
    proposal.refresh_from_db()
    winner_accepted = outcomes.index("ok") in (0, 2)
    seats = Enrolment.objects.get(pk=proposal.mentor_enrolment_id).seats_taken
    if winner_accepted:
        assert (proposal.state, seats) == (RelationshipState.ACTIVE, 1)
        assert Agreement.objects.filter(relationship=proposal).count() == 1
    else:
        assert (proposal.state, seats) == (RelationshipState.DECLINED, 0)
        assert not Agreement.objects.filter(relationship=proposal).exists()


@attempts
def test_both_accepting_at_once_start_the_relationship_exactly_once(attempt: int) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING)
    mentor, mentee = PersonFactory(level=2), PersonFactory(level=9)
    proposal = propose(programme, mentor, mentee)

    outcomes = race(
        lambda: relationship_answer(relationship=proposal, actor=acting(mentor), accept=True, now=NOW + DAY),
        lambda: relationship_answer(relationship=proposal, actor=acting(mentee), accept=True, now=NOW + DAY),
    )

    # Neither answer is lost: whoever comes second sees the first and starts the relationship.
    assert outcomes == ["ok", "ok"]
    proposal.refresh_from_db()
    assert proposal.state == RelationshipState.ACTIVE
    assert Agreement.objects.filter(relationship=proposal).count() == 1


@attempts
def test_expiry_racing_an_acceptance_leaves_one_consistent_outcome(attempt: int) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, acceptance=Acceptance.ONE_SIDED)
    mentor, mentee = PersonFactory(level=2), PersonFactory(level=9)
    proposal = propose(programme, mentor, mentee)
    assert proposal.expires_at is not None

    outcomes = race(
        # The mentee clicks just before the deadline while the daily job runs just after it.
        lambda: relationship_answer(
            relationship=proposal, actor=acting(mentee), accept=True, now=proposal.expires_at - DAY / 24
        ),
        lambda: relationships_expire(now=proposal.expires_at),
    )

    proposal.refresh_from_db()
    seats = Enrolment.objects.get(pk=proposal.mentor_enrolment_id).seats_taken
    assert (proposal.state, seats) in {(RelationshipState.ACTIVE, 1), (RelationshipState.EXPIRED, 0)}
    assert outcomes[0] == ("ok" if proposal.state == RelationshipState.ACTIVE else "not_proposed")


@attempts
def test_ending_and_completing_at_once_give_the_seat_back_once(attempt: int) -> None:
    programme = sponsorship(state=ProgrammeState.RUNNING)
    sponsor, protege = PersonFactory(level=9), PersonFactory(level=3)
    relationship = pair_up(programme, sponsor, protege)
    late = NOW + 400 * DAY

    outcomes = race(
        lambda: relationship_end(relationship=relationship, actor=acting(protege), reason="Moving on", now=late),
        lambda: relationship_complete(relationship=relationship, actor=acting(sponsor), now=late),
    )

    assert sorted(outcomes) == ["not_active", "ok"]
    relationship.refresh_from_db()
    expected = RelationshipState.ENDED_EARLY if outcomes[0] == "ok" else RelationshipState.COMPLETED
    assert relationship.state == expected
    assert Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken == 0


@attempts
def test_two_mentees_nominating_the_same_mentor_at_once_make_one_nomination(attempt: int) -> None:
    junior = PersonFactory(level=2, high_potential=True)
    sources = [
        pair_up(ProgrammeFactory(state=ProgrammeState.RUNNING), junior, PersonFactory(level=9)) for _ in range(2)
    ]
    target = sponsorship(state=ProgrammeState.ENROLLING)

    outcomes = race(
        *(
            lambda source=source: nomination_create(
                relationship=source, actor=acting(source.mentee), programme=target, statement="Ready for more"
            )
            for source in sources
        )
    )

    assert sorted(outcomes) == ["already_nominated", "ok"]
    assert Nomination.objects.filter(nominee=junior, programme=target).count() == 1
    assert Enrolment.objects.filter(person=junior, programme=target).count() == 1


def test_the_helper_reports_what_each_request_got() -> None:
    # The race helper itself: an outcome per request, in order, refusals by their code.
    programme = ProgrammeFactory(state=ProgrammeState.DRAFT)
    mentor = EnrolmentFactory(programme=programme, person=PersonFactory(level=2), role=MENTOR)
    mentee = EnrolmentFactory(programme=programme, person=PersonFactory(level=9), role=MENTEE)
    outcomes = race(
        lambda: None,
        lambda: relationship_propose(
            actor=OPERATOR, programme=programme, mentor_enrolment=mentor, mentee_enrolment=mentee, now=NOW
        ),
    )
    assert outcomes == ["ok", "programme_not_matching"]
