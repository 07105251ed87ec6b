"""The kept database connection's health check (twofold.operations.postgresql): a quiet connection
passes it without a round trip, and one the server has ended is found out and replaced before the
request's first query, as Django's ``SELECT 1`` finds it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from tests.operations.faults import require_postgres, terminate_backend
from twofold.operations.postgresql.base import QUIET_TRUSTED_SECONDS, quiet

pytestmark = pytest.mark.postgres


@pytest.fixture
def kept(db) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A connection of its own, kept between requests as a web process keeps its connection, and the
    number of times it asked the server ``SELECT 1`` for its health."""
    require_postgres()
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    assert wrapper.settings_dict["CONN_HEALTH_CHECKS"] and wrapper.settings_dict["CONN_MAX_AGE"]
    asked = []
    is_usable = wrapper.is_usable

    def counted() -> bool:
        asked.append(1)
        return bool(is_usable())

    wrapper.is_usable = counted
    wrapper.asked = asked
    try:
        yield wrapper
    finally:
        wrapper.close()


def backend_pid(wrapper: Any) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def next_request(wrapper: Any) -> None:
    """What Django does to the kept connection when a request ends and the next one starts."""
    wrapper.close_if_unusable_or_obsolete()
    wrapper.close_if_unusable_or_obsolete()


def test_a_quiet_connection_is_kept_without_asking_the_server(kept) -> None:  # type: ignore[no-untyped-def]
    first = backend_pid(kept)
    for _ in range(3):
        next_request(kept)
        assert quiet(kept.connection)
        assert backend_pid(kept) == first
    assert kept.asked == []


def test_a_connection_the_server_ended_is_replaced_before_the_first_query(kept) -> None:  # type: ignore[no-untyped-def]
    first = backend_pid(kept)
    next_request(kept)
    terminate_backend(first)  # as a restart of the server, or a failover, ends it
    deadline = time.monotonic() + 10
    while quiet(kept.connection) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not quiet(kept.connection)
    second = backend_pid(kept)  # no error: checked, found dead and replaced first
    assert second != first and kept.asked == [1]
    next_request(kept)
    assert backend_pid(kept) == second and kept.asked == [1]


def test_a_connection_inside_a_transaction_is_not_quiet(kept) -> None:  # type: ignore[no-untyped-def]
    backend_pid(kept)
    kept.connection.execute("BEGIN")
    assert not quiet(kept.connection)
    kept.connection.execute("ROLLBACK")
    assert quiet(kept.connection)
    assert quiet(None) is False and quiet(connection) is False  # no psycopg connection at all


def test_a_connection_idle_for_longer_asks_the_server(kept) -> None:  # type: ignore[no-untyped-def]
    """A quiet socket is not proof after a long silence (a failover or a firewall that forgot the
    connection only answers the next packet): the server is asked, as Django asks it."""
    first = backend_pid(kept)
    next_request(kept)
    kept.last_query_at -= QUIET_TRUSTED_SECONDS + 1
    assert quiet(kept.connection)
    assert backend_pid(kept) == first and kept.asked == [1]
    next_request(kept)  # it just answered: trusted again
    assert backend_pid(kept) == first and kept.asked == [1]
