"""The one ninja API at ``/api/v1``: each resource's router mounted, errors as problem details.

Endpoints are thin: parse a schema, name the scope, call the service or selector the pages call,
return a schema. Who may do what is decided by the permission layer inside those services and
selectors, never here.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from twofold.api import problems
from twofold.api.auth import BearerToken, Session
from twofold.api.routers import DOMAIN_ERRORS, register_routers, translate_domain_error


def _docs_decorator(view: Any) -> Any:
    # Swagger UI (served from ninja's own static files, no CDN) draws its icons as data: images in
    # its stylesheet; the docs page alone allows those. Nothing inline is allowed, here as anywhere.
    return never_cache(csp_update({"img-src": ["data:"]})(view))


class TwofoldApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """The schema, with every error response declared as ``application/problem+json``."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {problems.MEDIA_TYPE: content["application/json"]}
        return schema


api = TwofoldApi(
    title="Twofold API",
    version="1",
    description=(
        "Programmes, enrolments, relationships and what a pair records in them, match runs, pairs and people, as "
        "the pages show them. "
        "Authenticate with `Authorization: Bearer <token>` (a personal token from *Your account → Access "
        "tokens*, or a service token from an org admin), or with a signed-in session (send the CSRF token "
        "with writes). Every call acts as the token's account, narrowed to the token's scopes. Lists are "
        "paged by cursor: pass `next_cursor` back as `cursor`. Errors are `application/problem+json`."
    ),
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    docs_decorator=_docs_decorator,
    openapi_url="/openapi.json",
)


def _problem(request: HttpRequest, error: Any) -> HttpResponse:
    translated = translate_domain_error(error)
    return problems.handle(request, translated or error)


for _error in (*problems.HANDLED, *DOMAIN_ERRORS):
    api.add_exception_handler(_error, _problem)

register_routers(api)
