"""The identity provider's endpoints: given one by one in the settings, or read from its discovery document.

The discovery document (``<OIDC_ISSUER>/.well-known/openid-configuration``) is fetched when someone
first signs in, not when Twofold starts, so a provider that is down delays nothing but single
sign-on; it is kept for an hour per process.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from django.conf import settings

DISCOVERY_MAX_AGE_SECONDS = 3600

# Django setting (mozilla-django-oidc's name) → the discovery document's key.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_END_SESSION_ENDPOINT": "end_session_endpoint",
}

_lock = threading.Lock()
_documents: dict[str, tuple[float, dict[str, Any]]] = {}


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read; the message says what happened."""


def provider_name() -> str:
    return str(settings.OIDC_PROVIDER_NAME)


def discovery_document(issuer: str) -> dict[str, Any]:
    with _lock:
        cached = _documents.get(issuer)
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_MAX_AGE_SECONDS:
            return cached[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"could not read {url}: {error}") from error
    if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != issuer:
        raise ProviderUnavailable(f"{url} does not describe the issuer {issuer}")
    with _lock:
        _documents[issuer] = (time.monotonic(), document)
    return document


def endpoint(setting: str) -> str:
    """The endpoint named by ``setting``: the explicit setting, else the discovery document's; "" if neither."""
    explicit = str(getattr(settings, setting, "") or "")
    if explicit or not settings.OIDC_ISSUER:
        return explicit
    return str(discovery_document(settings.OIDC_ISSUER).get(ENDPOINTS[setting]) or "")


def issuer() -> str:
    """The ``iss`` every ID token must carry: the configured issuer (empty when only endpoints are given)."""
    return str(settings.OIDC_ISSUER)
