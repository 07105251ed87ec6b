"""Where an action comes from: the request being served (web or API), or else the command line.

:class:`AuditContextMiddleware` puts the request in a context variable for the length of the
request, so that :func:`twofold.audit.record` can name the signed-in account, its address and
browser without every service passing them down. Outside a request (``twofold`` commands and the
background worker they start) the channel is the command line; ``twofold`` itself opens a
:func:`command_line_context` around every command.

Each context collects the refusals recorded while it lasts and writes them when it ends, outside
any transaction: the error that follows a refusal usually rolls back the transaction it happened in.

The address is the connection's (``REMOTE_ADDR``). ``X-Forwarded-For`` is believed only when
``TRUST_X_FORWARDED_FOR`` says a proxy in front sets it, and then only its last entry: the one
that proxy added. Anything before it came from the client and may be made up.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# The channels (AuditEntry.channel), spelt here so that this module loads before Django's models do.
WEB, COMMAND_LINE, API = "web", "command_line", "api"
API_PREFIX = "/api/"


@dataclass
class AuditContext:
    request: HttpRequest | None
    channel: str
    ip_address: str | None = None
    user_agent: str = ""
    # Refusals waiting to be written once the request or command is over (twofold.audit.recording).
    pending: list[Any] = field(default_factory=list)


_current: ContextVar[AuditContext | None] = ContextVar("twofold_audit_context", default=None)


@functools.lru_cache(maxsize=1024)
def _valid_ip(text: str) -> str | None:
    """``text`` as an IP address in its normal form, or None: a function of the text alone, so the
    answers for the addresses a process meets most (its proxy's, its clients') are kept."""
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


def current() -> AuditContext | None:
    return _current.get()


@contextmanager
def _entered(context: AuditContext) -> Iterator[AuditContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
        if context.pending:
            from twofold.audit.recording import write_pending  # models load once Django is set up

            write_pending(context)


def request_context(request: HttpRequest) -> Any:
    return _entered(
        AuditContext(
            request=request,
            channel=API if request.path.startswith(API_PREFIX) else WEB,
            ip_address=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
    )


def command_line_context() -> Any:
    """Around a ``twofold`` command: its refusals are written when it ends, however it ends."""
    return _entered(AuditContext(request=None, channel=COMMAND_LINE))


class AuditContextMiddleware:
    """Makes the request known to the audit log while it is served; writes its refusals at the end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_context(request):
            return self.get_response(request)
