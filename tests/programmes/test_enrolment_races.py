"""Hole 10: one person's place in a programme written by two requests at once.

A double-submitted application, and a manager inviting someone at the moment they apply, ended in a
500 on PostgreSQL (the one-enrolment-per-programme constraint refusing the second insert). Each is
now one enrolment and a refusal with a message, or a count of "already in the programme".
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import OPERATOR, acting
from tests.interleave import interleave
from tests.people.test_views import signed_in
from twofold.programmes.enrolment_services import (
    InviteResult,
    enrolment_apply,
    enrolment_invite_by_filter,
    enrolment_withdraw,
)
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme, ProgrammeState
from twofold.programmes.selectors import InviteFilter
from twofold.programmes.services import ProgrammeRuleBroken, programme_create, programme_transition

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers, so requests cannot race"
)


def enrolling(cast: Cast, **settings: object) -> Programme:
    programme = programme_create(
        actor=OPERATOR, name="Digital fluency", kind="reverse_mentoring", managers=[cast.programme_manager], **settings
    )
    return programme_transition(actor=OPERATOR, programme=programme, to_state=ProgrammeState.ENROLLING)


def test_hole_10_double_submitted_application_is_a_4xx(cast: Cast) -> None:
    programme = enrolling(cast, requires_manager_approval=True)
    client = signed_in(cast.ana_user)
    url = reverse("programmes:apply", args=[programme.pk])

    first = client.post(url, {"role": EnrolmentRole.MENTOR, "goals": "Teach data skills"})
    second = client.post(url, {"role": EnrolmentRole.MENTOR, "goals": "Something else"})

    assert first.status_code == 302
    assert second.status_code == 400
    assert "already in this programme (waiting for manager approval)" in second.content.decode()
    enrolment = Enrolment.objects.get(programme=programme, person=cast.ana)
    assert (enrolment.status, enrolment.goals) == (EnrolmentStatus.PENDING_APPROVAL, "Teach data skills")


def test_a_person_may_apply_again_after_withdrawing(cast: Cast) -> None:
    programme = enrolling(cast)
    enrolment = enrolment_apply(programme=programme, actor=acting(cast.ana), role=EnrolmentRole.MENTOR, goals="First")
    enrolment_withdraw(actor=acting(enrolment.person), enrolment=enrolment)
    again = enrolment_apply(programme=programme, actor=acting(cast.ana), role=EnrolmentRole.MENTOR, goals="Second")
    assert (again.pk, again.status, again.goals) == (enrolment.pk, EnrolmentStatus.ACTIVE, "Second")


def apply(programme: Programme, cast: Cast, goals: str) -> None:
    enrolment_apply(programme=programme, actor=acting(cast.ana), role=EnrolmentRole.MENTOR, goals=goals)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@needs_postgres
@pytest.mark.parametrize("earlier", ["never", "withdrew"])
def test_hole_10_application_sent_twice_at_once_is_one_enrolment_and_one_refusal(cast: Cast, earlier: str) -> None:
    programme = enrolling(cast)
    if earlier == "withdrew":
        enrolment_withdraw(
            actor=acting(cast.ana),
            enrolment=enrolment_apply(
                programme=programme, actor=acting(cast.ana), role=EnrolmentRole.MENTOR, goals="Old"
            ),
        )

    outcomes = interleave(
        lambda: apply(programme, cast, "First"),
        lambda: apply(programme, cast, "Second"),
        refusals=(ProgrammeRuleBroken,),
    )

    assert outcomes == ("ok", "already_enrolled")
    enrolment = Enrolment.objects.get(programme=programme, person=cast.ana)
    assert (enrolment.status, enrolment.goals) == (EnrolmentStatus.ACTIVE, "First")


def invite_juniors(programme: Programme, cast: Cast, into: list[InviteResult]) -> None:
    into.append(
        enrolment_invite_by_filter(
            programme=programme,
            role=EnrolmentRole.MENTOR,
            where=InviteFilter(max_level=2),
            actor=cast.programme_manager,
        )
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@needs_postgres
@pytest.mark.parametrize("earlier", ["never", "withdrew"])
@pytest.mark.parametrize("first", ["application", "invitation"])
def test_hole_10_invite_while_applying_is_one_enrolment_without_a_500(cast: Cast, first: str, earlier: str) -> None:
    programme = enrolling(cast)
    if earlier == "withdrew":
        enrolment_withdraw(
            actor=acting(cast.ana),
            enrolment=enrolment_apply(
                programme=programme, actor=acting(cast.ana), role=EnrolmentRole.MENTOR, goals="Old"
            ),
        )
    results: list[InviteResult] = []
    application, invitation = (
        (lambda: apply(programme, cast, "First")),
        (lambda: invite_juniors(programme, cast, results)),
    )

    if first == "application":
        applied, invited = interleave(application, invitation, refusals=(ProgrammeRuleBroken,))
    else:
        invited, applied = interleave(invitation, application, refusals=(ProgrammeRuleBroken,))

    [result] = results
    ana = Enrolment.objects.get(programme=programme, person=cast.ana)
    ben = Enrolment.objects.get(programme=programme, person=cast.ben)
    assert ben.status == EnrolmentStatus.INVITED and ben in result.invited
    if first == "application":
        assert (applied, invited) == ("ok", "ok")
        assert (ana.status, ana.goals) == (EnrolmentStatus.ACTIVE, "First")
        assert cast.ana in result.already and ana not in result.invited
    else:
        assert (invited, applied) == ("ok", "already_enrolled")
        assert ana.status == EnrolmentStatus.INVITED and ana in result.invited
