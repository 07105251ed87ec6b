"""``twofold demo-org``: generate a believable organisation into the directory."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.career_event_imports import career_events_import
from twofold.people.demo import generate_organisation, organisation_table
from twofold.people.import_services import people_import_table
from twofold.people.models import CareerEvent, Person
from twofold.people.selectors import demo_refusal
from twofold.people.services import directory_clear, people_mark_generated, skills_ensure
from twofold.terminal import TerminalProgress


class Command(BaseCommand):
    help = (
        "Generate a demo organisation: a level pyramid, departments, locations, a management tree, "
        "skills, self-identified attributes and several years of career events. The same --seed "
        "(and --as-of date) always gives the same organisation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=2000, help="how many people (default 2,000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="the day the data ends (default: today)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete everyone already in the directory first (demo data only!)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        people = options["people"]
        if people < 2:
            raise CommandError("--people must be at least 2")
        existing = Person.objects.count()
        if existing and not options["replace"]:
            raise CommandError(
                f"the directory already holds {existing:,} people; use --replace to delete them first (demo data only)"
            )
        # Made-up people never go into production, and --replace never deletes a real directory.
        refusal = demo_refusal()
        if refusal is not None:
            raise CommandError(refusal, returncode=1)
        operator = CommandLineOperator()
        if existing:
            directory_clear(actor=operator)
            self.stdout.write(f"Deleted {existing:,} people.")
        organisation = generate_organisation(people, options["seed"], as_of=options["as_of"])
        skills_ensure(organisation.skills)
        progress = TerminalProgress(enabled=options["verbosity"] > 0)
        source = f"generated demo organisation (seed {options['seed']})"
        try:
            result = people_import_table(
                organisation_table(organisation), actor=operator, source=source, progress=progress
            )
        finally:
            progress.close()
        people_mark_generated(employee_ids=result.created)
        pks = dict(Person.objects.values_list("employee_id", "pk"))
        events = career_events_import(
            (
                CareerEvent(
                    person_id=pks[event.employee_id],
                    kind=event.kind,
                    effective_date=event.effective_date,
                    from_level=event.from_level,
                    to_level=event.to_level,
                    from_title=event.from_title,
                    to_title=event.to_title,
                )
                for event in organisation.events
            ),
            actor=operator,
            source=source,
        )
        high_potential = sum(person.high_potential for person in organisation.people)
        self.stdout.write(
            f"Built a demo organisation of {len(result.created):,} people "
            f"({high_potential:,} high potential) with {events.created:,} career events (seed {options['seed']})."
        )
