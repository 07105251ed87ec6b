"""``twofold import-relationships FILE``: past pairs from another tool, so that their outcomes count."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.import_services import ImportNotPermitted
from twofold.people.tabular import FileRejected
from twofold.plain_text import counted
from twofold.relationships.services.history import relationships_history_import_file
from twofold.terminal import rejection_message


class Command(BaseCommand):
    help = (
        "Import past relationships from CSV or XLSX: programme, kind (reverse-mentoring or sponsorship), "
        "mentor_employee_id, mentee_employee_id, started_on, ended_on (empty while active), end_state "
        "(completed, ended_early or active) and meetings_held. A programme not yet in Twofold is created, "
        "running or closed as the dates say. All or nothing; pairs already recorded are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .csv or .xlsx file to import")
        parser.add_argument("--dry-run", action="store_true", help="check the file and show what would change")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = relationships_history_import_file(
                options["file"], actor=CommandLineOperator(), dry_run=options["dry_run"]
            )
        except FileRejected as rejected:
            self.stderr.write(rejection_message(options["file"], rejected.problems))
            raise CommandError(
                "the import was refused; fix the problems above and run it again", returncode=1
            ) from None
        except ImportNotPermitted as refused:
            raise CommandError(str(refused), returncode=1) from None
        dry = result.dry_run
        lines = [
            f"Read {counted(result.rows, 'pair', 'pairs')}. {'Would add' if dry else 'Added'} {result.created:,}; "
            f"{result.unchanged:,} were already recorded."
        ]
        if result.by_state:
            lines.append(
                "  "
                + ", ".join(f"{state.replace('_', ' ')}: {count:,}" for state, count in sorted(result.by_state.items()))
            )
        for name, state in result.programmes_created.items():
            lines.append(f"{'Would create' if dry else 'Created'} the programme {name!r} ({state}).")
        if dry:
            lines.append("Dry run: nothing was written.")
        self.stdout.write("\n".join(lines))
