"""Hole 8: changing a password when signed in, and resetting a forgotten one by email (real SMTP)."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "correct-horse-battery-staple-42"


def signed_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    assert client.login(request=HttpRequest(), username=username, password=password)
    return client


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("account")).status_code == 200


def test_hole_8_a_signed_in_person_changes_their_password_and_other_sessions_end(cast: Cast) -> None:
    here, elsewhere = signed_in("ana"), signed_in("ana")
    page = here.get(reverse("account")).content.decode()
    assert "Change your password" in page and "Two-step sign-in" not in page
    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("account")
    assert "Your password is changed" in here.get(reverse("account")).content.decode()
    assert is_signed_in(here) and not is_signed_in(elsewhere)
    cast.ana_user.refresh_from_db()
    assert cast.ana_user.check_password(NEW_PASSWORD)


def test_hole_8_a_wrong_current_password_changes_nothing(cast: Cast) -> None:
    client = signed_in("ana")
    response = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and "Your old password was entered incorrectly" in response.content.decode()
    cast.ana_user.refresh_from_db()
    assert cast.ana_user.check_password(PASSWORD)


def test_hole_8_changing_a_password_needs_a_signed_in_session(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def reset_link(message) -> str:  # type: ignore[no-untyped-def]
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https://twofold\.example\.org(/password-reset/[^\s]+/)", body)
    assert match, body
    return match.group(1)


def test_hole_8_a_forgotten_password_is_reset_through_an_emailed_link(cast: Cast, smtp_server, settings) -> None:
    settings.SITE_URL = "https://twofold.example.org/"
    cast.ana_user.email = "ana@example.org"
    cast.ana_user.save()
    client = Client()
    response = client.post(reverse("password_reset"), {"email": "ANA@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_sent")
    [message] = smtp_server.messages
    assert message["To"] == "ana@example.org" and message["Subject"] == "Reset your Twofold password"
    # The link is built on SITE_URL, never on the Host the request named (here "testserver").
    link = reset_link(message)

    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    cast.ana_user.refresh_from_db()
    assert cast.ana_user.check_password(NEW_PASSWORD)
    assert Client().post(reverse("login"), {"username": "ana", "password": NEW_PASSWORD}).status_code == 302
    # The link works once.
    again = Client().get(link, follow=True).content.decode()
    assert "expired or was already used" in again


def test_hole_8_a_reset_request_for_an_unknown_or_inactive_address_sends_nothing_and_says_the_same(
    cast: Cast, smtp_server
) -> None:
    cast.ben_user.email = "ben@example.org"
    cast.ben_user.is_active = False
    cast.ben_user.save()
    for address in ("nobody@example.org", "ben@example.org"):
        response = Client().post(reverse("password_reset"), {"email": address})
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_sent")
    assert smtp_server.messages == []


def test_hole_8_resetting_the_password_lifts_a_lockout(cast: Cast, smtp_server, settings) -> None:
    settings.SITE_URL = "https://twofold.example.org"
    cast.ana_user.email = "ana@example.org"
    cast.ana_user.save()
    for _ in range(5):
        Client().post(reverse("login"), {"username": "ana", "password": "wrong-guess"})
    assert Client().post(reverse("login"), {"username": "ana", "password": PASSWORD}).status_code == 429
    client = Client()
    client.post(reverse("password_reset"), {"email": "ana@example.org"})
    set_url = client.get(reset_link(smtp_server.messages[0]), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not AccessAttempt.objects.filter(username="ana").exists()
    assert Client().post(reverse("login"), {"username": "ana", "password": NEW_PASSWORD}).status_code == 302
