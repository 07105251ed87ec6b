"""The first middleware every request meets: its request id, its access log line, and the probes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from twofold.operations.context import request_context, request_id_accept, request_id_new, user_id_var
from twofold.operations.probes import PROBES

access_logger = logging.getLogger("twofold.access")

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Gives each request an id, logs one access line for it, and returns the id in ``X-Request-ID``.

    An incoming ``X-Request-ID`` is kept only with ``TRUST_X_REQUEST_ID=1``, for a proxy that sets it
    itself; otherwise a client could choose the id its requests are logged under.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.TRUST_X_REQUEST_ID:
            request_id = request_id_accept(request.headers.get(REQUEST_ID_HEADER))
        else:
            request_id = request_id_new()
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.monotonic()
        with request_context(request_id=request_id, path=request.path):
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if request.path not in PROBES:  # a load balancer asks every few seconds; that is not traffic
                duration_ms = round((time.monotonic() - started) * 1000, 1)
                access_logger.info(
                    "%s %s %s %.1f ms",
                    request.method,
                    request.path,
                    response.status_code,
                    duration_ms,
                    extra={"method": request.method, "status": response.status_code, "duration_ms": duration_ms},
                )
        return response

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        # By now authentication has run: log lines from the view name the signed-in user.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id_var.set(user.pk)


class ProbeMiddleware:
    """Answers ``/healthz`` and ``/readyz`` before sessions, host checks and the HTTPS redirect.

    A load balancer asks by address over plain HTTP, with no cookie; the answers say only ok or
    failed per check, so they are safe to give whatever the Host header says.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
