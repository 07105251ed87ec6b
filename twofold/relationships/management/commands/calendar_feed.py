"""``twofold calendar-feed EMAIL [--rotate]``: print a person's secret calendar address, or give them a new one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.models import Person
from twofold.relationships.calendar import calendar_feed_for, calendar_feed_rotate
from twofold.relationships.links import calendar_feed_link


class Command(BaseCommand):
    help = (
        "Print the address of a person's iCalendar feed of meetings (created on first use). "
        "--rotate gives them a new address and stops the old one at once, e.g. after it was shared by mistake."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The person's email address, as in the directory.")
        parser.add_argument("--rotate", action="store_true", help="Replace the secret address; the old one stops.")

    def handle(self, *args: Any, email: str, rotate: bool, **options: Any) -> None:
        person = Person.objects.filter(email__iexact=email.strip()).first()
        if person is None:
            raise CommandError(f"Nobody in the directory has the email address {email!r}.")
        feed = calendar_feed_rotate(actor=CommandLineOperator(), person=person) if rotate else calendar_feed_for(person)
        if rotate:
            self.stderr.write(f"{person.name} has a new calendar address; the old one no longer works.")
        self.stdout.write(calendar_feed_link(feed.token))
