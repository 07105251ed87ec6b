"""Twofold's OTPMiddleware gives the same ``request.user`` as django-otp's, one lazy object deep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.functional import LazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import Cast
from twofold.accounts.middleware import AuthenticationMiddleware, OTPMiddleware
from twofold.accounts.models import User


def user_seen(otp_middleware: type[DjangoOTPMiddleware], cookie: str | None, read: Callable[[Any], Any]) -> Any:
    """What ``read(request.user)`` gives in a view behind sessions, authentication and ``otp_middleware``,
    and what the session holds afterwards."""
    request = RequestFactory().get("/account/")
    if cookie:
        request.COOKIES["sessionid"] = cookie
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        with CaptureQueriesContext(connection) as before_reading:
            user = request.user
            seen["lazy_read"] = len(before_reading)  # the account is read only once asked for
        seen["value"] = read(user)
        seen["device_in_session"] = request.session.get(DEVICE_ID_SESSION_KEY)
        seen["depth"] = 0
        while isinstance(user, LazyObject):
            seen["depth"] += 1
            user = user._wrapped  # type: ignore[attr-defined]
        return HttpResponse("ok")

    SessionMiddleware(AuthenticationMiddleware(otp_middleware(view)))(request)
    return seen


def what_otp_says(user: Any) -> tuple[Any, ...]:
    return (user.__class__, user.pk, user.is_authenticated, user.otp_device, user.is_verified())


@pytest.mark.parametrize("device", ["none", "own", "unconfirmed", "someone_elses"])
def test_request_user_is_django_otps(cast: Cast, device: str) -> None:
    client = Client()
    client.force_login(cast.admin)
    devices = {
        "own": TOTPDevice.objects.create(user=cast.admin, name="own", confirmed=True),
        "unconfirmed": TOTPDevice.objects.create(user=cast.admin, name="new", confirmed=False),
        "someone_elses": TOTPDevice.objects.create(user=cast.ana_user, name="ana's", confirmed=True),
    }
    if device != "none":
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = devices[device].persistent_id
        session.save()
    cookie = client.cookies["sessionid"].value

    ours = user_seen(OTPMiddleware, cookie, what_otp_says)
    theirs = user_seen(DjangoOTPMiddleware, cookie, what_otp_says)
    assert ours["value"] == theirs["value"]
    assert ours["value"][:2] == (User, cast.admin.pk)
    assert (ours["value"][3] == devices["own"]) is (device == "own")
    assert ours["device_in_session"] == theirs["device_in_session"]
    assert ours["lazy_read"] == theirs["lazy_read"] == 0
    assert (ours["depth"], theirs["depth"]) == (1, 2)


def test_an_anonymous_request_user_is_django_otps(db) -> None:  # type: ignore[no-untyped-def]
    ours = user_seen(OTPMiddleware, None, what_otp_says)
    theirs = user_seen(DjangoOTPMiddleware, None, what_otp_says)
    assert ours["value"] == theirs["value"]
    assert ours["value"][2:] == (False, None, False)
