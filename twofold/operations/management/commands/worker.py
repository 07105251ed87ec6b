"""``twofold worker``: run the background tasks, from the database or from RQ, as the settings say."""

from __future__ import annotations

import os
import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.crypto import get_random_string

from twofold.operations.heartbeat import Heartbeat
from twofold.operations.management.commands.serve import database_description
from twofold.operations.recovery import MAX_ATTEMPTS, work_recover
from twofold.operations.tasks import task_backend_description, task_backend_kind, task_queue_names


class Command(BaseCommand):
    help = (
        "Run background tasks (match runs, daily reminders) from the queue the settings name: the database, or "
        "RQ on Redis with TWOFOLD_TASKS_BACKEND=rq. Run several, on one machine or many; each records a "
        "heartbeat that /readyz reads."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run the tasks due now, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between looks at an empty database queue (default 1; RQ waits on Redis instead)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = task_backend_kind()
        if kind == "immediate":
            raise CommandError(
                "Tasks run at once inside the caller (TWOFOLD_TASKS_BACKEND=immediate): there is nothing for a "
                "worker to do."
            )
        worker_id = f"{socket.gethostname()}:{os.getpid()}:{get_random_string(6)}"
        self.stdout.write(f"Twofold worker {worker_id}")
        self.stdout.write(f"  tasks:     {task_backend_description()}")
        self.stdout.write(f"  database:  {database_description()}")
        self.stdout.write(f"  heartbeat: every {settings.WORKER_HEARTBEAT_SECONDS} s (/readyz)")
        self.stdout.write(
            f"  recovery:  tasks of dead workers queued again, {MAX_ATTEMPTS} attempts in all; work never queued "
            "(webhook deliveries) queued after a minute"
        )
        self.stdout.flush()
        heartbeat = Heartbeat(
            worker_id=worker_id, backend=kind, interval=settings.WORKER_HEARTBEAT_SECONDS, each_beat=work_recover
        )
        heartbeat.start()
        try:
            if kind == "rq":
                self._run_rq(worker_id=worker_id, batch=options["batch"])
            else:
                self._run_database(worker_id=worker_id, batch=options["batch"], interval=options["interval"])
        finally:
            heartbeat.stop()

    def _run_database(self, *, worker_id: str, batch: bool, interval: float) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=task_queue_names(),
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=worker_id[:64],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            worker.reset_signals()

    def _run_rq(self, *, worker_id: str, batch: bool) -> None:
        from django_rq.workers import get_worker

        worker = get_worker(*task_queue_names(), job_class="django_tasks_rq.Job", name=worker_id)
        # Each task runs in a process forked from this one: it must not inherit an open connection.
        for connection in connections.all():
            connection.close()
        # The scheduler moves tasks booked for later (tomorrow's reminders) into the queue when due.
        worker.work(burst=batch, with_scheduler=True, logging_level="INFO")
