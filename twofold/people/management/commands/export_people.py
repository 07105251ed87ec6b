"""``twofold export-people FILE``: the directory in the layout ``import-people`` reads back."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold import audit
from twofold.people.exporting import write_rows
from twofold.people.selectors import export_columns, people_export_rows


class Command(BaseCommand):
    help = (
        "Export everyone (active and inactive) with their skills to .csv, .xlsx or .json. "
        "Restricted self-identified attributes are left out unless --include-restricted is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--include-restricted",
            action="store_true",
            help="add gender, ethnicity, birth year and disability (restricted data: handle with care)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        include = options["include_restricted"]
        try:
            count = write_rows(
                options["file"],
                export_columns(include_restricted=include),
                people_export_rows(include_restricted=include),
            )
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from None
        # A file of everyone is a sensitive read when it carries the restricted attributes.
        audit.record(
            "people.export_restricted" if include else "people.export",
            target_type="directory",
            detail={"people": count, "restricted": include},
        )
        self.stdout.write(f"Wrote {count:,} people to {options['file']}.")
