"""A whole cycle in Chromium: a programme manager designs, fills, matches, reviews and publishes;
participants answer and live the relationship; the bridge into sponsorship."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_fits_phone_width, sign_in
from tests.factories import OPERATOR, PersonFactory, acting
from twofold.matchruns.models import MatchRun
from twofold.people.services import people_tree_rebuild
from twofold.programmes.enrolment_services import enrolment_create
from twofold.programmes.models import Enrolment, Programme
from twofold.programmes.services import programme_create, programme_transition
from twofold.relationships.models import Relationship

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def outsiders() -> None:
    """Two seniors outside both juniors' reporting lines, so that a swap is possible."""
    from twofold.people.models import Person

    ceo = Person.objects.get(employee_id="C1")
    PersonFactory(employee_id="X1", name="Xena Outside", level=8, department="Finance", manager=ceo)
    PersonFactory(employee_id="X2", name="Yuri Outside", level=7, department="Legal", manager=ceo)
    people_tree_rebuild()


def test_reverse_mentoring_cycle(page, cast) -> None:  # type: ignore[no-untyped-def]
    outsiders()
    sign_in(page, "pm")
    page.get_by_role("link", name="New reverse mentoring programme").click()
    page.get_by_label("Name").fill("Digital fluency 2027")
    page.get_by_role("button", name="Create programme").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Digital fluency 2027"
    page.get_by_role("button", name="Open enrolment").click()
    page.wait_for_load_state()
    programme = Programme.objects.get(name="Digital fluency 2027")
    assert programme.state == "enrolling"

    # Invite the juniors by filter; the seniors join the pool directly (as if they applied).
    page.get_by_role("link", name="Enrolments").click()
    page.get_by_label("Role").first.select_option("mentor")
    page.get_by_label("From level").fill("1")
    page.get_by_label("To level").fill("3")
    page.get_by_role("button", name="Preview the invitations").click()
    expect(page.locator("#invite-preview")).to_contain_text("2 people to invite as mentors")
    page.get_by_role("button", name="Invite 2 and email them").click()
    page.wait_for_load_state()
    assert "Invited 2 people;" in page.locator(".messages").inner_text()
    assert_accessible(page)
    for employee_id in ("X1", "X2"):
        from twofold.people.models import Person

        enrolment_create(
            actor=OPERATOR, programme=programme, person=Person.objects.get(employee_id=employee_id), role="mentee"
        )

    # Ana accepts her invitation in her own browser session.
    ana = page.context.browser.new_context(base_url=page.url.split("/programmes")[0])
    ana_page = ana.new_page()
    sign_in(ana_page, "ana")
    ana_page.get_by_role("link", name="Accept and tell us more").click()
    ana_page.get_by_label("Goals").fill("Show leaders what GenAI can do")
    ana_page.get_by_role("button", name="Accept").click()
    ana_page.wait_for_load_state()
    assert Enrolment.objects.get(person__employee_id="J1").status == "active"
    enrolment = Enrolment.objects.get(person__employee_id="J2")
    from twofold.programmes.enrolment_services import enrolment_respond

    enrolment_respond(actor=acting(enrolment.person), enrolment=enrolment, accept=True)

    # Matching: run, swap the two pairs, publish.
    page.goto(f"/programmes/{programme.pk}/")
    page.get_by_role("button", name="Start matching").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Matching").click()
    page.get_by_role("button", name="Run matching").click()
    page.wait_for_load_state()
    assert page.get_by_text("Proposed pairs (2)").is_visible()
    assert_accessible(page)
    assert_fits_phone_width(page)
    run = MatchRun.objects.get(programme=programme)
    before = set(run.proposals.values_list("mentor_id", "mentee_id"))
    for box in page.locator("input[name=proposal]").all():
        box.check()
    page.get_by_role("button", name="Swap the partners of the two ticked pairs").click()
    expect(page.locator("#board")).to_contain_text("Swapped")
    assert set(run.proposals.values_list("mentor_id", "mentee_id")) != before
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish 2 proposals").click()
    expect(page.locator(".messages")).to_contain_text("Published: 2 proposals sent")
    programme.refresh_from_db()
    assert programme.state == "running" and Relationship.objects.filter(programme=programme).count() == 2

    # Ana sees her proposal and accepts it.
    ana_page.goto("/programmes/mine/")
    ana_page.locator("a[href^='/relationships/']").first.click()
    ana_page.wait_for_load_state()
    ana_page.get_by_role("button", name="Accept").first.click()
    ana_page.wait_for_load_state()
    relationship = Relationship.objects.get(mentor__employee_id="J1")
    assert relationship.mentor_answer == "accepted"
    # Someone else's pair is out of bounds, and answers as if it did not exist.
    other = Relationship.objects.exclude(pk=relationship.pk).get()
    response = ana_page.goto(f"/relationships/{other.pk}/")
    assert response is not None and response.status == 404
    ana.close()


def test_sponsorship_run_shows_fairness_and_publishes(page, cast) -> None:  # type: ignore[no-untyped-def]
    outsiders()
    programme = programme_create(name="Rising leaders", kind="sponsorship", actor=cast.programme_manager)
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    from twofold.people.models import Person

    for employee_id in ("X1", "X2"):
        enrolment_create(
            actor=OPERATOR, programme=programme, person=Person.objects.get(employee_id=employee_id), role="mentor"
        )
    enrolment_create(actor=OPERATOR, programme=programme, person=cast.ana, role="mentee")
    programme_transition(actor=OPERATOR, programme=programme, to_state="matching")
    sign_in(page, "pm")
    page.goto(f"/programmes/{programme.pk}/runs/")
    page.get_by_role("button", name="Run matching").click()
    page.wait_for_load_state()
    assert page.get_by_text("Proposed pairs (1)").is_visible()
    assert "Proven optimal" in page.content()
    assert_accessible(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish 1 proposal").click()
    expect(page.locator(".messages")).to_contain_text("Published: 1 proposal sent")
    assert Relationship.objects.filter(programme=programme, mentee=cast.ana).exists()
