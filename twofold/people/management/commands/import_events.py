"""``twofold import-events FILE``: career events (promotions, level and role changes, exits)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.career_event_imports import career_events_import_file
from twofold.people.import_services import DeactivationNotConfirmed
from twofold.people.management.commands.import_people import (
    add_deactivation_arguments,
    deactivation_confirmer,
    deactivation_refusal,
)
from twofold.people.tabular import FileRejected
from twofold.plain_text import counted
from twofold.terminal import rejection_message


class Command(BaseCommand):
    help = (
        "Import career events from CSV, XLSX or JSON: employee_id, kind (promotion, level_change, "
        "role_change, exit, hire), effective_date, and optionally from_level, to_level, from_title, "
        "to_title, note. Events already recorded (same person, kind and date) are skipped. An exit that has "
        "come and is the person's latest event marks them as having left; one still to come does so on its day, "
        "in the daily run. Marking people as having left needs confirming (--confirm-deactivations N, --yes, "
        "or an answer at the terminal) and is held to TWOFOLD_IMPORT_MAX_DEACTIVATION_PERCENT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check the file and count what would be added")
        add_deactivation_arguments(parser, condition="with exits")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = career_events_import_file(
                options["file"],
                actor=CommandLineOperator(),
                dry_run=options["dry_run"],
                confirm_deactivation=deactivation_confirmer(self, options),
                allow_mass_deactivation=options["allow_mass_deactivation"],
            )
        except FileRejected as rejected:
            self.stderr.write(rejection_message(options["file"], rejected.problems))
            raise CommandError(
                "the import was refused; fix the problems above and run it again", returncode=1
            ) from None
        except DeactivationNotConfirmed as refused:
            raise deactivation_refusal(refused, options) from None
        prefix = "Would add" if result.dry_run else "Added"
        self.stdout.write(
            f"Read {result.rows:,} events. {prefix} {result.created:,}; {result.unchanged:,} were already recorded."
        )
        limit = options["list"]
        if result.left:
            self.stdout.write(
                f"{'Would mark' if result.dry_run else 'Marked'} {counted(len(result.left), 'person', 'people')} "
                "as having left "
                f"(their exit has come): {_listed(result.left, limit)}. They cannot sign in any more, and their "
                "open proposals and relationships close: “left the organisation”."
            )
        if result.leaving_later:
            self.stdout.write(
                f"{'Would leave' if result.dry_run else 'Leaving'} on an exit date still to come "
                f"({len(result.leaving_later):,}): {_listed(result.leaving_later, limit)}. The daily run "
                "(`twofold send-reminders` or the reminders task) marks each on their day."
            )


def _listed(employee_ids: list[str], limit: int) -> str:
    more = f" … and {len(employee_ids) - limit:,} more" if len(employee_ids) > limit else ""
    return ", ".join(employee_ids[:limit]) + more
