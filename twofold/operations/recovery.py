"""Tasks whose worker died: queued again, so that a retry finishes them, or failed with the reason.

A worker killed in the middle of a task (SIGKILL, the machine lost, the out-of-memory killer)
leaves the task marked as running for ever: the database backend's row says ``RUNNING``, RQ keeps
the job in its started registry until its timeout. Every ``twofold worker`` looks, when it starts
and at each heartbeat, for running tasks whose worker is gone, and queues them again — at most
``MAX_ATTEMPTS`` times in all, after which the task is marked failed, saying why.

Queuing a task again is safe because every task is idempotent: a match run, a publication, an
import and a reminder batch each keep their own progress in the database and finish from where the
dead attempt stopped, never doing twice what it did (see each task's module).

A worker is gone when it runs on this machine and its process no longer exists, or when its
heartbeat (:mod:`twofold.operations.heartbeat`) is older than ``WORKER_HEARTBEAT_MAX_AGE``.

Work that was never queued at all (a process dying between a commit and the queuing that was to
follow it) is no task yet, so no worker can find it this way: the app that owns such work registers
a *sweep* (:func:`register_sweep`), and every worker runs the sweeps at each heartbeat too, after
recovering the tasks (the webhooks' undelivered deliveries are one).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from twofold.operations.heartbeat import heartbeat_max_age
from twofold.operations.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Attempts of one task, the first included, before a worker's death fails it instead of retrying.
MAX_ATTEMPTS = 3
WORKER_LOST = "twofold.operations.recovery.WorkerLost"


class WorkerLost(Exception):
    """The worker running a task died before finishing it, too many times."""


def process_identity() -> str:
    """This process as ``host:pid``: what a claim on shared work (a reminder being sent) records."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    # A child that has died but not been reaped by its parent yet is gone too.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def process_gone(identity: str) -> bool:
    """True when ``identity`` (``host:pid…``) names a process on this machine that no longer runs.

    A process on another machine cannot be looked at from here: this says False, and the caller
    falls back on a heartbeat or a timeout.
    """
    host, _, rest = identity.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not process_alive(int(pid))


def worker_gone(worker_id: str, *, started_at: datetime | None) -> bool:
    """Whether the worker ``worker_id`` (``host:pid:suffix``, as ``twofold worker`` names itself) has died."""
    if process_gone(worker_id):
        return True
    beat = WorkerHeartbeat.objects.filter(worker_id=worker_id).values_list("seen_at", flat=True).first()
    cutoff = timezone.now() - heartbeat_max_age()
    if beat is not None:
        return beat < cutoff
    # Never seen beating: not one of Twofold's workers, or one whose row was forgotten long ago.
    return started_at is not None and started_at < cutoff


# name -> a function finding work whose task was never queued, and queuing it; registered by the apps
# that own the work (their AppConfig.ready), since this layer knows none of them.
_SWEEPS: dict[str, Callable[[], Any]] = {}


def register_sweep(name: str, sweep: Callable[[], Any]) -> None:
    _SWEEPS[name] = sweep


def sweeps_run() -> dict[str, Any]:
    """Run every registered sweep; one that fails is logged and does not stop the others."""
    results: dict[str, Any] = {}
    for name, sweep in _SWEEPS.items():
        try:
            results[name] = sweep()
        except Exception:
            logger.exception("the sweep %s failed", name)
    return results


def work_recover() -> None:
    """What a worker does at each heartbeat: the tasks of dead workers, then the registered sweeps."""
    tasks_recover()
    sweeps_run()


def tasks_recover() -> list[str]:
    """Queue again (or fail) the tasks of dead workers on the configured backend; returns their ids."""
    from twofold.operations.tasks import task_backend_kind

    kind = task_backend_kind()
    if kind == "rq":
        return _rq_recover()
    if kind == "database":
        return _database_recover()
    return []


def _database_recover() -> list[str]:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    recovered = []
    for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("id", "worker_ids", "started_at"):
        worker_id = row.worker_ids[-1] if row.worker_ids else ""
        if not worker_gone(worker_id, started_at=row.started_at):
            continue
        # Compare-and-set on the worker list: of two workers recovering at once, one wins.
        unchanged = DBTaskResult.objects.filter(
            Q(pk=row.pk, status=TaskResultStatus.RUNNING, worker_ids=row.worker_ids)
        )
        if len(row.worker_ids) >= MAX_ATTEMPTS:
            message = _failure(len(row.worker_ids))
            changed = unchanged.update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=WORKER_LOST,
                traceback=f"{WORKER_LOST}: {message}\n",
            )
        else:
            changed = unchanged.update(status=TaskResultStatus.READY)
        if changed:
            logger.warning("task %s lost its worker %s; %s", row.pk, worker_id, _outcome(len(row.worker_ids)))
            recovered.append(str(row.pk))
    return recovered


def _rq_recover() -> list[str]:
    import django_rq
    from rq.job import Job, JobStatus
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    from twofold.operations.tasks import task_queue_names

    recovered = []
    for name in task_queue_names():
        queue = django_rq.get_queue(name, job_class="django_tasks_rq.Job")
        registry = StartedJobRegistry(queue=queue)
        for job_id, _execution in registry.get_job_and_execution_ids(cleanup=False):
            job = Job.fetch(job_id, connection=queue.connection) if Job.exists(job_id, queue.connection) else None
            if job is None or job.get_status() != JobStatus.STARTED:
                continue
            if not worker_gone(job.worker_name or "", started_at=job.started_at):
                continue
            # One recovering worker per job and execution, whoever else looks at the same moment.
            if not queue.connection.set(f"twofold:recovering:{job_id}:{_execution}", 1, nx=True, ex=600):
                continue
            attempts = int(job.meta.get("twofold_attempts", 1))
            with queue.connection.pipeline() as pipeline:
                registry.remove_executions(job, pipeline=pipeline)
                if attempts >= MAX_ATTEMPTS:
                    job.set_status(JobStatus.FAILED, pipeline=pipeline)
                    FailedJobRegistry(queue=queue).add(job, exc_string=_failure(attempts), pipeline=pipeline)
                else:
                    job.meta["twofold_attempts"] = attempts + 1
                    job.save_meta()
                    queue._enqueue_job(job, pipeline=pipeline)
                pipeline.execute()
            logger.warning("task %s lost its worker %s; %s", job_id, job.worker_name, _outcome(attempts))
            recovered.append(job_id)
    return recovered


def _failure(attempts: int) -> str:
    return f"The worker running this task stopped before it finished, {attempts} times; it is not retried again."


def _outcome(attempts: int) -> str:
    return "marked failed" if attempts >= MAX_ATTEMPTS else f"queued again (attempt {attempts + 1} of {MAX_ATTEMPTS})"
