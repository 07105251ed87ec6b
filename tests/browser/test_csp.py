"""Hole 9: the main pages of every demo role load in Chromium without one Content-Security-Policy
violation. (The ``page`` fixture also fails any other browser test that reports one.)"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import sign_in, watch_csp_violations
from tests.factories import ProgrammeFactory, acting, grant
from tests.relationships.pairing import propose
from twofold.programmes.models import ProgrammeState
from twofold.relationships.services import relationship_answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_as(browser, live_server) -> Iterator[Callable[[str], tuple[object, list[str]]]]:  # type: ignore[no-untyped-def]
    """A fresh browser context signed in as a user, with the CSP violations it reports."""
    contexts = []

    def open_as(username: str) -> tuple[object, list[str]]:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        violations = watch_csp_violations(page)
        if username:
            sign_in(page, username)
        return page, violations

    yield open_as
    for context in contexts:
        context.close()


def visit(page, paths: list[str]) -> None:  # type: ignore[no-untyped-def]
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy, path
        page.wait_for_load_state("networkidle")


def test_hole_9_a_blocked_inline_style_is_blocked_and_reported(browser_as, cast) -> None:  # type: ignore[no-untyped-def]
    page, violations = browser_as("")
    page.goto("/login/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p id=\"probe\" style=\"color: red\">x</p>')")
    assert page.locator("#probe").evaluate("element => getComputedStyle(element).color") != "rgb(255, 0, 0)"
    page.wait_for_timeout(200)  # console messages arrive asynchronously
    assert violations and "style" in violations[0]


def test_hole_9_main_pages_of_every_role_raise_no_violation(browser_as, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(
        name="Digital fluency", state=ProgrammeState.RUNNING, managers=[cast.programme_manager]
    )
    relationship = propose(
        programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=3), score=2.5, breakdown={"skills": 0.9}
    )
    for person in (cast.ana, cast.vp_sales):
        relationship_answer(relationship=relationship, actor=acting(person), accept=True, now=timezone.now())
    reports: dict[str, list[str]] = {}

    page, reports["ana"] = browser_as("ana")
    visit(page, ["/programmes/mine/", f"/relationships/{relationship.pk}/", f"/people/{cast.ana.pk}/", "/account/"])
    page.goto(f"/relationships/{relationship.pk}/")
    assert page.locator("meter.bar").count() >= 1

    grant(cast.programme_manager, "people.import_people")  # importing is its own permission (hole 2)
    page, reports["pm"] = browser_as("pm")
    visit(
        page,
        [
            "/programmes/",
            f"/programmes/{programme.pk}/",
            f"/programmes/{programme.pk}/enrolments/",
            f"/programmes/{programme.pk}/health/",
            f"/people/{cast.ana.pk}/",
            "/people/import/",
            "/insights/",
            "/people/",
        ],
    )
    page.get_by_role("searchbox").fill("Junior")  # an htmx swap
    page.wait_for_load_state("networkidle")

    page, reports["exec"] = browser_as("exec")
    visit(page, ["/insights/", "/account/"])

    page, reports["admin"] = browser_as("admin")
    visit(page, ["/account/", "/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{cast.ana_user.pk}/change/"])
    page.goto("/account/two-step/")
    page.get_by_role("button", name="Show my secret key").click()
    page.wait_for_load_state("networkidle")
    assert re.fullmatch(r"[A-Z2-7 ]+", page.locator("code.secret").inner_text())
    assert page.locator("svg.qr-code").is_visible()

    page.wait_for_timeout(200)
    assert {who: found for who, found in reports.items() if found} == {}
