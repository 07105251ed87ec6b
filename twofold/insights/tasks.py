"""Background tasks of the insights pages: one view's snapshot, and the daily refresh of them all.

The daily run books its own next run first, as the daily reminders do: ``twofold
schedule-insights`` queues the first one, and ``twofold worker`` executes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from twofold.accounts.permissions import CommandLineOperator
from twofold.insights.snapshots import insights_refresh_all, snapshot_compute
from twofold.operations.tasks import DailyBooking, daily_run_book, traced_task

DEFAULT_RUN_TIME = "05:30"


@traced_task()
def insights_snapshot_task(snapshot_id: int) -> dict[str, Any]:
    snapshot = snapshot_compute(snapshot_id)
    return {"key": snapshot.key, "seconds": snapshot.compute_seconds}


def insights_schedule(
    *, at: str = DEFAULT_RUN_TIME, now: datetime | None = None, replace: bool = False
) -> DailyBooking:
    """Queue the next daily refresh at ``at`` local time, unless one is queued already (one chain)."""
    return daily_run_book(insights_daily, at=at, now=now, replace=replace, from_cron="twofold schedule-insights --now")


@traced_task()
def insights_daily(at: str = DEFAULT_RUN_TIME) -> dict[str, Any]:
    """Book tomorrow's run, then queue a refresh of every insights view."""
    if insights_daily.get_backend().supports_defer:
        insights_schedule(at=at)
    queued = insights_refresh_all(CommandLineOperator())
    return {"queued": len(queued)}
