"""/healthz and /readyz: no session, no redirect, ok or failed per check and nothing more."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from twofold.operations import probes
from twofold.operations.heartbeat import Heartbeat, heartbeat_record
from twofold.operations.models import WorkerHeartbeat


def ready(client: Client) -> tuple[int, dict[str, object]]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json" and response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response and not response.cookies
    return response.status_code, response.json()


def test_healthz_answers_without_a_session_or_the_database(client) -> None:
    # No db fixture: any query would raise.
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert not response.cookies and len(response["X-Request-ID"]) == 32


def test_readyz_fails_naming_the_worker_until_one_beats(db, client) -> None:
    status, body = ready(client)
    assert status == 503
    assert body == {"status": "failed", "checks": {"database": "ok", "migrations": "ok", "worker": "failed"}}

    heartbeat_record(worker_id="host:1", backend="database", started_at=timezone.now())
    assert ready(client) == (200, {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "worker": "ok"}})


def test_a_silent_worker_makes_readyz_fail_again(db, client, settings) -> None:
    heartbeat_record(worker_id="host:1", backend="database", started_at=timezone.now())
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 1))
    status, body = ready(client)
    assert status == 503 and body["checks"] == {"database": "ok", "migrations": "ok", "worker": "failed"}


def _seen_at(worker_id: str) -> datetime:
    """The row's last beat, read while the heartbeat thread may be writing it.

    The test database on SQLite is shared in memory, where a write holds a table lock that a reader
    meets at once ("database table is locked") instead of waiting: read again a moment later.
    """
    for _ in range(50):
        try:
            return WorkerHeartbeat.objects.get(worker_id=worker_id).seen_at
        except OperationalError:
            time.sleep(0.05)
    return WorkerHeartbeat.objects.get(worker_id=worker_id).seen_at


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_beating_and_stops(settings) -> None:
    heartbeat = Heartbeat(worker_id="host:2", backend="database", interval=0.2)
    heartbeat.start()
    first = _seen_at("host:2")
    try:
        for _ in range(50):
            if _seen_at("host:2") > first:
                break
            time.sleep(0.1)
    finally:
        heartbeat.stop()
    row = WorkerHeartbeat.objects.get(worker_id="host:2")
    assert row.seen_at > first and row.started_at <= first and row.backend == "database"
    assert "twofold-heartbeat" not in {thread.name for thread in threading.enumerate()}


def test_rows_of_workers_gone_a_day_are_forgotten_when_a_worker_starts(db) -> None:
    long_ago = timezone.now() - timedelta(days=2)
    heartbeat_record(worker_id="gone:1", backend="database", started_at=long_ago)
    WorkerHeartbeat.objects.filter(worker_id="gone:1").update(seen_at=long_ago)
    heartbeat = Heartbeat(worker_id="host:3", backend="database", interval=60)
    heartbeat.start()
    heartbeat.stop()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["host:3"]


def test_an_unapplied_migration_fails_readyz(db, client, monkeypatch) -> None:
    heartbeat_record(worker_id="host:1", backend="database", started_at=timezone.now())
    monkeypatch.setattr(probes, "_migrations_applied", False)  # this process has seen them all applied before
    MigrationRecorder(connection).record_unapplied("operations", "0001_initial")
    status, body = ready(client)
    assert status == 503 and body["checks"] == {"database": "ok", "migrations": "failed", "worker": "ok"}


def test_without_a_worker_backend_readyz_does_not_ask_for_one(db, client, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert ready(client) == (200, {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}})


def test_probes_answer_any_host_over_plain_http(db, client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["twofold.example.org"]
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 503
    # Everything else still gets the host check and the redirect.
    assert client.get("/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    assert client.get("/login/", HTTP_HOST="twofold.example.org").status_code == 301
