"""Who calls the API: a bearer token, or the browser's session (with its CSRF token for writes).

Either way the call acts as one account. A token narrows it to the token's scopes; a session is
the person signed in, with everything their account may do (the pages' own use). Each endpoint
names the scope it needs with :func:`caller`; the permission layer then decides as for the pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security import APIKeyCookie, HttpBearer

from twofold.accounts.models import AccessToken
from twofold.accounts.tokens import authenticate_token, token_has_scope


class MissingScope(Exception):
    """The token lacks the scope this call needs."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"This token lacks the scope {scope}; issue one with it.")
        self.scope = scope


class CsrfFailed(Exception):
    """A write through the session without the page's CSRF token."""


@dataclass(frozen=True)
class Caller:
    user: Any
    token: AccessToken | None  # None: the browser's session

    def require(self, scope: str) -> Any:
        if self.token is not None and not token_has_scope(self.token, scope):
            raise MissingScope(scope)
        return self.user


class BearerToken(HttpBearer):
    """``Authorization: Bearer twofold_…``: a personal or service token."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = authenticate_token(token)
        if found is None:
            return None
        # Whatever else looks at the request (the audit log's context, the logs) sees the token's user.
        request.user = found.user
        return Caller(user=found.user, token=found)


def _unused(request: HttpRequest) -> Any:
    return None


def _csrf_refusal(request: HttpRequest) -> Any:
    """Django's own CSRF check, as the pages get it (the API's views are exempt from the middleware)."""
    middleware = CsrfViewMiddleware(_unused)
    request.csrf_processing_done = False  # type: ignore[attr-defined]
    middleware.process_request(request)
    return middleware.process_view(request, _unused, (), {})


class Session(APIKeyCookie):
    """The session cookie of a signed-in browser; unsafe methods need the CSRF token as on the pages."""

    def __init__(self) -> None:
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if _csrf_refusal(request) is not None:
            raise CsrfFailed()
        return Caller(user=user, token=None)


class NullCharacter(Exception):
    """Text in the request holds a NUL character, which no text field may store."""


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _nul_in_request(request: HttpRequest) -> bool:
    """A NUL anywhere in the query or the JSON body: refused before any write, as the pages' forms
    refuse it (Django's ProhibitNullCharactersValidator), since PostgreSQL cannot store it."""
    if any(_holds_nul(key) or _holds_nul(values) for key, values in request.GET.lists()):
        return True
    if not request.body or b"\\u0000" not in request.body:
        return False
    try:
        return _holds_nul(json.loads(request.body))
    except ValueError:
        return False


def caller(request: HttpRequest, scope: str) -> Any:
    """The account this call acts as, once its token (if any) is seen to carry ``scope``."""
    who: Caller = request.auth  # type: ignore[attr-defined]
    user = who.require(scope)
    if _nul_in_request(request):
        raise NullCharacter()
    return user
