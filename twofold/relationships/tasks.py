"""Background tasks of relationships: the daily run (apply exits whose day has come, expire
unanswered proposals, send reminders), which books its own next run.

There is no separate scheduler: ``twofold schedule-reminders`` queues the first run, and each run
queues the next one for the following day before it sends anything, so a failure one day never
breaks the chain. ``twofold worker`` executes the queued runs.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from django.utils import timezone

from twofold.accounts.permissions import CommandLineOperator
from twofold.operations.tasks import scheduled_runs, scheduled_runs_cancel, traced_task
from twofold.people.import_services import import_uploads_purge
from twofold.people.services import people_exits_apply
from twofold.programmes.emails import invitation_reminders_send
from twofold.relationships.reminders import reminders_send
from twofold.relationships.reminders.proposals import proposal_emails_catch_up, proposal_emails_send
from twofold.relationships.retention import retention_apply

DEFAULT_RUN_TIME = "07:00"


class ScheduledRun(NamedTuple):
    run_after: datetime
    created: bool  # False: a run was already queued, and that one stands


def parse_run_time(at: str) -> time:
    """``HH:MM`` on the 24-hour clock, in the ``TIME_ZONE`` setting's zone."""
    try:
        parsed = time.fromisoformat(at)
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


def reminders_schedule(
    *, at: str = DEFAULT_RUN_TIME, now: datetime | None = None, replace: bool = False
) -> ScheduledRun:
    """Queue the next daily reminder run at ``at`` local time, unless one is queued already.

    Keeping to one queued run keeps to one chain of daily runs, however often this is called (by
    an operator, or by each run for the next day). ``replace`` drops the queued runs first, to move
    the time of day; ``now`` stands in for the clock. Needs a backend that can defer tasks (the
    database backend or RQ).
    """
    parse_run_time(at)  # refuse a bad time before touching the queue
    if not reminders_daily.get_backend().supports_defer:
        raise ValueError(
            "The task backend runs tasks at once (TWOFOLD_TASKS_IMMEDIATE=1) and cannot schedule a daily run; "
            "run `twofold send-reminders` from cron instead."
        )
    if replace:
        scheduled_runs_cancel(reminders_daily)
    else:
        queued = scheduled_runs(reminders_daily)
        if queued:
            return ScheduledRun(run_after=queued[0].run_after, created=False)
    run_after = next_run_at(at, now=now)
    reminders_daily.using(run_after=run_after).enqueue(at=at)
    return ScheduledRun(run_after=run_after, created=True)


@traced_task()
def reminders_daily(at: str = DEFAULT_RUN_TIME) -> dict[str, Any]:
    """Apply the exits whose day has come, expire unanswered proposals, delete import files nobody
    confirmed in time, remove what has outlived its retention period, send the proposal emails a
    failure left unsent and today's reminders, having first queued tomorrow's run."""
    from twofold.relationships.services import relationships_expire

    if reminders_daily.get_backend().supports_defer:
        reminders_schedule(at=at)
    # Exits whose day has come first: a leaver gets no reminder and holds no pair.
    left = people_exits_apply(actor=CommandLineOperator())
    expired = relationships_expire()
    uploads_deleted = import_uploads_purge()
    retention = retention_apply()
    invitations = invitation_reminders_send()
    proposals = proposal_emails_catch_up()
    report = reminders_send()
    return {
        "date": report.today.isoformat(),
        "left": len(left),
        "expired": expired,
        "import_uploads_deleted": uploads_deleted,
        "retention": retention,
        "sent": report.counts | {"invitation_reminder": len(invitations.sent), "proposal_made": len(proposals.sent)},
        "failed": len(report.failed) + len(invitations.failed) + len(proposals.failed),
    }


@traced_task()
def proposal_emails_task(relationship_ids: list[int]) -> dict[str, int]:
    """Email the people of these new proposals, each once (see :mod:`.reminders.proposals`)."""
    report = proposal_emails_send(relationship_ids=relationship_ids)
    return {"sent": len(report.sent), "failed": len(report.failed), "already_sent": report.already_sent}
