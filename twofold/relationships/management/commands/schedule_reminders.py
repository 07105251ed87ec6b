"""``twofold schedule-reminders``: queue the daily reminder run for ``twofold worker`` to execute."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import dateformat, timezone

from twofold.relationships.tasks import DEFAULT_RUN_TIME, reminders_schedule


class Command(BaseCommand):
    help = (
        "Queue the daily reminder run (each run then queues the next day's). Safe to repeat: when a run is "
        "already queued, it stays the only one. `twofold worker` must be running to execute it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at", default=DEFAULT_RUN_TIME, help="Time of day to send, HH:MM local time (default: %(default)s)."
        )
        parser.add_argument("--replace", action="store_true", help="Drop the queued run first, e.g. to change --at.")

    def handle(self, *args: Any, at: str, replace: bool, **options: Any) -> None:
        try:
            scheduled = reminders_schedule(at=at, replace=replace)
        except ValueError as error:
            raise CommandError(str(error)) from None
        when = dateformat.format(timezone.localtime(scheduled.run_after), "l j F Y, H:i T")
        if scheduled.created:
            self.stdout.write(f"Daily reminders scheduled: the first run is on {when}, then every day at that time.")
        else:
            self.stdout.write(
                f"Daily reminders are already scheduled: the next run is on {when} (use --replace to move it)."
            )
