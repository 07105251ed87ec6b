"""Django's PostgreSQL backend, whose health check asks the server only when the connection is not quiet.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before a request first uses it, by sending
``SELECT 1`` and waiting for the answer: a round trip to the server on every request, for a
connection that almost always is fine. A connection the server has ended (a restart, a failover,
``pg_terminate_backend``, the server process gone) is not quiet: the server's last message, or the
end of the stream, waits on its socket, and the operating system reports the socket readable. So
the socket is asked first, without waiting: nothing to read there, libpq holding the connection
as good and idle, and the connection is as good as the ``SELECT 1`` would have found it. Anything
else takes Django's check, which reconnects when the connection fails it.

Not every end announces itself: a failover that moves the server's address to another machine, or a
firewall or NAT that forgets an idle connection, leaves the socket quiet, and only the next packet
sent is answered with a reset. So the socket alone is trusted only for a connection that ran a
query within the last :data:`QUIET_TRUSTED_SECONDS` - under load, every connection - and a
connection idle for longer asks the server as Django does. A network that drops packets without a
word is found by neither: the ``SELECT 1`` would wait for an answer that never comes, as the
request's first query does.
"""

from __future__ import annotations

import select
import time
from typing import Any

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from psycopg import pq

# Anything the server sent, the end of its stream, or an error, on the connection's socket.
_NOT_QUIET = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | getattr(select, "POLLRDHUP", 0)


# How long after its last query a quiet connection is taken as good without asking the server.
QUIET_TRUSTED_SECONDS = 5.0


def quiet(connection: object) -> bool:
    """Whether the psycopg ``connection`` is good and idle by libpq's account and has nothing waiting
    on its socket: as it was when it last answered."""
    pgconn = getattr(connection, "pgconn", None)
    if pgconn is None or pgconn.status != pq.ConnStatus.OK:
        return False
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    try:
        socket = pgconn.socket
    except Exception:  # psycopg raises when libpq has no socket for it
        return False
    poller = select.poll()
    poller.register(socket, _NOT_QUIET)
    return not poller.poll(0)


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    # When this connection last made a cursor (a query), by the monotonic clock.
    last_query_at = float("-inf")

    def create_cursor(self, name: Any = None) -> Any:
        self.last_query_at = time.monotonic()
        return super().create_cursor(name)

    def close_if_health_check_failed(self) -> None:
        """Django's check (once per request, before the first query) where it is due, unless the
        connection ran a query moments ago and is :func:`quiet`: that passes without a round trip."""
        # Django's attributes, which its type stubs do not know.
        due = getattr(self, "health_check_enabled", False) and not getattr(self, "health_check_done", True)
        if (
            due
            and self.connection is not None
            and not getattr(self, "pool", None)
            and time.monotonic() - self.last_query_at < QUIET_TRUSTED_SECONDS
            and quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
