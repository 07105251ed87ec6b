"""``twofold send-reminders``: send the reminders due today (or on --date), or list them with --dry-run."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import dateformat, timezone

from twofold.accounts.permissions import CommandLineOperator
from twofold.dates import date_out_of_range
from twofold.people.import_uploads import import_uploads_purge
from twofold.people.services import people_exits_apply
from twofold.plain_text import counted
from twofold.programmes.emails import invitation_reminders_due, invitation_reminders_send
from twofold.relationships.reminders import ReminderKind, reminders_due, reminders_send
from twofold.relationships.retention import retention_apply
from twofold.relationships.services import relationships_expire


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r} is not a date; use YYYY-MM-DD") from None
    # The run looks days ahead and back from this day: near the end of the calendar that overflows.
    if problem := date_out_of_range(day, what="--date"):
        raise CommandError(problem)
    return day


class Command(BaseCommand):
    help = (
        "Mark people whose exit has come as having left, expire proposals nobody answered in time, delete "
        "import files nobody confirmed and remove what has outlived its retention period (private notes, "
        "check-in comments, resolved concerns), then email "
        "the reminders due today: proposals awaiting an answer, meetings coming up (with an invitation), "
        "meetings due by cadence, idle pairs (to the pair and the programme managers), check-ins due. "
        "Each reminder goes at most once a day, however often this runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", dest="day", help="Act as if today were this day (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent; send and record nothing.")

    def handle(self, *args: Any, day: str | None, dry_run: bool, **options: Any) -> None:
        today = _day(day) if day else timezone.localdate()
        heading = dateformat.format(today, "l j F Y")
        if dry_run:
            due = reminders_due(today=today)
            self.stdout.write(f"Reminders due on {heading} (dry run: nothing sent):")
            for reminder in due:
                self.stdout.write(f"  would send {reminder.describe()}")
            counts = {kind.value: sum(1 for r in due if r.kind == kind) for kind in ReminderKind}
            self.stdout.write(self._summary("Would send", len(due), counts))
            self.stdout.write(f"Invitation reminders due: {len(invitation_reminders_due(today=today))}.")
            return
        if not day:
            left = people_exits_apply(actor=CommandLineOperator())
            if left:
                self.stdout.write(
                    f"Marked {counted(len(left), 'person', 'people')} as having left (their exit has come): "
                    f"{', '.join(left[:20])}" + (f" … and {len(left) - 20:,} more." if len(left) > 20 else ".")
                )
            expired = relationships_expire()
            if expired:
                self.stdout.write(f"Expired {expired} proposal{'s' if expired != 1 else ''} nobody answered in time.")
            deleted = import_uploads_purge()
            if deleted:
                self.stdout.write(
                    f"Deleted {deleted} import file{'s' if deleted != 1 else ''} nobody confirmed in time."
                )
            removed = retention_apply()
            self.stdout.write(
                "Retention: "
                f"{removed['private_notes_deleted']} private notes deleted, "
                f"{removed['check_in_comments_emptied']} check-in comments and "
                f"{removed['concerns_emptied']} resolved concerns emptied."
            )
        invitations = invitation_reminders_send(today=today)
        if invitations.sent or invitations.failed:
            self.stdout.write(
                f"Reminded {counted(len(invitations.sent), 'person', 'people')} still invited: enrolment closes soon"
                + (f"; {len(invitations.failed)} could not be sent." if invitations.failed else ".")
            )
        report = reminders_send(today=today)
        self.stdout.write(f"Reminders for {heading}:")
        for reminder in report.sent:
            self.stdout.write(f"  sent {reminder.describe()}")
        for reminder in report.failed:
            self.stderr.write(f"  FAILED {reminder.describe()}")
        self.stdout.write(self._summary("Sent", len(report.sent), report.counts))
        if report.already_sent:
            self.stdout.write(f"{report.already_sent} were sent by another run at the same time.")
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} reminders could not be sent (see the log); the next run tries them again."
            )

    @staticmethod
    def _summary(verb: str, total: int, counts: dict[str, int]) -> str:
        parts = ", ".join(f"{kind} {count}" for kind, count in counts.items())
        return f"{verb} {total}: {parts}."
