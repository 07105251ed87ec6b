"""``twofold import-events FILE``: career events (promotions, level and role changes, exits)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.import_services import career_events_import_file
from twofold.people.tabular import FileRejected
from twofold.terminal import rejection_message


class Command(BaseCommand):
    help = (
        "Import career events from CSV, XLSX or JSON: employee_id, kind (promotion, level_change, "
        "role_change, exit, hire), effective_date, and optionally from_level, to_level, from_title, "
        "to_title, note. Events already recorded (same person, kind and date) are skipped. An exit that has "
        "come and is the person's latest event marks them as having left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check the file and count what would be added")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = career_events_import_file(options["file"], actor=CommandLineOperator(), dry_run=options["dry_run"])
        except FileRejected as rejected:
            self.stderr.write(rejection_message(options["file"], rejected.problems))
            raise CommandError(
                "the import was refused; fix the problems above and run it again", returncode=1
            ) from None
        prefix = "Would add" if result.dry_run else "Added"
        self.stdout.write(
            f"Read {result.rows:,} events. {prefix} {result.created:,}; {result.unchanged:,} were already recorded."
        )
        if result.left:
            shown = ", ".join(result.left[:20]) + (
                f" … and {len(result.left) - 20:,} more" if len(result.left) > 20 else ""
            )
            self.stdout.write(
                f"{'Would mark' if result.dry_run else 'Marked'} {len(result.left):,} people as having left "
                f"(their exit has come): {shown}. They cannot sign in any more, and their open proposals and "
                "relationships close: “left the organisation”."
            )
