"""Tasks whose worker died are queued again, up to three attempts, then failed with the reason."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from twofold.operations.heartbeat import heartbeat_record
from twofold.operations.recovery import MAX_ATTEMPTS, WORKER_LOST, tasks_recover
from twofold.relationships.tasks import reminders_daily

HOST = socket.gethostname()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def running(settings, db):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def make(*worker_ids: str) -> DBTaskResult:
        result = reminders_daily.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(
            status=TaskResultStatus.RUNNING, worker_ids=list(worker_ids), started_at=timezone.now()
        )
        return DBTaskResult.objects.get(pk=result.id)

    return make


def test_the_task_of_a_worker_whose_process_is_gone_is_queued_again(running) -> None:
    lost = running(f"{HOST}:{dead_pid()}:abc")
    alive = running(f"{HOST}:{os.getpid()}:def")
    heartbeat_record(worker_id=f"{HOST}:{os.getpid()}:def", backend="database", started_at=timezone.now())
    assert tasks_recover() == [str(lost.pk)]
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert lost.status == TaskResultStatus.READY and alive.status == TaskResultStatus.RUNNING
    assert tasks_recover() == []  # once


def test_a_worker_elsewhere_counts_as_gone_once_its_heartbeat_is_old(running) -> None:
    elsewhere = "another-machine:4242:xyz"
    task = running(elsewhere)
    heartbeat_record(worker_id=elsewhere, backend="database", started_at=timezone.now())
    assert tasks_recover() == []
    from twofold.operations.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker_id=elsewhere).update(seen_at=timezone.now() - timedelta(minutes=5))
    assert tasks_recover() == [str(task.pk)]


def test_after_the_last_attempt_the_task_is_failed_with_its_reason(running) -> None:
    task = running(*(f"{HOST}:{dead_pid()}:n{attempt}" for attempt in range(MAX_ATTEMPTS)))
    assert tasks_recover() == [str(task.pk)]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and task.exception_class_path == WORKER_LOST
    assert f"stopped before it finished, {MAX_ATTEMPTS} times" in task.traceback
