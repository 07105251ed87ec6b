"""``twofold schedule-insights``: queue the daily refresh of the insights snapshots."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import dateformat, timezone

from twofold.accounts.permissions import CommandLineOperator
from twofold.insights.snapshots import insights_refresh_all
from twofold.insights.tasks import DEFAULT_RUN_TIME, insights_schedule


class Command(BaseCommand):
    help = (
        "Queue the daily refresh of the insights pages' snapshots (each run then queues the next day's). "
        "Safe to repeat. --now queues a refresh of every view at once instead. `twofold worker` runs them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at", default=DEFAULT_RUN_TIME, help="Time of day to refresh, HH:MM local time (default: %(default)s)."
        )
        parser.add_argument("--replace", action="store_true", help="Drop the queued run first, e.g. to change --at.")
        parser.add_argument("--now", action="store_true", help="Refresh every view now instead of scheduling.")

    def handle(self, *args: Any, at: str, replace: bool, now: bool, **options: Any) -> None:
        if now:
            queued = insights_refresh_all(CommandLineOperator())
            self.stdout.write(f"Insights: {len(queued)} views queued for a refresh.")
            return
        try:
            scheduled = insights_schedule(at=at, replace=replace)
        except ValueError as error:
            raise CommandError(str(error)) from None
        when = dateformat.format(timezone.localtime(scheduled.run_after), "l j F Y, H:i T")
        if scheduled.created:
            self.stdout.write(f"Daily insights refresh scheduled: the first run is on {when}, then every day.")
        else:
            self.stdout.write(f"The daily insights refresh is already scheduled: the next run is on {when}.")
