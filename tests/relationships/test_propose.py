"""Proposing a pair: every hard rule is checked again on locked rows, and a refusal writes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from tests.factories import OPERATOR, PersonFactory, ProgrammeFactory, RelationshipFactory, acting
from tests.relationships.pairing import DAY, MENTEE, MENTOR, NOW, enrol, propose
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild, person_set_manager
from twofold.programmes.models import (
    Acceptance,
    Enrolment,
    EnrolmentStatus,
    MatchingMode,
    Programme,
    ProgrammeState,
)
from twofold.relationships.models import Answer, Relationship, RelationshipState
from twofold.relationships.services import (
    RelationshipRuleBroken,
    choosing_refusal,
    relationship_answer,
    relationship_propose,
)


def refused(programme: Programme, mentor_enrolment: Enrolment, mentee_enrolment: Enrolment, **kwargs: object) -> str:
    """Propose, expect a refusal, check that nothing was written, and return the rule's code."""
    seats_before = Enrolment.objects.get(pk=mentor_enrolment.pk).seats_taken
    relationships_before = Relationship.objects.count()
    with pytest.raises(RelationshipRuleBroken) as caught:
        relationship_propose(
            actor=OPERATOR,
            programme=programme,
            mentor_enrolment=mentor_enrolment,
            mentee_enrolment=mentee_enrolment,
            now=NOW,
            **kwargs,  # type: ignore[arg-type]
        )
    assert Enrolment.objects.get(pk=mentor_enrolment.pk).seats_taken == seats_before
    assert Relationship.objects.count() == relationships_before
    assert caught.value.message
    return caught.value.code


def test_a_proposal_takes_a_seat_and_expires_after_the_programme_s_days(cast: Cast, reverse_mentoring) -> None:
    relationship = propose(reverse_mentoring, cast.ana, cast.vp_sales, score=0.8, breakdown={"skills": 0.8})
    assert relationship.state == RelationshipState.PROPOSED
    assert (relationship.mentor, relationship.mentee) == (cast.ana, cast.vp_sales)
    assert relationship.expires_at == NOW + 10 * DAY
    assert (relationship.score, relationship.breakdown) == (0.8, {"skills": 0.8})
    assert (relationship.mentor_answer, relationship.mentee_answer) == (Answer.PENDING, Answer.PENDING)
    assert Enrolment.objects.get(person=cast.ana, programme=reverse_mentoring).seats_taken == 1


def test_one_sided_programme_counts_the_mentor_s_enrolment_as_acceptance(cast: Cast) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, acceptance=Acceptance.ONE_SIDED)
    relationship = propose(programme, cast.ana, cast.vp_sales)
    assert (relationship.mentor_answer, relationship.mentee_answer) == (Answer.ACCEPTED, Answer.PENDING)


def test_zero_expiry_days_means_the_proposal_waits(cast: Cast) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.RUNNING, proposal_expiry_days=0)
    assert propose(programme, cast.ana, cast.vp_sales).expires_at is None


@pytest.mark.parametrize("state", [ProgrammeState.DRAFT, ProgrammeState.ENROLLING, ProgrammeState.CLOSED])
def test_only_a_matching_or_running_programme_takes_proposals(cast: Cast, state: str) -> None:
    programme = ProgrammeFactory(state=state)
    mentor, mentee = enrol(programme, cast.ana, MENTOR), enrol(programme, cast.vp_sales, MENTEE)
    assert refused(programme, mentor, mentee) == "programme_not_matching"


@pytest.mark.parametrize("state", ProgrammeState.values)
def test_asking_for_a_partner_closes_with_proposing_and_for_the_same_reason(cast: Cast, state: str) -> None:
    """One rule, "pairs only while the programme is matching or running", for a proposal and for a
    participant's own choice: the same states refuse both, with the same refusal."""
    programme = ProgrammeFactory(state=state, matching_mode=MatchingMode.PARTICIPANT_CHOICE)
    mentor, mentee = enrol(programme, cast.ana, MENTOR), enrol(programme, cast.vp_sales, MENTEE)
    choosing = choosing_refusal(enrolment=mentee)
    try:
        relationship_propose(
            actor=OPERATOR, programme=programme, mentor_enrolment=mentor, mentee_enrolment=mentee, now=NOW
        )
        proposing = None
    except RelationshipRuleBroken as refusal:
        proposing = refusal

    assert (choosing is None) == (state in (ProgrammeState.MATCHING, ProgrammeState.RUNNING))
    assert (None if choosing is None else (choosing.code, choosing.message)) == (
        None if proposing is None else (proposing.code, proposing.message)
    )


def test_both_must_be_enrolled_in_this_programme(cast: Cast, reverse_mentoring) -> None:
    elsewhere = enrol(ProgrammeFactory(), cast.ana, MENTOR)
    mentee = enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    assert refused(reverse_mentoring, elsewhere, mentee) == "wrong_programme"


def test_roles_must_match(cast: Cast, reverse_mentoring) -> None:
    mentor, mentee = enrol(reverse_mentoring, cast.ana, MENTOR), enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    assert refused(reverse_mentoring, mentee, mentor) == "wrong_role"


@pytest.mark.parametrize("status", [EnrolmentStatus.WITHDRAWN, EnrolmentStatus.WAITLISTED, EnrolmentStatus.INVITED])
def test_both_must_be_in_the_pool(cast: Cast, reverse_mentoring, status: str) -> None:
    mentor = enrol(reverse_mentoring, cast.ana, MENTOR)
    mentee = enrol(reverse_mentoring, cast.vp_sales, MENTEE, status=status)
    assert refused(reverse_mentoring, mentor, mentee) == "not_in_pool"


def test_people_who_left_are_not_proposed(cast: Cast, reverse_mentoring) -> None:
    mentor, mentee = enrol(reverse_mentoring, cast.ana, MENTOR), enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    cast.ana.active = False
    cast.ana.save()
    assert refused(reverse_mentoring, mentor, mentee) == "inactive"


def test_level_gap_must_lie_in_the_programme_s_band(cast: Cast, reverse_mentoring) -> None:
    mentee = enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    close = enrol(reverse_mentoring, PersonFactory(level=6, department="Finance"), MENTOR)
    assert refused(reverse_mentoring, close, mentee) == "level_gap"
    reverse_mentoring.max_level_gap = 5
    reverse_mentoring.save()
    assert refused(reverse_mentoring, enrol(reverse_mentoring, cast.ana, MENTOR), mentee) == "level_gap"


def test_sponsorship_gap_runs_from_sponsor_down_to_protege(cast: Cast, sponsorship) -> None:
    sponsor, protege = enrol(sponsorship, cast.vp_sales, MENTOR), enrol(sponsorship, cast.ana, MENTEE)
    assert relationship_propose(
        actor=OPERATOR, programme=sponsorship, mentor_enrolment=sponsor, mentee_enrolment=protege, now=NOW
    )
    junior_sponsor = enrol(sponsorship, PersonFactory(level=2, department="Finance"), MENTOR)
    senior_protege = enrol(sponsorship, PersonFactory(level=9, department="Legal"), MENTEE)
    assert refused(sponsorship, junior_sponsor, senior_protege) == "level_gap"


def test_never_inside_a_reporting_chain(cast: Cast, reverse_mentoring) -> None:
    ana, victor = enrol(reverse_mentoring, cast.ana, MENTOR), enrol(reverse_mentoring, cast.vp_tech, MENTEE)
    assert refused(reverse_mentoring, ana, victor) == "same_reporting_chain"  # Victor → Lena → Ana
    ben, vera = enrol(reverse_mentoring, cast.ben, MENTOR), enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    assert refused(reverse_mentoring, ben, vera) == "same_reporting_chain"  # Vera manages Ben


def test_a_reorganisation_a_moment_ago_counts_even_with_stale_objects(cast: Cast, reverse_mentoring) -> None:
    # The enrolments (and the people on them) were read before Ana moved into Vera's organisation.
    mentor, mentee = enrol(reverse_mentoring, cast.ana, MENTOR), enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    person_set_manager(actor=OPERATOR, person=Person.objects.get(pk=cast.ana.pk), manager=cast.ben)
    assert not mentor.person.shares_reporting_chain(mentee.person)  # what the stale copies still say
    assert refused(reverse_mentoring, mentor, mentee) == "same_reporting_chain"


def test_a_new_direct_report_not_yet_in_the_tree_is_still_in_the_chain(cast: Cast, reverse_mentoring) -> None:
    newcomer = PersonFactory(level=2, manager=cast.vp_sales)  # intervals not numbered yet
    mentor, mentee = enrol(reverse_mentoring, newcomer, MENTOR), enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    assert refused(reverse_mentoring, mentor, mentee) == "same_reporting_chain"
    people_tree_rebuild()
    assert refused(reverse_mentoring, mentor, mentee) == "same_reporting_chain"


@pytest.mark.parametrize("who_asked", ["mentor", "mentee"])
def test_people_who_asked_not_to_be_paired_are_not(cast: Cast, reverse_mentoring, who_asked: str) -> None:
    mentor, mentee = enrol(reverse_mentoring, cast.ana, MENTOR), enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    if who_asked == "mentor":
        mentor.avoid.add(cast.vp_sales)
    else:
        mentee.avoid.add(cast.ana)
    assert refused(reverse_mentoring, mentor, mentee) == "avoided"


def test_a_mentee_has_one_open_relationship_per_programme(cast: Cast, reverse_mentoring) -> None:
    propose(reverse_mentoring, cast.ana, cast.vp_sales)
    cara = enrol(reverse_mentoring, PersonFactory(level=2, department="Finance"), MENTOR)
    assert refused(reverse_mentoring, cara, enrol(reverse_mentoring, cast.vp_sales, MENTEE)) == "mentee_already_paired"


def test_a_declined_pair_is_not_proposed_again(cast: Cast, reverse_mentoring) -> None:
    first = propose(reverse_mentoring, cast.ana, cast.vp_sales)
    relationship_answer(relationship=first, actor=acting(cast.vp_sales), accept=False, now=NOW)
    reverse_mentoring.allow_repeat_pairs = True
    reverse_mentoring.save()
    mentor, mentee = enrol(reverse_mentoring, cast.ana, MENTOR), enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    assert refused(reverse_mentoring, mentor, mentee) == "declined_before"


def test_people_paired_before_are_not_paired_again_unless_the_programme_allows(cast: Cast, reverse_mentoring) -> None:
    earlier = ProgrammeFactory(state=ProgrammeState.CLOSED)
    RelationshipFactory(
        programme=earlier,
        mentor_enrolment__person=cast.ana,
        mentee_enrolment__person=cast.vp_sales,
        state=RelationshipState.COMPLETED,
        proposed_at=NOW - 300 * DAY,
    )
    mentor, mentee = enrol(reverse_mentoring, cast.ana, MENTOR), enrol(reverse_mentoring, cast.vp_sales, MENTEE)
    assert refused(reverse_mentoring, mentor, mentee) == "paired_before"
    reverse_mentoring.allow_repeat_pairs = True
    reverse_mentoring.save()
    again = relationship_propose(
        actor=OPERATOR, programme=reverse_mentoring, mentor_enrolment=mentor, mentee_enrolment=mentee, now=NOW
    )
    assert again.state == RelationshipState.PROPOSED


def test_a_proposal_that_merely_expired_is_no_previous_pairing(cast: Cast, reverse_mentoring) -> None:
    RelationshipFactory(
        programme=ProgrammeFactory(state=ProgrammeState.CLOSED),
        mentor_enrolment__person=cast.ana,
        mentee_enrolment__person=cast.vp_sales,
        state=RelationshipState.EXPIRED,
    )
    assert propose(reverse_mentoring, cast.ana, cast.vp_sales).state == RelationshipState.PROPOSED


def test_a_pairing_in_the_other_kind_of_programme_does_not_count(cast: Cast, reverse_mentoring) -> None:
    RelationshipFactory(
        programme=ProgrammeFactory(sponsorship=True, state=ProgrammeState.CLOSED),
        mentor_enrolment__person=cast.vp_sales,
        mentee_enrolment__person=cast.ana,
        state=RelationshipState.COMPLETED,
    )
    assert propose(reverse_mentoring, cast.ana, cast.vp_sales).state == RelationshipState.PROPOSED


def test_a_mentor_without_a_free_seat_gets_no_proposal(cast: Cast, reverse_mentoring) -> None:
    propose(reverse_mentoring, cast.ana, cast.vp_sales)
    other_mentee = enrol(reverse_mentoring, PersonFactory(level=9, department="Legal"), MENTEE)
    assert refused(reverse_mentoring, enrol(reverse_mentoring, cast.ana, MENTOR), other_mentee) == "no_free_seat"


def test_a_proposal_needs_two_enrolments(cast: Cast, reverse_mentoring) -> None:
    mentor = enrol(reverse_mentoring, cast.ana, MENTOR)
    assert refused(reverse_mentoring, mentor, mentor) == "not_enrolled"
