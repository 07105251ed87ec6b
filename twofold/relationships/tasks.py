"""Background tasks of relationships: the daily run (apply exits whose day has come, expire
unanswered proposals, send reminders), which books its own next run.

There is no separate scheduler: ``twofold schedule-reminders`` queues the first run, and each run
queues the next one for the following day before it sends anything, so a failure one day never
breaks the chain. ``twofold worker`` executes the queued runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from twofold.accounts.permissions import CommandLineOperator
from twofold.operations.tasks import DailyBooking, daily_run_book, traced_task
from twofold.people.import_uploads import import_uploads_purge
from twofold.people.services import people_exits_apply
from twofold.programmes.emails import invitation_reminders_send
from twofold.relationships.reminders import reminders_send
from twofold.relationships.reminders.proposals import proposal_emails_catch_up, proposal_emails_send
from twofold.relationships.retention import retention_apply

DEFAULT_RUN_TIME = "07:00"


def reminders_schedule(
    *, at: str = DEFAULT_RUN_TIME, now: datetime | None = None, replace: bool = False
) -> DailyBooking:
    """Queue the next daily reminder run at ``at`` local time, unless one is queued already
    (:func:`~twofold.operations.tasks.daily_run_book`)."""
    return daily_run_book(reminders_daily, at=at, now=now, replace=replace, from_cron="twofold send-reminders")


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
