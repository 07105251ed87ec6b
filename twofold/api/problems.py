"""Errors as RFC 9457 problem details (``application/problem+json``): type, title, status, detail.

Every refusal a client can cause maps to one status here, once: the permission layer's refusals
(403, or 404 where the target's existence is not the caller's to learn), the domain's rule
refusals (409 when the state forbids it, 422 when the values do), an unknown id (404), a request
that does not parse (400 / 422), no or a dead token (401).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from twofold.accounts.permissions import NotPermitted, NotPermittedHidden
from twofold.api.auth import CsrfFailed, MissingScope, NullCharacter
from twofold.operations.errors import RETRY_AFTER_SECONDS, DatabaseBusy

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not permitted",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable request",
    503: "Busy: try again",
}
# The statuses every operation declares.
ERROR_STATUSES = (400, 401, 403, 404, 409, 422)


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str


class ApiProblem(Exception):
    """A refusal an endpoint (or a translated domain error) raises with its status."""

    def __init__(self, status: int, detail: str, *, code: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code


def problem_response(status: int, detail: str, *, code: str = "") -> HttpResponse:
    body = {
        "type": f"https://twofold.invalid/problems/{code}" if code else "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=MEDIA_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="twofold"'
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:10]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "The request is not valid."


# The exceptions :func:`handle` answers (each app's own refusals are translated first, in routers).
HANDLED: tuple[type[Exception], ...] = (
    ApiProblem,
    AuthenticationError,
    MissingScope,
    CsrfFailed,
    NullCharacter,
    PermissionDenied,
    Http404,
    NinjaValidationError,
    HttpError,
    DatabaseBusy,
)


def handle(request: HttpRequest, error: Exception) -> HttpResponse:
    """The one translation of an exception into a problem response."""
    if isinstance(error, ApiProblem):
        return problem_response(error.status, error.detail, code=error.code)
    if isinstance(error, AuthenticationError):
        return problem_response(
            401, "Send a live token as `Authorization: Bearer …`, or sign in.", code="unauthenticated"
        )
    if isinstance(error, MissingScope):
        return problem_response(403, str(error), code="missing_scope")
    if isinstance(error, CsrfFailed):
        return problem_response(403, "CSRF check failed: send the page's CSRF token in X-CSRFToken.", code="csrf")
    if isinstance(error, NullCharacter):
        return problem_response(422, "Text may not contain the NUL character (\\u0000).", code="invalid")
    if isinstance(error, NotPermittedHidden):
        return problem_response(404, error.message, code="not_found")
    if isinstance(error, NotPermitted):
        return problem_response(403, error.message, code="not_permitted")
    if isinstance(error, PermissionDenied):
        return problem_response(403, str(error) or "Not permitted.", code="not_permitted")
    if isinstance(error, Http404):
        return problem_response(404, str(error) or "No such resource.", code="not_found")
    if isinstance(error, NinjaValidationError):
        return problem_response(422, _validation_detail(list(error.errors)), code="invalid")
    if isinstance(error, HttpError):
        return problem_response(error.status_code, str(error))
    if isinstance(error, DatabaseBusy):
        return problem_response(503, error.message, code="busy")
    raise error
