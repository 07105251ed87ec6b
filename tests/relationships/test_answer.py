"""Answering a proposal: one- and two-sided acceptance, declines back to the pool, expiry."""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from tests.factories import PersonFactory, ProgrammeFactory, acting
from tests.relationships.pairing import DAY, MENTEE, MENTOR, NOW, enrol, propose
from twofold.accounts.permissions import NotPermitted
from twofold.programmes.models import Acceptance, Enrolment, EnrolmentStatus, ProgrammeState
from twofold.relationships.models import Agreement, Answer, Relationship, RelationshipState
from twofold.relationships.services import (
    DEFAULT_CONFIDENTIALITY,
    RelationshipForbidden,
    RelationshipStateConflict,
    relationship_answer,
    relationships_expire,
)


def seats_taken(relationship: Relationship) -> int:
    return Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken


def test_two_sided_needs_both_answers_before_it_starts(cast: Cast, proposed: Relationship) -> None:
    after_mentor = relationship_answer(relationship=proposed, actor=acting(cast.ana), accept=True, now=NOW + DAY)
    assert after_mentor.state == RelationshipState.PROPOSED
    assert (after_mentor.mentor_answer, after_mentor.mentee_answer) == (Answer.ACCEPTED, Answer.PENDING)
    assert not Agreement.objects.filter(relationship=proposed).exists()

    started = relationship_answer(relationship=proposed, actor=acting(cast.vp_sales), accept=True, now=NOW + 2 * DAY)
    proposed.refresh_from_db()
    assert started.state == proposed.state == RelationshipState.ACTIVE
    assert proposed.started_at == NOW + 2 * DAY
    assert (proposed.mentor_answer, proposed.mentee_answer) == (Answer.ACCEPTED, Answer.ACCEPTED)
    assert seats_taken(proposed) == 1


def test_reverse_mentoring_starts_with_a_confidentiality_statement_to_accept(cast: Cast, active: Relationship) -> None:
    agreement = active.agreement
    assert agreement.cadence_days == 14
    assert agreement.confidentiality == DEFAULT_CONFIDENTIALITY
    assert agreement.mentor_accepted_at is None and agreement.mentee_accepted_at is None


def test_sponsorship_agreement_has_the_monthly_cadence_and_the_protege_s_goals(cast: Cast, sponsorship) -> None:
    enrol(sponsorship, cast.ana, MENTEE, goals="Lead a product line")
    relationship = propose(sponsorship, cast.vp_sales, cast.ana)
    relationship_answer(relationship=relationship, actor=acting(cast.ana), accept=True, now=NOW)
    relationship_answer(relationship=relationship, actor=acting(cast.vp_sales), accept=True, now=NOW)
    agreement = Agreement.objects.get(relationship=relationship)
    assert (agreement.cadence_days, agreement.goals, agreement.confidentiality) == (30, "Lead a product line", "")


def test_one_sided_only_the_mentee_answers(cast: Cast) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, acceptance=Acceptance.ONE_SIDED)
    relationship = propose(programme, cast.ana, cast.vp_sales)
    with pytest.raises(RelationshipForbidden) as caught:
        relationship_answer(relationship=relationship, actor=acting(cast.ana), accept=False, now=NOW)
    assert caught.value.code == "mentee_answers"
    started = relationship_answer(relationship=relationship, actor=acting(cast.vp_sales), accept=True, now=NOW)
    assert started.state == RelationshipState.ACTIVE
    assert Agreement.objects.filter(relationship=relationship).exists()


@pytest.mark.parametrize("decliner", ["ana", "vp_sales"])
def test_a_decline_gives_the_seat_back_and_both_stay_in_the_pool(
    cast: Cast, reverse_mentoring, proposed: Relationship, decliner: str
) -> None:
    person = getattr(cast, decliner)
    declined = relationship_answer(relationship=proposed, actor=acting(person), accept=False, now=NOW + DAY)
    proposed.refresh_from_db()
    assert declined.state == proposed.state == RelationshipState.DECLINED
    assert (proposed.ended_at, proposed.ended_by) == (NOW + DAY, person)
    assert seats_taken(proposed) == 0
    statuses = Enrolment.objects.filter(pk__in=[proposed.mentor_enrolment_id, proposed.mentee_enrolment_id])
    assert set(statuses.values_list("status", flat=True)) == {EnrolmentStatus.ACTIVE}
    # Both can be matched again at once, with someone else.
    cara = PersonFactory(level=2, department="Finance")
    assert propose(reverse_mentoring, cara, cast.vp_sales).state == RelationshipState.PROPOSED
    assert (
        propose(
            reverse_mentoring,
            cast.ana,
            cast.vp_tech.__class__.objects.create(
                employee_id="S9", name="Sam Senior", email="s9@example.org", level=9, department="Legal"
            ),
        ).state
        == RelationshipState.PROPOSED
    )


def test_a_mentor_declining_after_the_mentee_accepted_still_declines(cast: Cast, proposed: Relationship) -> None:
    relationship_answer(relationship=proposed, actor=acting(cast.vp_sales), accept=True, now=NOW)
    declined = relationship_answer(relationship=proposed, actor=acting(cast.ana), accept=False, now=NOW)
    assert (declined.state, declined.mentee_answer, declined.mentor_answer) == (
        RelationshipState.DECLINED,
        Answer.ACCEPTED,
        Answer.DECLINED,
    )


def test_only_the_pair_answers(cast: Cast, proposed: Relationship) -> None:
    with pytest.raises(NotPermitted) as caught:
        relationship_answer(relationship=proposed, actor=acting(cast.vp_tech), accept=True, now=NOW)
    assert caught.value.action == "relationships.answer"
    proposed.refresh_from_db()
    assert (proposed.mentor_answer, proposed.mentee_answer) == (Answer.PENDING, Answer.PENDING)


def test_each_answers_once(cast: Cast, proposed: Relationship) -> None:
    relationship_answer(relationship=proposed, actor=acting(cast.ana), accept=True, now=NOW)
    with pytest.raises(RelationshipStateConflict) as caught:
        relationship_answer(relationship=proposed, actor=acting(cast.ana), accept=False, now=NOW)
    assert caught.value.code == "already_answered"
    proposed.refresh_from_db()
    assert proposed.state == RelationshipState.PROPOSED and seats_taken(proposed) == 1


def test_an_answer_to_a_finished_proposal_is_refused(cast: Cast, proposed: Relationship) -> None:
    relationship_answer(relationship=proposed, actor=acting(cast.vp_sales), accept=False, now=NOW)
    # The caller's copy still says "proposed"; the service reads the row as it is.
    assert proposed.state == RelationshipState.PROPOSED
    with pytest.raises(RelationshipStateConflict):
        relationship_answer(relationship=proposed, actor=acting(cast.ana), accept=True, now=NOW)
    proposed.refresh_from_db()
    assert proposed.state == RelationshipState.DECLINED and proposed.mentor_answer == Answer.PENDING


def test_no_answer_after_the_deadline(cast: Cast, proposed: Relationship) -> None:
    assert proposed.expires_at is not None
    relationship_answer(relationship=proposed, actor=acting(cast.ana), accept=True, now=proposed.expires_at - DAY)
    with pytest.raises(RelationshipStateConflict) as caught:
        relationship_answer(relationship=proposed, actor=acting(cast.vp_sales), accept=True, now=proposed.expires_at)
    assert caught.value.code == "proposal_expired"


def test_unanswered_proposals_expire_and_give_their_seats_back(cast: Cast, reverse_mentoring) -> None:
    sponsor_like = enrol(reverse_mentoring, PersonFactory(level=2, department="Finance"), MENTOR, capacity=2)
    first = propose(reverse_mentoring, sponsor_like.person, cast.vp_sales, now=NOW)
    second = propose(reverse_mentoring, sponsor_like.person, cast.vp_tech, now=NOW + 3 * DAY)
    waiting = propose(reverse_mentoring, cast.ana, PersonFactory(level=9, department="Legal"), now=NOW)
    relationship_answer(relationship=waiting, actor=acting(waiting.mentor), accept=True, now=NOW)
    started = propose(reverse_mentoring, cast.ben, PersonFactory(level=9, department="Legal"), now=NOW)
    relationship_answer(relationship=started, actor=acting(started.mentor), accept=True, now=NOW)
    relationship_answer(relationship=started, actor=acting(started.mentee), accept=True, now=NOW)

    assert relationships_expire(now=NOW + 10 * DAY - DAY) == 0
    assert relationships_expire(now=NOW + 10 * DAY) == 2  # first, and waiting (half answered)
    states = dict(Relationship.objects.values_list("pk", "state"))
    assert states == {
        first.pk: RelationshipState.EXPIRED,
        second.pk: RelationshipState.PROPOSED,
        waiting.pk: RelationshipState.EXPIRED,
        started.pk: RelationshipState.ACTIVE,
    }
    assert Enrolment.objects.get(pk=sponsor_like.pk).seats_taken == 1
    assert seats_taken(waiting) == 0 and seats_taken(started) == 1
    assert relationships_expire(now=NOW + 10 * DAY) == 0  # nothing twice
    assert relationships_expire(now=NOW + 13 * DAY) == 1
    assert Enrolment.objects.get(pk=sponsor_like.pk).seats_taken == 0
