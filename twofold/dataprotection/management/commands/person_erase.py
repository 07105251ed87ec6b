"""``twofold person-erase ID [--dry-run]``: pseudonymise one person, keeping every aggregate as it was."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.dataprotection.erasure import person_erase
from twofold.dataprotection.management.commands._people import person_from_argument


class Command(BaseCommand):
    help = (
        "Erase one person on request: name, email and employee id replaced by a pseudonym, restricted "
        "attributes deleted, free text they wrote removed, account disabled; relationships, dates, "
        "states and scores kept so that figures do not change. --dry-run lists what would change. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person_id", metavar="ID", help="the person's id (the number in /people/ID/)")
        parser.add_argument("--dry-run", action="store_true", help="list what would change; change nothing")

    def handle(self, *args: Any, person_id: str, dry_run: bool, **options: Any) -> None:
        person = person_from_argument(person_id)
        report = person_erase(actor=CommandLineOperator(), person=person, dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"Erasing person {person.pk} ({person.name}) would change (dry run: nothing changed):")
        else:
            self.stdout.write(f"Erased person {person.pk}; they are now “Erased person {person.pk}”. Changed:")
        for line in report.lines():
            self.stdout.write(f"  {line}")
