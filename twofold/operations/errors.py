"""The answer to a request the database could not serve: 503 and Retry-After, not a 500.

A PostgreSQL restart, a failover or a connection limit reached is a moment, not a bug: the load
balancer and the browser should try again shortly, and Twofold itself reconnects on the next request
(persistent connections are checked before use, ``CONN_HEALTH_CHECKS``, cheaply by
:mod:`twofold.operations.postgresql`). ``connect_timeout`` keeps a database that does not answer
from holding the request (``DATABASE_URL``'s, 10 s by default).

A write that loses to another at the database is a moment too. PostgreSQL ends one of two
transactions that wait for each other (a deadlock) or that cannot both be serialised: that whole
transaction is run again, a few times (:func:`retried_on_conflict`), which is what PostgreSQL's
manual prescribes. A write that still loses, or that could not take a lock within ``lock_timeout``,
changed nothing and raises :class:`DatabaseBusy`, which each surface answers as "busy, try again"
(503 with Retry-After): the API, the admin, and SCIM (whose provider retries by itself). The web
processes' connections wait for a lock at most ``DATABASE_LOCK_TIMEOUT`` (:func:`limit_lock_waits`).
"""

from __future__ import annotations

import functools
import logging
import random
import sys
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.views import defaults

RETRY_AFTER_SECONDS = 5

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATEs: the transaction lost to another and is worth running again ...
RETRYABLE_STATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
# ... or waited for a lock as long as it may (lock_timeout): waiting again now would wait as long.
BUSY_STATES = RETRYABLE_STATES | {"55P03"}  # lock_not_available
# Runs of one write in all, the first included, before it is given up as busy.
WRITE_ATTEMPTS = 3

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseBusy(Exception):
    """A write lost to others at the database, every time it was tried: nothing was changed. Try
    again shortly."""

    message = "The directory is busy with another change just now; nothing was changed. Try again in a few seconds."

    def __init__(self) -> None:
        super().__init__(self.message)


def _sqlstate(error: BaseException) -> str:
    cause = error.__cause__
    return str(getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None) or "")


def retried_on_conflict(write: Callable[P, T]) -> Callable[P, T]:
    """``write``, which opens its own transaction, run again when PostgreSQL ended that transaction
    for a deadlock or a serialisation failure, up to :data:`WRITE_ATTEMPTS` runs in all; then, or at
    once for a lock not had within ``lock_timeout``, :class:`DatabaseBusy`. Called inside a
    transaction (which the failure aborted as a whole) it cannot run again: :class:`DatabaseBusy`."""

    @functools.wraps(write)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return write(*args, **kwargs)
            except OperationalError as error:
                state = _sqlstate(error)
                if state not in BUSY_STATES:
                    raise
                last = state not in RETRYABLE_STATES or attempt == WRITE_ATTEMPTS or connection.in_atomic_block
                name = getattr(write, "__name__", "a write")
                logger.warning("%s lost to another write (SQLSTATE %s), run %d: %s", name, state, attempt, error)
                if last:
                    raise DatabaseBusy() from error
                # A moment's pause, different for each, so the two that met do not meet again at once.
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def _set_lock_timeout(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [settings.DATABASE_LOCK_TIMEOUT])


def limit_lock_waits() -> None:
    """Every database connection this process opens from now on waits for a lock at most
    ``DATABASE_LOCK_TIMEOUT`` (PostgreSQL's ``lock_timeout``, for the session): for the web processes
    only, which call it as they load (:mod:`twofold.wsgi`), so that a request stuck behind another
    write is answered "busy, try again" in seconds instead of holding a web worker until gunicorn's
    timeout. Not the worker's nor a command's: their long tasks wait their turn."""
    connection_created.connect(_set_lock_timeout, dispatch_uid="twofold.operations.errors.limit_lock_waits")


def busy_response(message: str = DatabaseBusy.message) -> HttpResponse:
    """A page saying that nothing was changed and to try again: 503 with Retry-After. ``message`` is
    text (escaped here), never markup."""
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Busy: try again</title></head>\n'
        f"<body><main><h1>Nothing was saved: try again</h1>\n<p>{escape(message)}</p>\n"
        "<p>Go back to keep what you entered, and save again.</p></main></body></html>\n"
    )
    return _try_again_later(page)


def _try_again_later(page: str) -> HttpResponse:
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Twofold is briefly unavailable</title></head>
<body><main><h1>Twofold is briefly unavailable</h1>
<p>Its database cannot be reached just now. Nothing you did was lost; try again in a few seconds.</p>
</main></body></html>
"""


def database_unavailable(error: BaseException | None) -> bool:
    """The database could not serve the request now: out of reach, or busy (:class:`DatabaseBusy`)."""
    return isinstance(error, OperationalError | InterfaceError | DatabaseBusy)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``: 503 when the database was busy (a write that lost, a lock not had in
    time: "nothing was saved, try again") or out of reach, Django's 500 page otherwise."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseBusy) or (isinstance(error, OperationalError) and _sqlstate(error) in BUSY_STATES):
        return busy_response()
    if database_unavailable(error):
        return _try_again_later(UNAVAILABLE_PAGE)
    return defaults.server_error(request)
