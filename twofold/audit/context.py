"""Where an action comes from: the request being served (web or API), or else the command line.

:class:`AuditContextMiddleware` puts the request in a context variable for the length of the
request, so that :func:`twofold.audit.record` can name the signed-in account, its address and
browser without every service passing them down. Outside a request (``twofold`` commands and the
background worker they start) the channel is the command line.

The address is the connection's (``REMOTE_ADDR``). ``X-Forwarded-For`` is believed only when
``TRUST_X_FORWARDED_FOR`` says a proxy in front sets it, and then only its last entry: the one
that proxy added. Anything before it came from the client and may be made up.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from twofold.audit.models import Channel

API_PREFIX = "/api/"


@dataclass
class RequestContext:
    request: HttpRequest
    channel: str
    ip_address: str | None
    user_agent: str
    # Refusals waiting to be written once the request is over (see twofold.audit.recording).
    pending: list[Any] = field(default_factory=list)


_current: ContextVar[RequestContext | None] = ContextVar("twofold_audit_request", default=None)


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from, as far as it can be believed."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return _valid_ip(hops[-1])
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def current() -> RequestContext | None:
    return _current.get()


@contextmanager
def request_context(request: HttpRequest) -> Iterator[RequestContext]:
    context = RequestContext(
        request=request,
        channel=Channel.API if request.path.startswith(API_PREFIX) else Channel.WEB,
        ip_address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


class AuditContextMiddleware:
    """Makes the request known to the audit log while it is served; writes its refusals at the end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from twofold.audit.recording import write_pending

        with request_context(request) as context:
            try:
                return self.get_response(request)
            finally:
                write_pending(context)
