"""Hole 7: applications go to the applicant's line manager (and one delegate the manager names), not
to every manager up to the chief executive; the executive role sees aggregates only.

Before, every manager above an applicant saw the application and its goals on "My programmes" and
could approve or turn it down, so a chief executive (the demo's executive) read the goals of everyone
in the organisation. The one rule is ``accounts.permissions.applications_to_decide``: the list of
applications waiting, the page that decides one and the service all ask it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import Cast
from tests.factories import OPERATOR, UserFactory, acting
from tests.people.test_views import signed_in
from tests.relationships.pairing import pair_up
from twofold.accounts import permissions
from twofold.accounts.models import User
from twofold.accounts.permissions import NotPermitted
from twofold.programmes.enrolment_services import enrolment_apply, enrolment_approve
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme
from twofold.programmes.selectors import approvals_awaiting
from twofold.programmes.services import programme_create
from twofold.programmes.services import programme_transition as move
from twofold.relationships.models import Concern

GOALS = "Learn how the board weighs a product bet"


def approval_programme(name: str = "Digital fluency") -> Programme:
    programme = programme_create(actor=OPERATOR, name=name, kind="reverse_mentoring", requires_manager_approval=True)
    return move(actor=OPERATOR, programme=programme, to_state="enrolling")


def apply(programme: Programme, cast: Cast) -> Enrolment:
    enrolment = enrolment_apply(programme=programme, actor=acting(cast.ana), role="mentor", goals=GOALS)
    assert enrolment.status == EnrolmentStatus.PENDING_APPROVAL
    return enrolment


def approve(client: Client, enrolment: Enrolment, decision: str = "approve") -> int:
    return client.post(reverse("programmes:approve", args=[enrolment.pk]), {"decision": decision}).status_code


def mine(client: Client) -> str:
    return client.get(reverse("relationships:mine")).content.decode()


@pytest.fixture
def lena(cast: Cast) -> User:
    """Ana's line manager, with an account."""
    return UserFactory(username="lena", person=cast.lead_tech)


def test_hole_7_skip_level_managers_neither_see_nor_decide_an_application(cast: Cast, lena: User) -> None:
    enrolment = apply(approval_programme(), cast)
    # Victor manages Lena, the CEO manages Victor: both are above Ana, neither is her line manager.
    for above in (cast.vp_tech_user, cast.executive):
        page = mine(signed_in(above))
        assert "Ana Junior" not in page and GOALS not in page and "waiting for your approval" not in page
        assert approve(signed_in(above), enrolment) == 404
        with pytest.raises(NotPermitted) as refused:
            enrolment_approve(enrolment=enrolment, actor=above)
        assert refused.value.action == "enrolments.approve"
        enrolment.refresh_from_db()
        assert enrolment.status == EnrolmentStatus.PENDING_APPROVAL and enrolment.approved_by is None
    page = mine(signed_in(lena))
    assert "Applications waiting for your approval" in page and "Ana Junior" in page and GOALS in page
    assert approve(signed_in(lena), enrolment) == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ACTIVE and enrolment.approved_by == cast.lead_tech


def test_hole_7_a_delegate_the_manager_names_decides_until_removed(cast: Cast, lena: User) -> None:
    first = apply(approval_programme(), cast)
    manager = signed_in(lena)
    own_page = reverse("people:person", args=[cast.lead_tech.pk])
    assert "Applications from your team" in manager.get(own_page).content.decode()
    # Lena names Ben (another department) by his email address.
    response = manager.post(reverse("people:delegate_choose"), {"colleague": cast.ben.email.upper()})
    assert response.status_code == 302
    assert "Ben Junior</strong>" in manager.get(own_page).content.decode()
    ben = signed_in(cast.ben_user)
    ben_page = ben.get(reverse("people:person", args=[cast.ben.pk])).content.decode()
    assert "You are the delegate of" in ben_page and "Lena Lead" in ben_page
    page = mine(ben)
    assert "Ana Junior" in page and GOALS in page and "(reports to Lena Lead, who named you as delegate)" in page
    assert approve(ben, first, "decline") == 302
    first.refresh_from_db()
    assert first.status == EnrolmentStatus.REFUSED and first.approved_by == cast.ben
    # Removed, the delegate sees and decides nothing more; Lena still does.
    second = apply(approval_programme("Culture exchange"), cast)
    assert manager.post(reverse("people:delegate_remove")).status_code == 302
    assert "waiting for your approval" not in mine(ben) and approve(ben, second) == 404
    second.refresh_from_db()
    assert second.status == EnrolmentStatus.PENDING_APPROVAL
    assert "Ben Junior</strong>" not in manager.get(own_page).content.decode()
    assert approve(manager, second) == 302


def test_hole_7_nobody_decides_their_own_application_or_names_a_delegate_for_someone_else(
    cast: Cast, lena: User
) -> None:
    enrolment = apply(approval_programme(), cast)
    # Lena names Ana herself: Ana still may not decide her own application.
    signed_in(lena).post(reverse("people:delegate_choose"), {"colleague": cast.ana.employee_id})
    assert cast.lead_tech.delegation.delegate == cast.ana
    assert approve(signed_in(cast.ana_user), enrolment) == 404
    assert enrolment not in approvals_awaiting(cast.ana_user)
    # Anyone else's choice is their own delegate, never Lena's; and nobody is their own delegate.
    signed_in(cast.vp_tech_user).post(reverse("people:delegate_choose"), {"colleague": cast.ben.email})
    assert cast.vp_tech.delegation.delegate == cast.ben
    assert approve(signed_in(cast.ben_user), enrolment) == 404
    signed_in(lena).post(reverse("people:delegate_choose"), {"colleague": cast.lead_tech.email})
    cast.lead_tech.refresh_from_db()
    assert cast.lead_tech.delegation.delegate == cast.ana
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.PENDING_APPROVAL


def test_hole_7_the_list_the_page_and_the_service_follow_one_rule(cast: Cast, lena: User) -> None:
    signed_in(lena).post(reverse("people:delegate_choose"), {"colleague": cast.vp_sales.email})
    programme = approval_programme()
    ana = apply(programme, cast)
    ben = enrolment_apply(programme=programme, actor=acting(cast.ben), role="mentor", goals="Teach")
    viewers = [
        cast.ana_user,
        cast.ben_user,
        cast.vp_tech_user,
        cast.vp_sales_user,
        cast.executive,
        cast.admin,
        cast.programme_manager,
        cast.outsider,
        lena,
    ]
    decides = {(user.username, e.person.name) for user in viewers for e in approvals_awaiting(user)}
    # Ana's application: Lena and her delegate Vera. Ben's: Vera, his line manager.
    assert decides == {("lena", "Ana Junior"), ("vera", "Ana Junior"), ("vera", "Ben Junior")}
    for user in viewers:
        for enrolment in (ana, ben):
            expected = (user.username, enrolment.person.name) in decides
            assert permissions.can_decide_application(user, enrolment) is expected


def _routes_without_ids(patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "") -> list[str]:
    names = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin" or getattr(pattern.pattern, "converters", {}):
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names += _routes_without_ids(pattern.url_patterns, namespace)
        elif pattern.name and not getattr(pattern.pattern, "converters", {}):
            names.append(f"{prefix}{pattern.name}")
    return names


def test_hole_7_the_executive_role_sees_no_one_s_application_goals_or_pair(cast: Cast) -> None:
    """Every page an executive (the CEO, or a board member without an employee record) can open shows
    no application, goal, pair or concern of anyone: the overview's figures, and the directory's
    names on the directory's own pages."""
    apply(approval_programme(), cast)
    sponsorship = programme_create(actor=OPERATOR, name="Rising leaders", kind="sponsorship")
    move(actor=OPERATOR, programme=sponsorship, to_state="enrolling")
    move(actor=OPERATOR, programme=sponsorship, to_state="matching")
    pair = pair_up(sponsorship, cast.vp_sales, cast.ana)
    Concern.objects.create(relationship=pair, raised_by=cast.ana, text="My sponsor cancels every meeting")
    board_member = UserFactory(username="board", is_executive=True)
    others = ["Ana Junior", "Ben Junior", "Victor Tech", "Vera Sales", "Lena Lead"]
    secrets = [GOALS, "cancels every meeting"]
    for executive in (cast.executive, board_member):
        client = signed_in(executive)
        seen = 0
        for name in _routes_without_ids():
            if name in ("logout", "people:delegate_remove", "people:delegate_choose", "relationships:calendar_rotate"):
                continue
            response = client.get(reverse(name))
            if response.status_code != 200:
                continue
            seen += 1
            page = response.content.decode()
            assert not [secret for secret in secrets if secret in page], (executive.username, name)
            if name not in ("people:directory", "api:people_list"):  # the directory, as a page and as JSON
                assert not [other for other in others if other in page], (executive.username, name)
        assert seen >= 3
        overview = client.get(reverse("insights:overview")).content.decode()
        assert "Rising leaders" in overview and "Digital fluency" in overview
        for person in (cast.ana, cast.ben):
            page = client.get(reverse("people:person", args=[person.pk])).content.decode()
            assert not [secret for secret in secrets if secret in page]
            assert "Rising leaders" not in page and "Digital fluency" not in page


def test_hole_7_a_delegation_ends_when_either_of_the_two_leaves(cast: Cast, lena: User) -> None:
    from twofold.people.leavers import people_deactivate
    from twofold.people.models import Delegation

    manager = signed_in(lena)
    manager.post(reverse("people:delegate_choose"), {"colleague": cast.ben.email})
    signed_in(cast.vp_sales_user).post(reverse("people:delegate_choose"), {"colleague": cast.lead_tech.email})
    assert Delegation.objects.count() == 2
    people_deactivate(person_ids=[cast.ben.pk], actor=OPERATOR)
    assert list(Delegation.objects.values_list("manager__name", "delegate__name")) == [("Vera Sales", "Lena Lead")]
    # A leaver cannot be named either.
    response = manager.post(reverse("people:delegate_choose"), {"colleague": cast.ben.email}, follow=True)
    assert "No colleague who is still with the organisation" in response.content.decode()
    assert not Delegation.objects.filter(manager=cast.lead_tech).exists()
