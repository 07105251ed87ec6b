"""Background tasks of the insights pages: one view's snapshot, and the daily refresh of them all.

The daily run books its own next run first, as the daily reminders do: ``twofold
schedule-insights`` queues the first one, and ``twofold worker`` executes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from twofold.accounts.permissions import CommandLineOperator
from twofold.insights.snapshots import insights_refresh_all, snapshot_compute
from twofold.operations.tasks import scheduled_runs, scheduled_runs_cancel, traced_task
from twofold.relationships.tasks import next_run_at, parse_run_time

DEFAULT_RUN_TIME = "05:30"


class ScheduledRun(NamedTuple):
    run_after: datetime
    created: bool  # False: a run was already queued, and that one stands


@traced_task()
def insights_snapshot_task(snapshot_id: int) -> dict[str, Any]:
    snapshot = snapshot_compute(snapshot_id)
    return {"key": snapshot.key, "seconds": snapshot.compute_seconds}


def insights_schedule(
    *, at: str = DEFAULT_RUN_TIME, now: datetime | None = None, replace: bool = False
) -> ScheduledRun:
    """Queue the next daily refresh at ``at`` local time, unless one is queued already (one chain)."""
    parse_run_time(at)
    if not insights_daily.get_backend().supports_defer:
        raise ValueError(
            "The task backend runs tasks at once (TWOFOLD_TASKS_IMMEDIATE=1) and cannot schedule a daily run; "
            "run `twofold schedule-insights --now` from cron instead."
        )
    if replace:
        scheduled_runs_cancel(insights_daily)
    else:
        queued = scheduled_runs(insights_daily)
        if queued:
            return ScheduledRun(run_after=queued[0].run_after, created=False)
    run_after = next_run_at(at, now=now)
    insights_daily.using(run_after=run_after).enqueue(at=at)
    return ScheduledRun(run_after=run_after, created=True)


@traced_task()
def insights_daily(at: str = DEFAULT_RUN_TIME) -> dict[str, Any]:
    """Book tomorrow's run, then queue a refresh of every insights view."""
    if insights_daily.get_backend().supports_defer:
        insights_schedule(at=at)
    queued = insights_refresh_all(CommandLineOperator())
    return {"queued": len(queued)}
