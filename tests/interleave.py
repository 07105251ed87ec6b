"""Two requests interleaved at the worst moment, on PostgreSQL, every time.

The first request runs in its own thread and connection and keeps its transaction open when it is
done; the second starts only then, and the first commits once PostgreSQL shows the second waiting
for one of its locks (a row it locked, or a unique key it inserted). A barrier, as in
tests/relationships/test_concurrency.py, makes such a collision likely; this makes it certain, so a
regression test cannot pass by luck.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, connections, transaction

Outcome = str  # "ok", or the ``code`` of the refusal the request got


def _outcome(request: Callable[[], Any], refusals: tuple[type[Exception], ...]) -> Outcome:
    try:
        request()
    except refusals as refusal:
        return str(getattr(refusal, "code", type(refusal).__name__))
    return "ok"


def _waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def interleave(
    first: Callable[[], Any], second: Callable[[], Any], *, refusals: tuple[type[Exception], ...]
) -> tuple[Outcome, Outcome]:
    """Run ``first`` and hold its transaction open; run ``second`` until it waits on ``first``; commit
    ``first``; return both outcomes. Any exception other than ``refusals`` fails the calling test."""
    outcomes: list[Outcome] = ["", ""]
    crashes: list[BaseException] = []
    first_done, commit = threading.Event(), threading.Event()

    def run_first() -> None:
        try:
            with transaction.atomic():
                outcomes[0] = _outcome(first, refusals)
                first_done.set()
                commit.wait(timeout=30)
        except BaseException as crash:
            crashes.append(crash)
        finally:
            first_done.set()
            connections.close_all()

    def run_second() -> None:
        try:
            outcomes[1] = _outcome(second, refusals)
        except BaseException as crash:
            crashes.append(crash)
        finally:
            connections.close_all()

    holder = threading.Thread(target=run_first)
    holder.start()
    first_done.wait(timeout=30)
    waiter = threading.Thread(target=run_second)
    waiter.start()
    deadline = time.monotonic() + 20
    blocked = False
    while not blocked and waiter.is_alive() and time.monotonic() < deadline:
        blocked = _waiting_for_a_lock() > 0
        time.sleep(0.02)
    commit.set()
    for thread in (holder, waiter):
        thread.join(timeout=60)
    assert not holder.is_alive() and not waiter.is_alive(), "a request hung (a lock never released?)"
    if crashes:
        raise crashes[0]
    assert blocked, "the second request never waited for the first: the interleaving did not happen"
    return outcomes[0], outcomes[1]
