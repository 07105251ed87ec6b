"""Twofold's tasks, on whichever backend the ``TWOFOLD_TASKS_BACKEND`` setting picks.

``traced_task`` declares a task whose enqueue carries the current request id in the task's
arguments, and whose run puts it back into the logging context: a match run started from a page
logs, on the worker, under the id of the request that started it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any, NamedTuple, ParamSpec, TypeVar, cast

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task

from twofold.operations.context import current_request_id, request_context

P = ParamSpec("P")
T = TypeVar("T")

# The keyword argument a queued task carries its request id in; the task function never sees it.
REQUEST_ID_ARGUMENT = "_request_id"

logger = logging.getLogger("twofold.tasks")


class TracedTask(Task[P, T]):
    __slots__ = ()

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        request_id = current_request_id()
        if request_id is not None:
            kwargs = cast(Any, {**kwargs, REQUEST_ID_ARGUMENT: request_id})
        return Task.enqueue(self, *args, **kwargs)

    def call(self, *args: P.args, **kwargs: P.kwargs) -> T:
        request_id = cast(dict[str, Any], kwargs).pop(REQUEST_ID_ARGUMENT, None)
        with request_context(request_id=request_id, task=self.name):
            started = time.monotonic()
            logger.info("task %s started", self.name)
            try:
                result = Task.call(self, *args, **kwargs)
            except BaseException:
                logger.exception("task %s failed after %.0f ms", self.name, (time.monotonic() - started) * 1000)
                raise
            logger.info("task %s finished in %.0f ms", self.name, (time.monotonic() - started) * 1000)
            return result


def traced_task() -> Callable[[Callable[P, T]], TracedTask[P, T]]:
    """``@traced_task()`` in place of django-tasks' ``@task()``."""

    def wrap(function: Callable[P, T]) -> TracedTask[P, T]:
        return TracedTask(func=function)

    return wrap


# --- which backend, and what it needs ---------------------------------------------------------------


def task_backend_kind() -> str:
    """``database``, ``rq`` or ``immediate``: the kind of backend ``TASKS`` names (``TWOFOLD_TASKS_BACKEND``)."""
    backend = str(settings.TASKS["default"]["BACKEND"])
    if backend.startswith("django_tasks_rq."):
        return "rq"
    if backend.endswith("ImmediateBackend"):
        return "immediate"
    return "database"


def task_backend_description() -> str:
    kind = task_backend_kind()
    if kind == "rq":
        return f"RQ on Redis at {redis_location()} (django-tasks-rq), queues {', '.join(task_queue_names())}"
    if kind == "immediate":
        return "immediate (each task runs inside the caller; no worker)"
    return "the database (django-tasks-db), queues " + ", ".join(task_queue_names())


def task_queue_names() -> list[str]:
    return sorted(settings.TASKS["default"].get("QUEUES", ["default"]))


def redis_location() -> str:
    """Host, port and database number of ``REDIS_URL``, without any password."""
    from urllib.parse import urlsplit

    parts = urlsplit(settings.REDIS_URL)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


# --- runs booked for later --------------------------------------------------------------------------


class ScheduledRun(NamedTuple):
    id: str
    run_after: datetime


def scheduled_runs(task: Task[Any, Any]) -> list[ScheduledRun]:
    """Runs of ``task`` queued for a later time and not started yet, earliest first, on either backend."""
    if task_backend_kind() == "rq":
        return sorted(_rq_scheduled(task), key=lambda run: run.run_after)
    from django_tasks_db.models import DBTaskResult  # the app's models load only once Django is set up

    queued = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
    return [ScheduledRun(str(row.id), row.run_after or row.enqueued_at) for row in queued.order_by("run_after")]


def scheduled_runs_cancel(task: Task[Any, Any]) -> int:
    """Drop the runs of ``task`` booked for later; returns how many."""
    if task_backend_kind() == "rq":
        import django_rq
        from rq.job import Job

        connection = django_rq.get_connection(task.queue_name)
        runs = _rq_scheduled(task)
        for run in runs:
            Job.fetch(run.id, connection=connection).delete()
        return len(runs)
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).delete()
    return deleted


def _rq_scheduled(task: Task[Any, Any]) -> list[ScheduledRun]:
    import django_rq
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    queue = django_rq.get_queue(task.queue_name)
    registry = ScheduledJobRegistry(queue=queue)
    runs = []
    for job_id in registry.get_job_ids():
        try:
            job = Job.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            continue
        if job.func_name == task.module_path:
            runs.append(ScheduledRun(job_id, registry.get_scheduled_time(job)))
    return runs


# --- daily runs that book the next ---------------------------------------------------------------


class DailyBooking(NamedTuple):
    run_after: datetime
    created: bool  # False: a run was already queued, and that one stands


def parse_run_time(at: str) -> clock_time:
    """``HH:MM`` on the 24-hour clock, in the ``TIME_ZONE`` setting's zone."""
    try:
        parsed = clock_time.fromisoformat(at)
    except ValueError:
        raise ValueError(f"{at!r} is not a time of day; use HH:MM, e.g. 07:00") from None
    return parsed.replace(second=0, microsecond=0)


def next_run_at(at: str, *, now: datetime | None = None) -> datetime:
    """The first moment after ``now`` when the local clock shows ``at``: later today, or tomorrow."""
    now = timezone.localtime(now or timezone.now())
    when = timezone.make_aware(datetime.combine(now.date(), parse_run_time(at)))
    if when <= now:
        when = timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), parse_run_time(at)))
    return when


def daily_run_book(
    task: Task[Any, Any], *, at: str, now: datetime | None = None, replace: bool = False, from_cron: str
) -> DailyBooking:
    """Queue ``task``'s next daily run at ``at`` local time, unless one is queued already.

    Keeping to one queued run keeps to one chain of daily runs, however often this is called (by an
    operator, or by each run for the next day). ``replace`` drops the queued runs first, to move the
    time of day; ``now`` stands in for the clock. Needs a backend that can defer tasks (the database
    backend or RQ); otherwise the refusal names ``from_cron``, the command to run from cron instead.
    """
    parse_run_time(at)  # refuse a bad time before touching the queue
    if not task.get_backend().supports_defer:
        raise ValueError(
            "The task backend runs tasks at once (TWOFOLD_TASKS_IMMEDIATE=1) and cannot schedule a daily run; "
            f"run `{from_cron}` from cron instead."
        )
    if replace:
        scheduled_runs_cancel(task)
    else:
        queued = scheduled_runs(task)
        if queued:
            return DailyBooking(run_after=queued[0].run_after, created=False)
    run_after = next_run_at(at, now=now)
    task.using(run_after=run_after).enqueue(at=at)
    return DailyBooking(run_after=run_after, created=True)
