"""``twofold person-export ID``: everything held about one person, as JSON and HTML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.dataprotection.management.commands._people import person_from_argument
from twofold.dataprotection.subject_data import person_export


class Command(BaseCommand):
    help = (
        "Write everything Twofold holds about one person (a data-subject access request) to "
        "person-ID.json and person-ID.html in --out (default: the current directory). Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person_id", metavar="ID", help="the person's id (the number in /people/ID/)")
        parser.add_argument("--out", default=".", help="directory to write the two files to (created if missing)")

    def handle(self, *args: Any, person_id: str, out: str, **options: Any) -> None:
        person = person_from_argument(person_id)
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot create {folder}: {error.strerror}") from None
        export = person_export(actor=CommandLineOperator(), person=person)
        written = []
        for suffix, text in (("json", export.json_text), ("html", export.html_text)):
            path = folder / f"{export.file_stem}.{suffix}"
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"Cannot write {path}: {error.strerror}") from None
            path.chmod(0o600)
            written.append(str(path))
        self.stdout.write(f"Wrote everything held about person {person.pk} to {' and '.join(written)}.")
