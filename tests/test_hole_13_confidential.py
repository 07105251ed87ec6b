"""Hole 13: the high-potential flag, career history and the list of leavers stay confidential.

- A sponsorship programme open only to high-potential people appeared under "Programmes you can join"
  for them alone, and so told each of them they were flagged. Programmes have an invite-only
  (confidential) setting, required when they ask for high potential: such a programme is listed to
  nobody, and people join it by invitation or nomination. The list of programmes one can join and
  the application service follow one rule (``eligibility.application_problem``): a turned-down
  application is neither listed nor accepted again.
- Any employee read anyone's promotions, level changes and exits on their page: career history is
  for the person, everyone above them and org admins, unless ``CAREER_HISTORY_OPEN`` opens it.
- Any employee listed leavers with ``?inactive=yes``: only org admins and holders of the import
  permission do; anyone else gets the active list.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import OPERATOR, PersonFactory, UserFactory, acting
from tests.people.test_views import signed_in
from twofold.accounts.models import User
from twofold.people.services import career_event_record
from twofold.programmes.enrolment_services import (
    enrolment_apply,
    enrolment_approve,
    enrolment_create,
    enrolment_invite_by_filter,
    enrolment_nominate,
    enrolment_respond,
    enrolment_withdraw,
)
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme
from twofold.programmes.selectors import InviteFilter, programmes_open_to
from twofold.programmes.services import ProgrammeRuleBroken, programme_create, programme_transition, programme_update


def enrolling(programme: Programme) -> Programme:
    return programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")


def offered(person, programme: Programme) -> list[str]:  # type: ignore[no-untyped-def]
    return next(
        (sorted(role for role, _ in roles) for offer, roles in programmes_open_to(person) if offer == programme), []
    )


# (a) invite-only programmes -------------------------------------------------------------------


def test_hole_13_a_sponsorship_for_high_potential_is_listed_to_nobody(cast: Cast) -> None:
    sponsorship = enrolling(programme_create(actor=OPERATOR, name="Rising leaders", kind="sponsorship"))
    assert sponsorship.requires_high_potential and sponsorship.invite_only
    ana = signed_in(cast.ana_user)  # flagged high potential
    for client in (ana, signed_in(cast.ben_user)):
        assert "Rising leaders" not in client.get(reverse("relationships:mine")).content.decode()
        assert client.get(reverse("programmes:apply", args=[sponsorship.pk])).status_code == 404
    with pytest.raises(ProgrammeRuleBroken) as refused:
        enrolment_apply(programme=sponsorship, actor=acting(cast.ana), role="mentee", goals="Be seen")
    assert refused.value.code == "invite_only"
    assert not Enrolment.objects.filter(programme=sponsorship).exists()
    # By invitation: Ana sees it, and accepts on the same page.
    enrolment_invite_by_filter(
        actor=OPERATOR, programme=sponsorship, role="mentee", where=InviteFilter(high_potential_only=True)
    )
    page = ana.get(reverse("relationships:mine")).content.decode()
    assert "<strong>Rising leaders</strong> invites you" in page
    response = ana.post(reverse("programmes:apply", args=[sponsorship.pk]), {"role": "mentee", "goals": "Be seen"})
    assert response.status_code == 302
    accepted = Enrolment.objects.get(programme=sponsorship, person=cast.ana)
    assert accepted.status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.WAITLISTED)
    # By nomination: Ben (not flagged) comes in when a senior leader puts him forward.
    # He is asked first (the nomination is an invitation), and is in once he accepts.
    nominated = enrolment_nominate(
        actor=OPERATOR, programme=sponsorship, person=cast.ben, nominated_by=cast.vp_tech, statement="Ready"
    )
    assert nominated.status == EnrolmentStatus.INVITED
    assert enrolment_respond(actor=acting(cast.ben), enrolment=nominated, accept=True).status in (
        EnrolmentStatus.ACTIVE,
        EnrolmentStatus.WAITLISTED,
    )


def test_hole_13_a_programme_asking_for_high_potential_must_be_invite_only(cast: Cast) -> None:
    with pytest.raises(ProgrammeRuleBroken, match="must be invite-only"):
        programme_create(actor=OPERATOR, name="Listed", kind="sponsorship", invite_only=False)
    with pytest.raises(ProgrammeRuleBroken, match="invite-only is yes or no"):
        programme_create(actor=OPERATOR, name="Vague", kind="reverse_mentoring", invite_only="maybe")
    open_sponsorship = programme_create(
        actor=OPERATOR, name="Open sponsorship", kind="sponsorship", requires_high_potential=False, invite_only=False
    )
    with pytest.raises(ProgrammeRuleBroken, match="must be invite-only"):
        programme_update(actor=OPERATOR, programme=open_sponsorship, requires_high_potential=True)
    open_sponsorship.refresh_from_db()
    assert not open_sponsorship.requires_high_potential and not open_sponsorship.invite_only
    # The form shows the setting with its help text, and says why on a refusal.
    manager = signed_in(cast.programme_manager)
    form = manager.get(reverse("programmes:new", args=["reverse_mentoring"])).content.decode()
    assert "Invite-only (confidential)" in form and "people join only when you invite them" in form
    assert 'aria-describedby="id_invite_only-help"' in form


def test_hole_13_an_open_programme_becomes_invite_only_and_leaves_the_list(cast: Cast) -> None:
    programme = enrolling(programme_create(actor=OPERATOR, name="Culture exchange", kind="reverse_mentoring"))
    assert offered(cast.ana, programme) == ["mentor"]
    programme_update(actor=OPERATOR, programme=programme, invite_only=True)
    assert offered(cast.ana, programme) == []
    assert "Culture exchange" not in signed_in(cast.ana_user).get(reverse("relationships:mine")).content.decode()


def test_hole_13_the_list_of_programmes_to_join_and_the_application_agree(cast: Cast) -> None:
    """For every programme state and enrolment history, a role is listed exactly when applying for it
    succeeds. A turned-down application is neither."""
    lena = UserFactory(username="lena", person=cast.lead_tech)
    people = [cast.ana, cast.ben, cast.vp_sales, cast.lead_tech]
    checked = 0
    for history in ("none", "withdrawn", "declined", "turned down", "pending", "active"):
        for invite_only in (False, True):
            programme = enrolling(
                programme_create(
                    actor=OPERATOR,
                    name=f"{history} {invite_only}",
                    kind="reverse_mentoring",
                    requires_manager_approval=True,
                )
            )
            if history == "withdrawn":
                enrolment_withdraw(
                    actor=acting(cast.ana),
                    enrolment=enrolment_create(actor=OPERATOR, programme=programme, person=cast.ana, role="mentor"),
                )
            elif history == "declined":
                [invitation] = enrolment_invite_by_filter(
                    actor=OPERATOR,
                    programme=programme,
                    role="mentor",
                    where=InviteFilter(max_level=2, departments=["Engineering"]),
                ).invited
                enrolment_respond(actor=acting(invitation.person), enrolment=invitation, accept=False)
            elif history in ("turned down", "pending"):
                enrolment = enrolment_apply(programme=programme, actor=acting(cast.ana), role="mentor")
                if history == "turned down":
                    enrolment_approve(enrolment=enrolment, actor=lena, approve=False)
            elif history == "active":
                enrolment_create(
                    actor=OPERATOR,
                    programme=programme,
                    person=cast.ana,
                    role="mentor",
                    invited_by=cast.programme_manager,
                )
            if invite_only:
                programme = programme_update(actor=OPERATOR, programme=programme, invite_only=True)
            for state in ("enrolling", "matching", "running", "closed"):
                if programme.state != state:
                    programme = programme_transition(actor=OPERATOR, programme=programme, to_state=state)
                for person in people:
                    listed = offered(person, programme)
                    for role in ("mentor", "mentee"):
                        try:
                            with transaction.atomic():
                                enrolment_apply(programme=programme, actor=acting(person), role=role)
                                transaction.set_rollback(True)
                            accepted = True
                        except ProgrammeRuleBroken:
                            accepted = False
                        assert (role in listed) is accepted, (history, invite_only, state, person.name, role)
                        checked += 1
            if history == "turned down" and not invite_only:
                assert offered(cast.ana, programme) == []
    assert checked == 6 * 2 * 4 * 4 * 2


@pytest.mark.django_db(transaction=True)
def test_hole_13_existing_programmes_asking_for_high_potential_become_invite_only() -> None:
    before = [("programmes", "0002_match_runs_move_out")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("programmes", "Programme")
        flagged = old.objects.create(name="Rising leaders", kind="sponsorship", requires_high_potential=True)
        open_to_all = old.objects.create(name="Digital fluency", kind="reverse_mentoring")
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert Programme.objects.get(pk=flagged.pk).invite_only
    assert not Programme.objects.get(pk=open_to_all.pk).invite_only


# (b) career history ---------------------------------------------------------------------------


def shows_history(user: User, person) -> bool:  # type: ignore[no-untyped-def]
    page = signed_in(user).get(reverse("people:person", args=[person.pk])).content.decode()
    return "Career history" in page


def test_hole_13_career_history_is_for_the_person_their_chain_and_org_admins(cast: Cast, settings) -> None:
    career_event_record(actor=OPERATOR, person=cast.ana, kind="promotion", effective_date=date(2026, 9, 1), to_level=3)
    lena = UserFactory(username="lena", person=cast.lead_tech)
    board_member = UserFactory(username="board", is_executive=True)
    sees = {
        cast.ana_user: True,
        lena: True,
        cast.vp_tech_user: True,
        cast.executive: True,  # the CEO, above everyone: as her management chain, not as an executive
        cast.admin: True,
        cast.ben_user: False,
        cast.vp_sales_user: False,
        cast.programme_manager: False,
        board_member: False,
    }
    assert {user.username: shows_history(user, cast.ana) for user in sees} == {
        user.username: expected for user, expected in sees.items()
    }
    # Ana sees her own history but not her manager's.
    career_event_record(
        actor=OPERATOR, person=cast.lead_tech, kind="level_change", effective_date=date(2026, 9, 1), to_level=6
    )
    assert not shows_history(cast.ana_user, cast.lead_tech) and shows_history(lena, cast.lead_tech)
    settings.CAREER_HISTORY_OPEN = True
    assert shows_history(cast.ben_user, cast.ana) and shows_history(board_member, cast.ana)


# (c) leavers ----------------------------------------------------------------------------------


def test_hole_13_only_org_admins_and_importers_list_leavers(cast: Cast) -> None:
    leaver = PersonFactory(employee_id="X1", name="Lee Leaver", level=3, active=False)
    importer = UserFactory(username="steward", person=PersonFactory(employee_id="S1", name="Sam Steward"))
    importer.user_permissions.add(Permission.objects.get(content_type__app_label="people", codename="import_people"))
    board_member = UserFactory(username="board", is_executive=True)
    listing = reverse("people:directory") + "?inactive=yes"
    for user in (cast.ben_user, cast.programme_manager, cast.executive, board_member, cast.vp_tech_user):
        client = signed_in(user)
        page = client.get(listing).content.decode()
        assert "Lee Leaver" not in page and "active people match" in page, user.username
        assert "Include people who have left" not in page
        assert client.get(reverse("people:person", args=[leaver.pk])).status_code == 404
    for user in (cast.admin, User.objects.get(pk=importer.pk)):
        client = signed_in(user)
        page = client.get(listing).content.decode()
        assert "Lee Leaver" in page and "Include people who have left" in page, user.username
        assert client.get(reverse("people:person", args=[leaver.pk])).status_code == 200
