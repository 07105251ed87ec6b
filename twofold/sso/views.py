"""Starting a single sign-on, coming back from the provider, and signing out at the provider too."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from twofold import audit
from twofold.sso import provider
from twofold.sso.backends import oidc_setting
from twofold.sso.matching import SignInRefused

logger = logging.getLogger(__name__)


def _refused(request: HttpRequest, message: str, *, reason: str) -> HttpResponse:
    """Back to the sign-in page, saying why; recorded in the audit log like a wrong password."""
    audit.record(
        "account.sign_in", allowed=False, target_type="user", target_label="single sign-on", detail={"reason": reason}
    )
    messages.error(request, message)
    return redirect(settings.LOGIN_URL)


def _unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.warning("Single sign-on failed talking to the provider: %s", error)
    return _refused(
        request,
        f"{provider.provider_name()} did not answer as expected, so you are not signed in. Try again in a moment; "
        "if it keeps happening, tell your administrator.",
        reason="provider unavailable",
    )


class SsoStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's sign-in, with a fresh state, nonce and PKCE challenge."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs: Any) -> None:
        # The provider's endpoints are resolved per request (see get), never when the view is built.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except provider.ProviderUnavailable as error:
            return _unavailable(request, error)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: sign in, or back to the sign-in page with the reason."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_URL)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        name = provider.provider_name()
        if request.GET.get("error"):
            # The provider's words are shown only for a sign-in this browser started: anyone can
            # craft a link to this address with words of their own.
            ours = request.GET.get("state") in request.session.get("oidc_states", {})
            super().get(request)  # forgets the state, so the same answer cannot be replayed
            said = request.GET.get("error_description") or request.GET["error"]
            detail = f" ({said[:200]})" if ours else ""
            return _refused(request, f"Signing in with {name} did not finish{detail}.", reason="provider error")
        try:
            response = super().get(request)
        except SignInRefused as refusal:
            return _refused(request, str(refusal), reason="refused")
        except SuspiciousOperation:
            return _refused(
                request,
                f"That sign-in with {name} had expired or was started elsewhere. Sign in again.",
                reason="unknown state",
            )
        except (requests.RequestException, provider.ProviderUnavailable) as error:
            return _unavailable(request, error)
        if not request.user.is_authenticated:
            return _refused(request, f"Signing in with {name} did not finish. Sign in again.", reason="incomplete")
        return response


def provider_logout_url(request: HttpRequest) -> str:
    """Where signing out sends the browser with ``OIDC_PROVIDER_LOGOUT``: the provider's end-session
    endpoint (RP-initiated logout), which comes back to the sign-in page; Twofold's own sign-in page
    when the provider has none or the session did not come from it."""
    back = request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL))
    id_token = request.session.get("oidc_id_token")
    if not id_token:
        return back
    try:
        end_session = provider.endpoint("OIDC_OP_END_SESSION_ENDPOINT")
    except provider.ProviderUnavailable as error:
        logger.warning("Signed out of Twofold only: %s", error)
        return back
    if not end_session:
        return back
    query = urlencode(
        {"id_token_hint": id_token, "post_logout_redirect_uri": back, "client_id": settings.OIDC_RP_CLIENT_ID}
    )
    return f"{end_session}?{query}"
