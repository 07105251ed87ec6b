"""The people directory in Chromium: sign in, search as you type, filters, person pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_programme_manager_searches_and_opens_a_person(page, cast) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "pm")
    assert page.url.endswith("/programmes/")
    page.get_by_role("link", name="People").click()
    page.wait_for_load_state()
    results = page.locator("#directory-results")
    assert results.get_by_role("link", name="Victor Tech").first.is_visible()
    # Typing filters the list through htmx, without a page load, and the URL follows.
    page.get_by_label("Search").fill("junior")
    # (expect, not wait_for_function: a string predicate is eval'd, which the CSP forbids)
    expect(results).not_to_contain_text("Victor Tech")
    assert results.get_by_role("link", name="Ana Junior").first.is_visible()
    assert "q=junior" in page.url
    page.get_by_label("High potential").select_option("yes")
    expect(results).not_to_contain_text("Ben Junior")
    results.get_by_role("link", name="Ana Junior").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ana Junior")
    chain = page.locator("ol.chain")
    assert chain.inner_text().split("\n")[:3] == ["Cleo Chief CEO", "Victor Tech VP Engineering", "Lena Lead Manager"]


def test_filters_work_without_javascript(browser, live_server, cast) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "pm")
    page.goto("/people/")
    page.get_by_label("Department").select_option("Sales")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    text = page.locator("#directory-results").inner_text()
    assert "Vera Sales" in text and "Victor Tech" not in text
    context.close()


def test_employee_sees_no_talent_flags_and_own_restricted_data(page, cast) -> None:  # type: ignore[no-untyped-def]
    from twofold.people.models import SelfIdentification

    SelfIdentification.objects.create(person=cast.ben, gender="Man", ethnicity="Black")
    sign_in(page, "ben")
    page.get_by_role("link", name="My profile").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your self-identification").is_visible()
    assert page.get_by_text("Black").is_visible()
    page.get_by_role("link", name="People").click()
    page.wait_for_load_state()
    assert page.get_by_label("High potential").count() == 0
    assert page.get_by_text("High potential").count() == 0


def test_wrong_password_is_explained(page, cast) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "ana", "not-the-password")
    assert page.get_by_role("alert").inner_text().startswith("That username and password do not match")
