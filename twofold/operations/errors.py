"""The answer to a request the database could not serve: 503 and Retry-After, not a 500.

A PostgreSQL restart, a failover or a connection limit reached is a moment, not a bug: the load
balancer and the browser should try again shortly, and Twofold itself reconnects on the next request
(persistent connections are checked before use, ``CONN_HEALTH_CHECKS``). ``connect_timeout`` keeps
a database that does not answer from holding the request (``DATABASE_URL``'s, 10 s by default).
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views import defaults

RETRY_AFTER_SECONDS = 5

UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Twofold is briefly unavailable</title></head>
<body><main><h1>Twofold is briefly unavailable</h1>
<p>Its database cannot be reached just now. Nothing you did was lost; try again in a few seconds.</p>
</main></body></html>
"""


def database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``: 503 when the database was out of reach, Django's 500 page otherwise."""
    if database_unavailable(sys.exc_info()[1]):
        response = HttpResponse(UNAVAILABLE_PAGE, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return defaults.server_error(request)
