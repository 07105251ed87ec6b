"""``/scim/v2``: scim2-server's handler, mounted in Django.

scim2-server speaks the protocol over a storage (:class:`~twofold.scim.storage.PeopleStorage`); this
view turns a Django request into its :class:`~scim2_server.requests.ScimRequest`, authenticates
the bearer token (an access token with the ``scim`` scope, acting as its account) and turns the
answer back into a Django response. Every failure is a SCIM error body with its status.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import ForbiddenException, SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.routing import Operation

from twofold.accounts import permissions
from twofold.accounts.tokens import authenticate_token, token_has_scope
from twofold.operations.errors import RETRY_AFTER_SECONDS, database_unavailable
from twofold.scim.compat import adapt_patch_body
from twofold.scim.protocol import SERVICE
from twofold.scim.storage import PeopleStorage

log = logging.getLogger(__name__)
SCOPE = "scim"
ROOT = "/scim/v2"


@csrf_exempt
def scim_endpoint(request: HttpRequest, **route: str) -> HttpResponse:
    path = request.path_info.removeprefix(ROOT) or "/"
    scim_request = ScimRequest(
        method=request.method or "GET",
        base_url=request.build_absolute_uri(ROOT),
        path=path,
        query=request.GET.dict(),
        headers=list(request.headers.items()),
        body=adapt_patch_body(request.body) if request.method == "PATCH" else request.body,
    )
    try:
        actor = _authenticate(scim_request)
        response = ScimHandler(SERVICE, PeopleStorage(actor)).handle(scim_request)
    except Exception as exception:
        if isinstance(exception, SCIMException):
            log.info("SCIM %s %s: %s %s", request.method, path, exception.status, exception)
        elif database_unavailable(exception):
            # A restart, or two writes to one reporting chain ending in a deadlock: the provider retries.
            log.warning("SCIM %s %s: database error, answered 503: %s", request.method, path, exception)
            return _unavailable()
        else:
            log.exception("SCIM %s %s failed", request.method, path)
        response = SERVICE.error_response(exception)
    response.headers.setdefault("Cache-Control", "no-cache")
    body = b"" if response.body is None else json.dumps(response.body).encode()
    answer = HttpResponse(body, status=int(response.status))
    for name, value in response.headers.items():
        answer[name] = value
    return answer


def _unavailable() -> HttpResponse:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "503",
        "detail": "The directory is busy or briefly unreachable; nothing was changed. Try again shortly.",
    }
    answer = HttpResponse(json.dumps(body).encode(), status=503, content_type="application/scim+json")
    answer["Retry-After"] = str(RETRY_AFTER_SECONDS)
    answer["Cache-Control"] = "no-cache"
    return answer


def _authenticate(request: ScimRequest) -> Any:
    """The account the bearer token acts as; 401 without a valid token, 403 without the ``scim``
    scope or, beyond the service provider configuration, without the right to read the whole
    directory (leavers included) that provisioning needs."""
    operation = SERVICE.match(request).operation
    scheme, _, raw = (request.header("Authorization") or "").partition(" ")
    token = authenticate_token(raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
    if token is None:
        if operation is Operation.service_provider_config:
            return None
        raise UnauthorizedException(detail="A bearer token with the scim scope is needed")
    if not token_has_scope(token, SCOPE):
        raise ForbiddenException(detail="This token does not have the scim scope")
    try:
        permissions.authorize(token.user, "people.list_leavers")
    except permissions.NotPermitted as refusal:
        raise ForbiddenException(detail=str(refusal)) from None
    return token.user
