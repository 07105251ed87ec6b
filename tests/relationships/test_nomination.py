"""The bridge: a senior mentee nominates their junior mentor for a sponsorship programme."""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from tests.factories import PersonFactory, ProgrammeFactory, acting
from tests.relationships.pairing import DAY, MENTEE, MENTOR, NOW, enrol, pair_up
from twofold.accounts.permissions import NotPermitted
from twofold.matchruns.matching_input import programme_pool
from twofold.programmes.enrolment_services import enrolment_respond
from twofold.programmes.models import EnrolmentRole, EnrolmentStatus, Programme, ProgrammeState
from twofold.relationships.models import Nomination, Relationship
from twofold.relationships.services import (
    RelationshipForbidden,
    RelationshipRuleBroken,
    RelationshipStateConflict,
    nomination_create,
    relationship_answer,
    relationship_complete,
    relationship_end,
)

STATEMENT = "Ana taught me more about our data platform in two months than any course."


@pytest.fixture
def rising_leaders(cast: Cast) -> Programme:
    return ProgrammeFactory(name="Rising leaders", sponsorship=True, state=ProgrammeState.ENROLLING, mentor_min_level=7)


def test_the_mentee_nominates_their_mentor_into_sponsorship(
    cast: Cast, active: Relationship, rising_leaders: Programme
) -> None:
    nomination = nomination_create(
        relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement=f"  {STATEMENT} "
    )
    assert (nomination.source, nomination.nominee, nomination.nominator, nomination.programme) == (
        active,
        cast.ana,
        cast.vp_sales,
        rising_leaders,
    )
    assert nomination.statement == STATEMENT
    candidacy = nomination.enrolment
    assert candidacy is not None
    assert (candidacy.person, candidacy.role, candidacy.nominated_by) == (cast.ana, EnrolmentRole.MENTEE, cast.vp_sales)
    # Nobody is enrolled without saying yes: the nomination waits among Ana's invitations.
    assert candidacy.status == EnrolmentStatus.INVITED
    accepted = enrolment_respond(actor=acting(candidacy.person), enrolment=candidacy, accept=True)
    assert accepted.status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.WAITLISTED)


def test_a_nominee_may_decline_and_is_never_in_the_pool(
    cast: Cast, active: Relationship, rising_leaders: Programme
) -> None:
    nomination = nomination_create(
        relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT
    )
    assert nomination.enrolment is not None
    declined = enrolment_respond(
        actor=acting(nomination.enrolment.person), enrolment=nomination.enrolment, accept=False
    )
    assert declined.status == EnrolmentStatus.DECLINED
    assert cast.ana.pk not in {e.person_id for e in programme_pool(rising_leaders).enrolments.values()}


def test_matching_sees_a_nominee_only_once_they_accept(
    cast: Cast, active: Relationship, rising_leaders: Programme
) -> None:
    nomination = nomination_create(
        relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT
    )
    assert nomination.enrolment is not None
    enrol(rising_leaders, cast.vp_tech, MENTOR)  # a sponsor's seat, so that she is not waitlisted
    assert cast.ana.pk not in {e.person_id for e in programme_pool(rising_leaders).enrolments.values()}
    enrolment_respond(actor=acting(nomination.enrolment.person), enrolment=nomination.enrolment, accept=True)
    assert cast.ana.pk in {e.person_id for e in programme_pool(rising_leaders).enrolments.values()}


def test_a_nomination_needs_no_manager_approval_once_accepted(
    cast: Cast, active: Relationship, rising_leaders: Programme
) -> None:
    rising_leaders.requires_manager_approval = True
    rising_leaders.save()
    nomination = nomination_create(
        relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT
    )
    assert nomination.enrolment is not None
    accepted = enrolment_respond(actor=acting(nomination.enrolment.person), enrolment=nomination.enrolment, accept=True)
    assert accepted.status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.WAITLISTED)


def test_a_completed_relationship_may_still_nominate(
    cast: Cast, active: Relationship, rising_leaders: Programme
) -> None:
    relationship_complete(relationship=active, actor=acting(cast.ana), now=NOW + 180 * DAY)
    assert nomination_create(
        relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT
    )


def test_the_nomination_is_made_once(cast: Cast, active: Relationship, rising_leaders: Programme) -> None:
    nomination_create(relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT)
    with pytest.raises(RelationshipRuleBroken, match="already nominated for Rising leaders by Vera Sales") as caught:
        nomination_create(relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement="Again")
    assert caught.value.code == "already_nominated"
    assert Nomination.objects.count() == 1


def test_a_second_mentee_cannot_nominate_the_same_person_into_the_same_programme(
    cast: Cast, active: Relationship, rising_leaders: Programme
) -> None:
    nomination_create(relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT)
    other_programme = ProgrammeFactory(state=ProgrammeState.RUNNING)
    other_pairing = pair_up(other_programme, cast.ana, PersonFactory(level=9, department="Legal"))
    with pytest.raises(RelationshipRuleBroken) as caught:
        nomination_create(
            relationship=other_pairing, actor=acting(other_pairing.mentee), programme=rising_leaders, statement="Me too"
        )
    assert caught.value.code == "already_nominated"


def test_someone_already_a_candidate_is_refused_with_the_programme_s_reason(
    cast: Cast, active: Relationship, rising_leaders: Programme
) -> None:
    enrol(rising_leaders, cast.ana, MENTEE)
    with pytest.raises(RelationshipRuleBroken) as caught:
        nomination_create(
            relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT
        )
    assert caught.value.code == "already_enrolled"
    assert not Nomination.objects.exists()


def test_only_the_mentee_nominates(cast: Cast, active: Relationship, rising_leaders: Programme) -> None:
    with pytest.raises(RelationshipForbidden) as caught:
        nomination_create(relationship=active, actor=acting(cast.ana), programme=rising_leaders, statement=STATEMENT)
    assert caught.value.code == "not_the_mentee"
    with pytest.raises(NotPermitted):
        nomination_create(
            relationship=active, actor=acting(cast.vp_tech), programme=rising_leaders, statement=STATEMENT
        )
    assert not Nomination.objects.exists()


def test_only_from_reverse_mentoring(cast: Cast, sponsored: Relationship, rising_leaders: Programme) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        nomination_create(relationship=sponsored, actor=acting(cast.ana), programme=rising_leaders, statement=STATEMENT)
    assert caught.value.code == "not_reverse_mentoring"


def test_not_from_a_proposal_or_an_early_ending(cast: Cast, proposed: Relationship, rising_leaders: Programme) -> None:
    with pytest.raises(RelationshipStateConflict):
        nomination_create(
            relationship=proposed, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT
        )
    relationship_answer(relationship=proposed, actor=acting(cast.ana), accept=True, now=NOW)
    relationship_answer(relationship=proposed, actor=acting(cast.vp_sales), accept=True, now=NOW)
    relationship_end(relationship=proposed, actor=acting(cast.ana), reason="Workload", now=NOW + DAY)
    with pytest.raises(RelationshipStateConflict):
        nomination_create(
            relationship=proposed, actor=acting(cast.vp_sales), programme=rising_leaders, statement=STATEMENT
        )


@pytest.mark.parametrize("state", [ProgrammeState.DRAFT, ProgrammeState.CLOSED])
def test_only_into_a_sponsorship_programme_taking_candidates(cast: Cast, active: Relationship, state: str) -> None:
    closed = ProgrammeFactory(sponsorship=True, state=state)
    with pytest.raises(RelationshipRuleBroken) as caught:
        nomination_create(relationship=active, actor=acting(cast.vp_sales), programme=closed, statement=STATEMENT)
    assert caught.value.code == "programme_closed"
    reverse = ProgrammeFactory(state=ProgrammeState.ENROLLING)
    with pytest.raises(RelationshipRuleBroken) as caught:
        nomination_create(relationship=active, actor=acting(cast.vp_sales), programme=reverse, statement=STATEMENT)
    assert caught.value.code == "not_sponsorship"


def test_a_nomination_says_why(cast: Cast, active: Relationship, rising_leaders: Programme) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        nomination_create(relationship=active, actor=acting(cast.vp_sales), programme=rising_leaders, statement="  ")
    assert caught.value.code == "statement_required"
