"""Programmes: kind defaults, settings, states, eligibility and enrolment paths."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import OPERATOR, PersonFactory, UserFactory, acting
from twofold.accounts.permissions import NotPermittedHidden
from twofold.programmes.enrolment_services import (
    enrolment_apply,
    enrolment_approve,
    enrolment_create,
    enrolment_invite_by_filter,
    enrolment_nominate,
    enrolment_respond,
    enrolment_withdraw,
)
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme, ProgrammeState
from twofold.programmes.selectors import InviteFilter, programme_pool_counts
from twofold.programmes.services import ProgrammeRuleBroken, programme_create, programme_transition, programme_update

MENTOR, MENTEE = EnrolmentRole.MENTOR, EnrolmentRole.MENTEE


def reverse_mentoring(**overrides):  # type: ignore[no-untyped-def]
    return programme_create(actor=OPERATOR, name="Digital fluency 2027", kind="reverse_mentoring", **overrides)


def sponsorship(**overrides):  # type: ignore[no-untyped-def]
    return programme_create(actor=OPERATOR, name="Rising leaders", kind="sponsorship", **overrides)


def test_kind_defaults(db) -> None:
    rm = reverse_mentoring()
    assert (rm.duration_months, rm.cadence_days, rm.mentor_max_level, rm.mentee_min_level) == (6, 14, 3, 6)
    assert (rm.min_level_gap, rm.capacity, rm.fairness_enabled, rm.state) == (3, 1, False, ProgrammeState.DRAFT)
    sp = sponsorship()
    assert (sp.duration_months, sp.cadence_days, sp.mentor_min_level, sp.capacity) == (12, 30, 7, 3)
    assert sp.requires_high_potential and sp.fairness_enabled and sp.fairness_attribute == "gender"


def test_each_role_is_titled_in_the_programme_s_words(db) -> None:
    assert reverse_mentoring().role_titles == {EnrolmentRole.MENTOR: "Mentor", EnrolmentRole.MENTEE: "Mentee"}
    assert sponsorship().role_titles == {EnrolmentRole.MENTOR: "Sponsor", EnrolmentRole.MENTEE: "Protégé"}


def test_defaults_are_editable_and_checked(db) -> None:
    rm = reverse_mentoring(capacity=2, cadence_days=7, starts_on=date(2027, 1, 31))
    assert (rm.capacity, rm.cadence_days, rm.ends_on) == (2, 7, date(2027, 7, 31))
    for overrides, code in [({"capacity": 0}, "invalid_programme"), ({"colour": "blue"}, "unknown_setting")]:
        with pytest.raises(ProgrammeRuleBroken) as refused:
            reverse_mentoring(**overrides)
        assert refused.value.code == code
    with pytest.raises(ProgrammeRuleBroken) as refused:
        programme_update(actor=OPERATOR, programme=rm, ends_on=date(2026, 1, 1))
    assert refused.value.code == "invalid_programme"
    with pytest.raises(ProgrammeRuleBroken) as refused:
        programme_create(actor=OPERATOR, name="x", kind="coaching")
    assert refused.value.code == "unknown_kind"
    # Nothing of the refused was saved.
    assert list(Programme.objects.values_list("pk", flat=True)) == [rm.pk]
    rm.refresh_from_db()
    assert rm.ends_on == date(2027, 7, 31)
    assert programme_update(actor=OPERATOR, programme=rm, cadence_days=21).cadence_days == 21


def test_states_move_only_along_allowed_edges(db) -> None:
    programme = reverse_mentoring()
    for state in ("enrolling", "matching", "running", "closed"):
        programme = programme_transition(actor=OPERATOR, programme=programme, to_state=state)
        assert programme.state == state
    with pytest.raises(ProgrammeRuleBroken) as refused:
        programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    assert refused.value.code == "transition_not_allowed"
    programme.refresh_from_db()
    assert programme.state == ProgrammeState.CLOSED
    other = reverse_mentoring()
    for forbidden in ("matching", "running", "draft"):
        with pytest.raises(ProgrammeRuleBroken) as caught:
            programme_transition(actor=OPERATOR, programme=other, to_state=forbidden)
        assert caught.value.code == "transition_not_allowed"
    with pytest.raises(ProgrammeRuleBroken) as refused:
        programme_update(actor=OPERATOR, programme=programme, name="Renamed")
    assert refused.value.code == "closed"
    programme.refresh_from_db()
    assert programme.name == "Digital fluency 2027"


def test_stale_transition_is_refused(db) -> None:
    programme = reverse_mentoring()
    stale = type(programme).objects.get(pk=programme.pk)
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    with pytest.raises(ProgrammeRuleBroken) as refused:
        programme_transition(actor=OPERATOR, programme=stale, to_state="closed")
    assert refused.value.code == "state_changed"
    programme.refresh_from_db()
    assert programme.state == ProgrammeState.ENROLLING


def test_eligibility_with_reasons(cast) -> None:
    rm = reverse_mentoring()
    with pytest.raises(ProgrammeRuleBroken, match=r"a mentor must be at level 3 or below \(Victor Tech is at 8\)"):
        enrolment_create(actor=OPERATOR, programme=rm, person=cast.vp_tech, role=MENTOR)
    with pytest.raises(ProgrammeRuleBroken, match=r"a mentee must be at level 6 or above \(Ana Junior is at 2\)"):
        enrolment_create(actor=OPERATOR, programme=rm, person=cast.ana, role=MENTEE)
    sp = sponsorship()
    with pytest.raises(ProgrammeRuleBroken, match="must be flagged high potential"):
        enrolment_create(actor=OPERATOR, programme=sp, person=cast.ben, role=MENTEE)
    assert (
        enrolment_create(actor=OPERATOR, programme=sp, person=cast.ana, role=MENTEE).status
        == EnrolmentStatus.WAITLISTED
    )
    leaver = PersonFactory(level=2, active=False)
    with pytest.raises(ProgrammeRuleBroken, match="has left the organisation"):
        enrolment_create(actor=OPERATOR, programme=rm, person=leaver, role=MENTOR)


def test_invite_by_filter_skips_ineligible_and_enrolled(cast) -> None:
    rm = reverse_mentoring()
    programme_transition(actor=OPERATOR, programme=rm, to_state="enrolling")
    PersonFactory(employee_id="J9", level=3, department="Sales")
    PersonFactory(employee_id="J8", level=1, department="Finance")
    enrolment_create(actor=OPERATOR, programme=rm, person=cast.ben, role=MENTOR)
    result = enrolment_invite_by_filter(
        actor=OPERATOR,
        programme=rm,
        role=MENTOR,
        where=InviteFilter(min_level=1, max_level=5, departments=["Engineering", "Sales"]),
    )
    assert sorted(e.person.employee_id for e in result.invited) == ["J1", "J9"]
    assert [p.employee_id for p in result.already] == ["J2"]
    assert [(p.employee_id, reason) for p, reason in result.not_eligible] == [
        ("L1", "a mentor must be at level 3 or below (Lena Lead is at 5)")
    ]
    assert Enrolment.objects.get(person=cast.ana).status == EnrolmentStatus.INVITED


def test_invitation_answers_and_manager_approval(cast) -> None:
    rm = reverse_mentoring(requires_manager_approval=True)
    programme_transition(actor=OPERATOR, programme=rm, to_state="enrolling")
    [invite] = enrolment_invite_by_filter(
        actor=OPERATOR, programme=rm, role=MENTOR, where=InviteFilter(max_level=2, departments=["Engineering"])
    ).invited
    enrolment = enrolment_respond(actor=acting(invite.person), enrolment=invite, accept=True, goals="Teach GenAI")
    assert enrolment.status == EnrolmentStatus.PENDING_APPROVAL
    for someone_else in (cast.vp_sales_user, cast.vp_tech_user, cast.executive, cast.ana_user):
        with pytest.raises(NotPermittedHidden):
            enrolment_approve(enrolment=enrolment, actor=someone_else)
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.PENDING_APPROVAL and enrolment.approved_by is None
    enrolment = enrolment_approve(enrolment=enrolment, actor=UserFactory(username="lena", person=cast.lead_tech))
    assert enrolment.status == EnrolmentStatus.ACTIVE and enrolment.approved_by == cast.lead_tech
    with pytest.raises(ProgrammeRuleBroken) as refused:
        enrolment_respond(actor=acting(enrolment.person), enrolment=enrolment, accept=False)
    assert refused.value.code == "no_invitation"
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ACTIVE


def test_self_application_needs_an_open_programme(cast) -> None:
    rm = reverse_mentoring()
    with pytest.raises(ProgrammeRuleBroken) as refused:
        enrolment_apply(programme=rm, actor=acting(cast.ana), role=MENTOR)
    assert refused.value.code == "not_enrolling" and not Enrolment.objects.filter(programme=rm).exists()
    programme_transition(actor=OPERATOR, programme=rm, to_state="enrolling")
    enrolment = enrolment_apply(programme=rm, actor=acting(cast.ana), role=MENTOR, goals="Share what I know")
    assert enrolment.status == EnrolmentStatus.ACTIVE and enrolment.goals == "Share what I know"
    with pytest.raises(ProgrammeRuleBroken) as refused:
        enrolment_apply(programme=rm, actor=acting(cast.ana), role=MENTOR)
    assert refused.value.code == "already_enrolled"
    assert list(Enrolment.objects.filter(programme=rm).values_list("pk", flat=True)) == [enrolment.pk]


def test_waitlist_when_seats_run_short_and_admission_when_they_free_up(cast) -> None:
    rm = reverse_mentoring()
    programme_transition(actor=OPERATOR, programme=rm, to_state="enrolling")
    mentor = enrolment_create(actor=OPERATOR, programme=rm, person=cast.ana, role=MENTOR)
    first = enrolment_create(actor=OPERATOR, programme=rm, person=cast.vp_tech, role=MENTEE)
    second = enrolment_create(actor=OPERATOR, programme=rm, person=cast.vp_sales, role=MENTEE)
    assert (first.status, second.status) == (EnrolmentStatus.ACTIVE, EnrolmentStatus.WAITLISTED)
    counts = programme_pool_counts(rm)[MENTEE]
    assert (counts["active"], counts["waitlisted"], sum(counts.values())) == (1, 1, 2)
    enrolment_create(actor=OPERATOR, programme=rm, person=cast.ben, role=MENTOR)
    second.refresh_from_db()
    assert second.status == EnrolmentStatus.ACTIVE
    enrolment_withdraw(actor=acting(mentor.person), enrolment=mentor, reason="moving team")
    second.refresh_from_db()
    first.refresh_from_db()
    assert [first.status, second.status].count(EnrolmentStatus.WAITLISTED) == 1


def test_withdrawn_person_may_come_back(cast) -> None:
    rm = reverse_mentoring()
    programme_transition(actor=OPERATOR, programme=rm, to_state="enrolling")
    enrolment = enrolment_create(actor=OPERATOR, programme=rm, person=cast.ana, role=MENTOR)
    enrolment_withdraw(actor=acting(enrolment.person), enrolment=enrolment)
    again = enrolment_apply(programme=rm, actor=acting(cast.ana), role=MENTOR)
    assert again.pk == enrolment.pk and again.status == EnrolmentStatus.ACTIVE


def test_nomination_stands_in_for_the_high_potential_flag(cast) -> None:
    sp = sponsorship()
    with pytest.raises(ProgrammeRuleBroken) as refused:
        enrolment_nominate(
            actor=OPERATOR, programme=sp, person=cast.ben, nominated_by=cast.vp_tech, statement="Brilliant"
        )
    assert refused.value.code == "not_enrolling" and not Enrolment.objects.filter(programme=sp).exists()
    programme_transition(actor=OPERATOR, programme=sp, to_state="enrolling")
    enrolment = enrolment_nominate(
        actor=OPERATOR, programme=sp, person=cast.ben, nominated_by=cast.vp_tech, statement="Brilliant"
    )
    assert (enrolment.role, enrolment.nominated_by, enrolment.goals) == (MENTEE, cast.vp_tech, "Brilliant")
    rm = reverse_mentoring()
    with pytest.raises(ProgrammeRuleBroken) as refused:
        enrolment_nominate(actor=OPERATOR, programme=rm, person=cast.ben, nominated_by=cast.vp_tech, statement="x")
    assert refused.value.code == "not_sponsorship" and not Enrolment.objects.filter(programme=rm).exists()
