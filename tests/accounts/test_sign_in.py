"""Hole 8: brute force and sessions — lockout, argon2, the demo password, the idle timeout."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, Cast
from twofold import settings as project_settings
from twofold.accounts.middleware import LAST_SEEN_KEY
from twofold.accounts.models import User
from twofold.accounts.passwords import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str = PASSWORD, *, url: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(url or reverse("login"), {"username": username, "password": password})


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("account")).status_code == 200


# --- lockout ----------------------------------------------------------------------------------------


def test_hole_8_repeated_wrong_passwords_lock_the_username_even_against_the_right_one(cast: Cast, settings) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "ana", "wrong-guess")
        assert response.status_code == 200 and "do not match an account" in response.content.decode()
    response = sign_in(client, "ana", "wrong-guess")
    assert response.status_code == 429
    response = sign_in(client, "ana")
    page = response.content.decode()
    assert response.status_code == 429
    assert "Signing in is paused for this username" in page and "15 minutes" in page
    assert 'id="id_username"' in page and 'value="ana"' in page
    assert not is_signed_in(client)
    cast.ana_user.refresh_from_db()
    assert cast.ana_user.last_login is None
    # Someone else, from the same address, is not affected.
    assert sign_in(Client(), "ben").status_code == 302


def test_hole_8_a_username_without_an_account_locks_the_same_way(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    responses = [sign_in(client, "nobody", "guess") for _ in range(6)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429, 429]


def test_hole_8_failures_on_the_admin_sign_in_lock_the_app_sign_in_and_back(cast: Cast) -> None:
    admin_login = reverse("admin:login")
    for _ in range(5):
        sign_in(Client(), "admin", "wrong-guess", url=admin_login)
    client = Client()
    response = sign_in(client, "admin")
    assert response.status_code == 429 and "Signing in is paused" in response.content.decode()
    assert not is_signed_in(client)

    for _ in range(5):
        sign_in(Client(), "pm", "wrong-guess")
    client = Client()
    response = sign_in(client, "pm", url=admin_login)
    assert response.status_code == 429 and "Signing in is paused" in response.content.decode()
    assert not is_signed_in(client)


def test_hole_8_the_lockout_ends_by_itself_after_the_cool_off(cast: Cast, settings) -> None:
    for _ in range(5):
        sign_in(Client(), "ana", "wrong-guess")
    assert sign_in(Client(), "ana").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    client = Client()
    assert sign_in(client, "ana").status_code == 302 and is_signed_in(client)


def test_hole_8_a_success_forgets_earlier_failures(cast: Cast) -> None:
    for _ in range(4):
        sign_in(Client(), "ana", "wrong-guess")
    assert sign_in(Client(), "ana").status_code == 302
    for _ in range(4):
        sign_in(Client(), "ana", "wrong-guess")
    assert sign_in(Client(), "ana").status_code == 302


# --- argon2 -------------------------------------------------------------------------------------------


def test_hole_8_production_hashes_with_argon2_and_upgrades_older_hashes_at_sign_in(cast: Cast, settings) -> None:
    # The suite hashes with MD5 for speed (tests/conftest.py); here the project's own list applies.
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    User.objects.filter(pk=cast.ana_user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert sign_in(Client(), "ana").status_code == 302
    cast.ana_user.refresh_from_db()
    assert cast.ana_user.password.startswith("argon2$argon2id$")
    assert sign_in(Client(), "ana").status_code == 302
    cast.ben_user.set_password("a-brand-new-password")
    assert cast.ben_user.password.startswith("argon2$")


# --- the demo password ----------------------------------------------------------------------------------


def test_hole_8_the_demo_password_never_signs_in_in_production(cast: Cast, settings) -> None:
    cast.admin.set_password(DEMO_PASSWORD)
    cast.admin.save()
    settings.PRODUCTION = True
    client = Client()
    response = sign_in(client, "admin", DEMO_PASSWORD)
    assert response.status_code == 200 and "do not match an account" in response.content.decode()
    assert not is_signed_in(client)
    # It counts as a failed attempt like any other.
    assert AccessAttempt.objects.get(username="admin").failures_since_start == 1
    # Other passwords still work in production, and the demo password outside it.
    assert sign_in(Client(), "ana").status_code == 302
    settings.PRODUCTION = False
    assert sign_in(Client(), "admin", DEMO_PASSWORD).status_code == 302


def test_hole_8_nobody_can_choose_the_demo_password(cast: Cast) -> None:
    client = Client()
    sign_in(client, "ana")
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": DEMO_PASSWORD, "new_password2": DEMO_PASSWORD},
    )
    assert response.status_code == 200 and "the demo&#x27;s published password" in response.content.decode()
    cast.ana_user.refresh_from_db()
    assert cast.ana_user.check_password(PASSWORD)


# --- the idle timeout ------------------------------------------------------------------------------------


def idle_for(client: Client, minutes: float) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = time.time() - minutes * 60
    session.save()


def test_hole_8_a_session_idle_too_long_is_signed_out(cast: Cast, settings) -> None:
    assert settings.SESSION_IDLE_MINUTES == 60
    client = Client()
    sign_in(client, "ana")
    idle_for(client, 61)
    response = client.get(reverse("people:directory"), {"q": "x"})
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fpeople%2F%3Fq%3Dx"
    page = client.get(response["Location"]).content.decode()
    assert "signed out after 60 minutes without activity" in page
    assert not is_signed_in(client)


def test_hole_8_activity_extends_the_session(cast: Cast, settings) -> None:
    settings.SESSION_IDLE_MINUTES = 5
    client = Client()
    sign_in(client, "ana")
    idle_for(client, 4)
    before = time.time()
    assert client.get(reverse("people:directory")).status_code == 200
    assert client.session[LAST_SEEN_KEY] >= before
    # Four more idle minutes: eight since sign-in, four since the last request.
    session = client.session
    session[LAST_SEEN_KEY] -= 4 * 60
    session.save()
    assert client.get(reverse("people:directory")).status_code == 200
    idle_for(client, 6)
    assert client.get(reverse("people:directory")).status_code == 302


def test_hole_8_an_idle_htmx_request_sends_the_whole_page_to_sign_in(cast: Cast) -> None:
    client = Client()
    sign_in(client, "ana")
    idle_for(client, 61)
    response = client.get(reverse("people:directory"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/login/?next=")
    assert not is_signed_in(client)
