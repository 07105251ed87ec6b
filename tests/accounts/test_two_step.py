"""Hole 8: optional two-step sign-in (TOTP) for org admins, with codes computed here from the shown key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, Cast
from twofold.accounts.admin_site import TwofoldAdminSite
from twofold.accounts.two_factor import SESSION_KEY

pytestmark = pytest.mark.django_db


def totp(secret: str, *, at: float | None = None) -> str:
    """RFC 6238 with the defaults authenticator apps use: SHA-1, 30-second steps, six digits."""
    key = base64.b32decode(secret.replace(" ", ""))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def sign_in(username: str = "admin") -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def enrol(client: Client) -> str:
    """Set up an authenticator app from the account page; returns the key the page showed."""
    client.post(reverse("two_step"), {"action": "start"})
    page = client.get(reverse("two_step")).content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert secret and "<svg" in page, page
    response = client.post(reverse("two_step"), {"action": "confirm", "code": totp(secret.group(1))})
    assert response.status_code == 302 and response["Location"] == reverse("account")
    return secret.group(1)


@pytest.fixture(autouse=True)
def _no_throttle_unless_asked(settings) -> None:  # type: ignore[no-untyped-def]
    # django-otp makes a wrong code delay the next try by 1, 2, 4 … seconds; tests that are not
    # about that must not depend on how fast they run.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_hole_8_an_org_admin_enrols_and_from_then_on_sign_in_asks_for_the_code(cast: Cast) -> None:
    client = sign_in()
    page = client.get(reverse("account")).content.decode()
    assert "Set up an authenticator app" in page
    client.post(reverse("two_step"), {"action": "start"})
    page = client.get(reverse("two_step")).content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert secret is not None
    assert re.search(r"<svg [^>]*class=\"qr-code\"", page) and "style=" not in page.split("<svg", 1)[1]
    # A wrong code leaves the app unconfirmed, and signing in as before.
    response = client.post(reverse("two_step"), {"action": "confirm", "code": "000000"})
    assert response.status_code == 422 and "did not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.admin, confirmed=True).exists()
    assert sign_in().get(reverse("people:directory")).status_code == 200

    confirmed_at = time.time()
    response = client.post(reverse("two_step"), {"action": "confirm", "code": totp(secret.group(1), at=confirmed_at)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=cast.admin).confirmed
    assert "Two-step sign-in is on" in client.get(reverse("account")).content.decode()
    assert client.get(reverse("people:directory")).status_code == 200  # this session gave its code

    fresh = sign_in()
    response = fresh.get(reverse("people:directory"))
    assert response.status_code == 302 and response["Location"] == "/login/code/?next=%2Fpeople%2F"
    response = fresh.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith("/login/code/")
    # The code just used to confirm is spent; the next step's code is accepted.
    spent = totp(secret.group(1), at=confirmed_at)
    response = fresh.post(reverse("login_code"), {"code": spent, "next": "/people/"})
    assert response.status_code == 422 and "did not match" in response.content.decode()
    following = totp(secret.group(1), at=confirmed_at + 30)
    response = fresh.post(reverse("login_code"), {"code": following, "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == "/people/"
    assert fresh.get(reverse("people:directory")).status_code == 200
    assert fresh.get(reverse("admin:index")).status_code == 200
    # Signing in through the admin's own page leads to the code page too.
    through_admin = Client()
    response = through_admin.post(
        reverse("admin:login"), {"username": "admin", "password": PASSWORD, "next": "/admin/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/login/code/?next=%2Fadmin%2F"


def test_hole_8_the_code_page_refuses_codes_that_are_not_the_current_one(cast: Cast) -> None:
    secret = enrol(sign_in())
    client = sign_in()
    for wrong in ("123", "abcdef", totp(secret, at=time.time() - 600)):
        response = client.post(reverse("login_code"), {"code": wrong})
        assert response.status_code == 422
    assert client.get(reverse("home")).status_code == 302
    assert client.get(reverse("home"))["Location"].startswith("/login/code/")


def test_hole_8_after_a_wrong_code_guessing_is_slowed_down(cast: Cast, settings) -> None:
    secret = enrol(sign_in())
    settings.OTP_TOTP_THROTTLE_FACTOR = 600
    client = sign_in()
    client.post(reverse("login_code"), {"code": "000000"})
    response = client.post(reverse("login_code"), {"code": totp(secret, at=time.time() + 30)})
    assert response.status_code == 422 and "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("people:directory")).status_code == 302


def test_hole_8_half_signed_in_sessions_reach_only_the_code_page_and_sign_out(cast: Cast) -> None:
    enrol(sign_in())
    client = sign_in()
    for url in (reverse("account"), reverse("two_step"), reverse("programmes:list"), reverse("password_change")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/code/"), url
    htmx = client.get(reverse("people:directory"), headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith("/login/code/")
    assert client.get(reverse("login_code")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("login_code")).status_code == 302


def test_hole_8_only_org_admins_are_offered_an_authenticator_app(cast: Cast) -> None:
    client = sign_in("pm")
    assert "Two-step sign-in" not in client.get(reverse("account")).content.decode()
    assert client.post(reverse("two_step"), {"action": "start"}).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_hole_8_an_optional_app_can_be_removed(cast: Cast) -> None:
    client = sign_in()
    enrol(client)
    assert client.post(reverse("two_step_remove")).status_code == 302
    assert not TOTPDevice.objects.exists()
    assert sign_in().get(reverse("people:directory")).status_code == 200


def test_hole_8_mandatory_two_step_makes_org_admins_enrol_before_anything_else(cast: Cast, settings) -> None:
    settings.TOTP_REQUIRED_FOR_ORG_ADMINS = True
    client = sign_in()
    for url in (reverse("people:directory"), reverse("admin:index"), reverse("account")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/account/two-step/"), url
    assert "must sign in with a code" in client.get(reverse("two_step")).content.decode()
    secret = enrol(client)
    assert client.get(reverse("admin:index")).status_code == 200
    # Where it is mandatory, it stays.
    client.post(reverse("two_step_remove"))
    assert TOTPDevice.objects.filter(user=cast.admin, confirmed=True).exists()
    # Other roles are not asked.
    assert sign_in("pm").get(reverse("programmes:list")).status_code == 200
    fresh = sign_in()
    assert fresh.get(reverse("admin:index"))["Location"].startswith("/login/code/")
    fresh.post(reverse("login_code"), {"code": totp(secret, at=time.time() + 30)})
    assert fresh.get(reverse("admin:index")).status_code == 200


def test_hole_8_the_admin_site_itself_refuses_a_session_owing_its_second_factor(cast: Cast) -> None:
    request = RequestFactory().get("/admin/")
    request.user = cast.admin
    request.session = {SESSION_KEY: "verify"}  # type: ignore[assignment]
    site = TwofoldAdminSite()
    assert site.has_permission(request) is False
    request.session = {}  # type: ignore[assignment]
    assert site.has_permission(request) is True
