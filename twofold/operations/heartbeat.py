"""The worker's heartbeat: a row refreshed every ``WORKER_HEARTBEAT_SECONDS`` that ``/readyz`` reads.

A thread beats beside the worker's loop rather than inside it, so a worker busy with one long match
run still counts as alive; a worker process that dies stops beating, and after
``WORKER_HEARTBEAT_MAX_AGE`` seconds ``/readyz`` says so.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from twofold.operations.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Rows of workers gone for this long are deleted, so the table holds the workers of the last day.
FORGET_AFTER = timedelta(days=1)


def heartbeat_max_age() -> timedelta:
    return timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)


def heartbeat_record(*, worker_id: str, backend: str, started_at: datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "backend": backend,
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": now,
        },
    )


def heartbeat_forget_old() -> int:
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=timezone.now() - FORGET_AFTER).delete()
    return deleted


def heartbeat_recent_exists() -> bool:
    return WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - heartbeat_max_age()).exists()


class Heartbeat:
    """Beats once at once (so that a worker is seen before its first task), then from a daemon thread.

    ``each_beat`` runs after every beat, on the same thread (the worker recovers the tasks of dead
    workers there); what it raises is logged, and the beating goes on.
    """

    def __init__(
        self, *, worker_id: str, backend: str, interval: float, each_beat: Callable[[], object] | None = None
    ) -> None:
        self.worker_id = worker_id
        self.backend = backend
        self.interval = interval
        self.each_beat = each_beat
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="twofold-heartbeat", daemon=True)

    def start(self) -> None:
        heartbeat_forget_old()
        self.beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 5)

    def beat(self) -> None:
        heartbeat_record(worker_id=self.worker_id, backend=self.backend, started_at=self.started_at)
        if self.each_beat is not None:
            try:
                self.each_beat()
            except Exception:
                # Deliberately broad: a failed look at other workers' tasks must not stop this one's beat.
                logger.warning("after the worker heartbeat", exc_info=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except DatabaseError:
                    # A database restart or a long write lock: the next beat tries again, and
                    # /readyz reports the worker only once beats have been missing for a while.
                    logger.warning("worker heartbeat could not be recorded", exc_info=True)
        finally:
            connection.close()  # this thread's own connection
