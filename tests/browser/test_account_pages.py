"""Hole 8 in Chromium: the sign-in pages and the account pages, two-step sign-in end to end; each page
passes axe-core, fits a phone, and (through the page fixture) raises no CSP violation."""

from __future__ import annotations

import time

import pytest

from tests.accounts.test_two_step import totp
from tests.browser.conftest import assert_accessible, assert_fits_phone_width, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_page(page) -> None:  # type: ignore[no-untyped-def]
    assert_accessible(page)
    assert_fits_phone_width(page)


def test_hole_8_lockout_reset_and_password_pages(page, cast) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        page.goto("/login/")
        page.get_by_label("Username").fill("ben")
        page.get_by_label("Password").fill("a-wrong-guess")
        page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").filter(has_text="Signing in is paused").is_visible()
    check_page(page)
    page.get_by_role("link", name="Forgotten your password?").click()
    check_page(page)
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_role("button", name="Email me a link").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    check_page(page)

    sign_in(page, "ana")
    page.locator("a.who").click()  # the name in the top bar
    assert page.get_by_role("heading", name="Your account").is_visible()
    check_page(page)
    page.get_by_role("link", name="Change your password").click()
    check_page(page)
    page.get_by_label("Old password").fill("not-my-password")
    page.locator("#id_new_password1").fill("x")
    page.get_by_label("New password confirmation").fill("y")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_text("Your old password was entered incorrectly").is_visible()
    check_page(page)


def test_hole_8_an_org_admin_turns_on_two_step_sign_in_and_signs_in_with_a_code(page, cast) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "admin")
    page.goto("/account/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    check_page(page)
    page.get_by_role("button", name="Show my secret key").click()
    secret = page.locator("code.secret").inner_text()
    check_page(page)
    enrolled_at = time.time()
    page.get_by_label("Six-digit code").fill(totp(secret, at=enrolled_at))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    assert page.get_by_text("Two-step sign-in is on").first.is_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "admin")
    assert "/login/code/" in page.url
    check_page(page)
    page.goto("/people/")
    assert "/login/code/" in page.url
    page.get_by_label("Six-digit code").fill(totp(secret, at=enrolled_at + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/people/")
    assert page.get_by_role("heading", name="People", level=1).is_visible()
