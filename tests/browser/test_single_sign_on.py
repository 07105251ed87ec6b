"""Single sign-on end to end: Chromium signs in through a real OpenID provider into a live Twofold."""

from __future__ import annotations

import copy

import pytest

from tests.browser.conftest import assert_accessible
from tests.sso.provider.fixtures import (  # the fixtures, for the tests below
    MISISSUED_CLIENT_ID,
    MISISSUED_SECRET,
    PROVIDER_NAME,
    PROVIDER_PASSWORD,
    oidc_provider,  # noqa: F401
    sso_fixture,  # noqa: F401
)
from twofold.accounts.models import User
from twofold.audit.models import AuditEntry
from twofold.people.leavers import people_deactivate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _patient(page) -> None:  # type: ignore[no-untyped-def]
    # Three servers (Chromium, Twofold, the provider) share the machine: slow is not wrong here.
    page.set_default_timeout(60_000)


def sign_in_at_provider(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login/")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Continue to the application").click()
    page.wait_for_load_state("networkidle")


def refusal_shown(page) -> str:  # type: ignore[no-untyped-def]
    assert page.url.split("?")[0].endswith("/login/"), page.url
    return page.locator(".messages").inner_text()


def test_a_directory_person_signs_in_by_email_and_signs_out(page, cast, sso) -> None:  # type: ignore[no-untyped-def]
    sign_in_at_provider(page, "ana.junior")
    assert "/login/" not in page.url, refusal_shown(page)
    assert page.locator("a.who").inner_text().strip().startswith("ana ·")
    assert AuditEntry.objects.filter(action="account.sign_in", actor_user_id=cast.ana_user.pk, allowed=True).exists()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").is_visible()
    page.goto("/account/")
    assert "/login/" in page.url


def test_a_person_without_an_account_gets_one_matched_by_employee_id(page, cast, sso) -> None:  # type: ignore[no-untyped-def]
    sso.OIDC_CLAIM = "employee_number"
    sso.OIDC_MATCH_FIELD = "employee_id"
    assert not User.objects.filter(person=cast.lead_tech).exists()
    sign_in_at_provider(page, "lena.lead")
    assert "/login/" not in page.url, refusal_shown(page)
    account = User.objects.get(person=cast.lead_tech)
    assert not account.has_usable_password()
    assert not (account.is_superuser or account.is_programme_manager or account.is_executive)
    assert page.locator("a.who").inner_text().strip().startswith("Lena")


def test_someone_the_directory_does_not_know_is_refused(page, cast, sso) -> None:  # type: ignore[no-untyped-def]
    accounts = User.objects.count()
    sign_in_at_provider(page, "stranger")
    assert "nobody in Twofold's directory has the email address stranger@example.org" in refusal_shown(page)
    assert User.objects.count() == accounts
    page.goto("/account/")
    assert "/login/" in page.url


def test_a_leaver_is_refused(page, cast, sso) -> None:  # type: ignore[no-untyped-def]
    people_deactivate(actor=cast.admin, person_ids=[cast.ben.pk])
    sign_in_at_provider(page, "ben.junior")
    assert "lists you as having left the organisation" in refusal_shown(page)


def test_a_token_for_another_audience_is_refused(page, cast, sso) -> None:  # type: ignore[no-untyped-def]
    sso.OIDC_RP_CLIENT_ID = MISISSUED_CLIENT_ID
    sso.OIDC_RP_CLIENT_SECRET = MISISSUED_SECRET
    sign_in_at_provider(page, "ana.junior")
    assert "meant for another application" in refusal_shown(page)
    page.goto("/account/")
    assert "/login/" in page.url


def test_the_password_form_can_be_hidden(page, cast, sso) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login/")
    assert page.get_by_label("Password").is_visible()
    assert_accessible(page)
    sso.OIDC_HIDE_PASSWORDS = True
    page.goto("/login/")
    assert page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").is_visible()
    assert page.get_by_label("Password").count() == 0
    assert_accessible(page)
    sign_in_at_provider(page, "ana.junior")
    assert page.locator("a.who").inner_text().strip().startswith("ana ·")


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")
    assert page.url.split("?")[0].endswith("/login/"), page.url


def test_signing_out_can_end_the_provider_session_too(page, cast, sso) -> None:  # type: ignore[no-untyped-def]
    # Signing out of Twofold alone leaves the provider's session: the next single sign-on asks nothing.
    sign_in_at_provider(page, "ana.junior")
    sign_out(page)
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("a.who").inner_text().strip().startswith("ana ·")
    sign_out(page)

    sso.OIDC_PROVIDER_LOGOUT = True
    sso.OIDC_STORE_ID_TOKEN = True
    sso.OIDC_OP_LOGOUT_URL_METHOD = "twofold.sso.views.provider_logout_url"
    policy = copy.deepcopy(sso.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(sso.OIDC_ISSUER.rsplit("/", 1)[0])
    sso.CONTENT_SECURITY_POLICY = policy
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("a.who").inner_text().strip().startswith("ana ·")
    sign_out(page)  # through the provider's end-session endpoint, back to the sign-in page
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    assert page.get_by_label("Provider username").is_visible()
