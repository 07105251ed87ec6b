"""What every request passes on its way in: who is asking, the idle timeout and the second factor."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import LazyObject, SimpleLazyObject, empty
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware

from twofold.accounts.sessions import session_being_read
from twofold.accounts.two_factor import SecondFactor, second_factor_due

LAST_SEEN_KEY = "twofold_last_seen"
# Writing the session on every request would cost a database write per page; a minute's
# precision is plenty for a timeout counted in tens of minutes.
LAST_SEEN_PRECISION_SECONDS = 60


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests, which would otherwise swap the page into a fragment."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's ``request.user``, found with the account read in the same query as the session row.

    Django reads the session, then the account by the id it holds: two queries on every signed-in
    request. The session engine reads the row with its account, and while Django's
    :func:`~django.contrib.auth.get_user` runs, the backend takes that account when the session's
    id names it; the session hash, the backend and ``is_active`` are checked as before.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _signed_in_user(request))  # type: ignore[assignment]


def _signed_in_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        with session_being_read(request.session):
            request._cached_user = auth.get_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's ``request.user`` (the account with ``otp_device`` and ``is_verified``), around the
    account itself rather than around the lazy ``request.user`` that authentication left.

    django-otp wraps whatever ``request.user`` is in a lazy object of its own, so every attribute a
    page reads from the user went through two lazy objects, hundreds a page. Here the inner one is
    evaluated when the outer one is (never sooner), and django-otp marks and returns the account it
    holds: the same account, marked the same way, one lazy object deep.
    """

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        return super()._verify_user_sync(request, evaluated(user))


def evaluated(user: Any) -> Any:
    """The object a lazy ``request.user`` stands for (evaluated now if it was not yet), or ``user``
    itself when it is not lazy: to read many attributes without a lazy object's detour for each."""
    if isinstance(user, LazyObject):
        if user._wrapped is empty:  # type: ignore[attr-defined]
            user._setup()  # type: ignore[attr-defined]
        return user._wrapped  # type: ignore[attr-defined]
    return user


class SessionIdleTimeoutMiddleware:
    """Signs out a session that has made no request for ``SESSION_IDLE_MINUTES``; each request extends it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if evaluated(request.user).is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if isinstance(last_seen, int | float) and now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity. "
                    "Sign in again to carry on.",
                )
                return _redirect(
                    request, f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
                )
            if last_seen is None or now - last_seen >= LAST_SEEN_PRECISION_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """Until a signed-in user gives the second factor that is due, every page leads to the code page.

    Signing out and the static files stay open; an org admin who must enrol also reaches the
    enrolment page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        due = second_factor_due(request)
        if due is None:
            return self.get_response(request)
        target = reverse("login_code") if due is SecondFactor.VERIFY else reverse("two_step")
        open_paths = {target, reverse("logout")}
        if request.path in open_paths or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        return _redirect(request, f"{target}?{urlencode({'next': request.get_full_path()})}")
