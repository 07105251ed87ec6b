"""``/healthz``: the process answers. ``/readyz``: it can serve — the database answers, every
migration is applied, and a worker has beaten recently (when the tasks need one).

Each check reports ``ok`` or ``failed`` and nothing more: the reason goes to the log, never to the
caller, who needs no login to ask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

OK = "ok"
FAILED = "failed"

# Once every migration is found applied, it stays so for this process (its code cannot gain new
# ones without a restart), so the migration graph is not loaded again on every probe.
_migrations_applied = False


def check_database() -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def check_migrations() -> bool:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


def check_worker() -> bool:
    from twofold.operations.heartbeat import heartbeat_recent_exists

    return heartbeat_recent_exists()


def check_queue() -> bool:
    import redis
    from django.conf import settings

    # A connection of its own with short timeouts: a Redis that has gone silent must not hold the probe.
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        return bool(client.ping())
    finally:
        client.close()


def readiness() -> dict[str, str]:
    """Each check's outcome, in order; a check after a failed database one is not attempted."""
    from twofold.operations.tasks import task_backend_kind

    checks: dict[str, Callable[[], bool]] = {"database": check_database, "migrations": check_migrations}
    kind = task_backend_kind()
    if kind == "rq":
        checks["queue"] = check_queue
    if kind != "immediate":
        checks["worker"] = check_worker
    outcome: dict[str, str] = {}
    for name, check in checks.items():
        if outcome.get("database") == FAILED and name != "queue":
            outcome[name] = FAILED
            continue
        try:
            outcome[name] = OK if check() else FAILED
        except Exception:
            logger.warning("readiness check %s failed", name, exc_info=True)
            outcome[name] = FAILED
    if outcome.get("database") == FAILED:
        # A connection that failed mid-probe must not be handed to the next one.
        connections[DEFAULT_DB_ALIAS].close_if_unusable_or_obsolete()
    return outcome


def _probe_response(body: dict[str, object], status: int) -> HttpResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    # Django would log each 503 as a server error; the probe logs what failed itself, once.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _probe_response({"status": OK}, 200)


def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    ready = all(outcome == OK for outcome in checks.values())
    if not ready:
        logger.warning("not ready: %s", ", ".join(name for name, outcome in checks.items() if outcome != OK))
    return _probe_response({"status": OK if ready else FAILED, "checks": checks}, 200 if ready else 503)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}
