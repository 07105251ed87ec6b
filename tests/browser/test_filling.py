"""Filling a programme in Chromium, with JavaScript (htmx swaps the preview and the search results in
place) and without (plain pages and forms): preview then send the invitations, add people directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in, watch_csp_violations
from twofold.programmes.models import Enrolment, Programme, ProgrammeState
from twofold.programmes.services import programme_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["with JavaScript", "without JavaScript"])
def any_page(request, browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    scripted = request.param == "with JavaScript"
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, java_script_enabled=scripted
    )
    # Generous: a loaded machine runs several suites at once (nothing here asserts a time).
    context.set_default_timeout(30_000)
    page = context.new_page()
    violations = watch_csp_violations(page)
    page.scripted = scripted  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not violations, "\n".join(violations)


def check_accessible(page) -> None:  # type: ignore[no-untyped-def]
    """axe-core on what the page shows: it runs as a script, so a page without JavaScript is opened
    again, as the same user, in a context that has it (a GET shows the same HTML)."""
    if page.scripted:
        assert_accessible(page)
        return
    context = page.context.browser.new_context(
        base_url=page.url, storage_state=page.context.storage_state(), viewport={"width": 1280, "height": 900}
    )
    try:
        again = context.new_page()
        again.goto(page.url)
        assert_accessible(again)
    finally:
        context.close()


@pytest.fixture
def programme(cast) -> Programme:  # type: ignore[no-untyped-def]
    programme = programme_create(actor=cast.programme_manager, name="Digital fluency", kind="reverse_mentoring")
    programme.state = ProgrammeState.ENROLLING
    programme.save()
    return programme


def test_preview_then_send_the_invitations(any_page, programme) -> None:  # type: ignore[no-untyped-def]
    page = any_page
    sign_in(page, "pm")
    page.goto(f"/programmes/{programme.pk}/enrolments/")
    page.get_by_label("Role").first.select_option("mentor")
    page.get_by_label("To level").fill("5")
    page.get_by_role("button", name="Preview the invitations").click()
    page.wait_for_load_state()
    preview = page.locator("#invite-preview")
    expect(preview).to_contain_text("2 people to invite as mentors")
    expect(preview).to_contain_text("A mentor must be at level 3 or below (Lena Lead is at 5)")
    # With htmx the preview comes into the enrolments page; without, it is a page of its own.
    assert page.url.endswith("/enrolments/") == page.scripted
    assert not Enrolment.objects.exists()
    check_accessible(page)
    page.get_by_role("button", name="Invite 2 and email them").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Invited 2 people; their invitations are being emailed.")
    assert set(Enrolment.objects.values_list("person__employee_id", "status")) == {
        ("J1", "invited"),
        ("J2", "invited"),
    }


def test_add_people_directly_by_search_and_from_a_file(any_page, programme, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = any_page
    sign_in(page, "pm")
    page.goto(f"/programmes/{programme.pk}/enrolments/")
    page.get_by_role("link", name="Add people").click()
    page.wait_for_load_state()
    page.get_by_label("Name, email, title or employee id").fill("Junior")
    if not page.scripted:
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
    expect(page.locator("#add-results")).to_contain_text("Ben Junior")
    check_accessible(page)
    page.get_by_role("checkbox", name="Ben Junior").check()
    page.get_by_label("Role for Ben Junior").select_option("mentor")
    page.get_by_role("button", name="Add the people picked").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Added 1 person to the pool.")

    page.get_by_role("link", name="Add people").click()
    page.wait_for_load_state()
    bad = tmp_path / "pool.csv"
    bad.write_text("employee_id,role\nJ1,mentor\nL1,mentor\n")
    page.get_by_label("A CSV or XLSX file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and add").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_contain_text("Row 3, column 'employee_id': a mentor must be at level 3")
    if page.scripted:  # the answer to a POST: without JavaScript there is no address to open it again at
        assert_accessible(page)
    assert list(Enrolment.objects.values_list("person__employee_id", flat=True)) == ["J2"]
    good = tmp_path / "fixed.csv"
    good.write_text("employee_id,role\nJ1,mentor\nV1,mentee\n")
    page.get_by_label("A CSV or XLSX file").set_input_files(str(good))
    page.get_by_role("button", name="Check and add").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Added 2 people from fixed.csv.")
    assert sorted(Enrolment.objects.values_list("person__employee_id", flat=True)) == ["J1", "J2", "V1"]
