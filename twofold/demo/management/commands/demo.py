"""``twofold demo``: everything the demo needs, ready to sign in to."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.demo.services import demo_accounts_ensure, demo_programmes_load
from twofold.people.models import Person
from twofold.people.selectors import demo_refusal
from twofold.programmes.models import Programme
from twofold.site_links import site_link


class Command(BaseCommand):
    help = (
        "Prepare the demo: apply migrations, generate an organisation when the directory is empty, "
        "create the demo accounts, run two programmes through six months of history when there are none, "
        "and print the sign-ins. Refused in production mode and when the directory holds anyone the demo "
        "did not generate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--people", type=int, default=2000, help="size of the generated organisation (default 2,000)"
        )
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        # Production mode is refused before the database is touched at all.
        if settings.PRODUCTION:
            raise CommandError(str(demo_refusal()), returncode=1)
        call_command("migrate", interactive=False, verbosity=0)
        refusal = demo_refusal()
        if refusal is not None:
            raise CommandError(refusal, returncode=1)
        if not Person.objects.exists():
            self.stdout.write(f"Generating a demo organisation of {options['people']:,} people …")
            call_command("demo_org", people=options["people"], seed=options["seed"], stdout=self.stdout)
        else:
            self.stdout.write(f"The directory already holds {Person.objects.count():,} people; keeping them.")
        logins = demo_accounts_ensure()
        if not Programme.objects.exists():
            self.stdout.write("Running two demo programmes through six months of history …")
            history = demo_programmes_load()
            self.stdout.write(
                f"Built {len(history.programmes)} programmes: {history.relationships} pairs, "
                f"{history.meetings} meetings, {history.knowledge_transfers} skills passed on, "
                f"{history.advocacy_actions} advocacy actions, {history.check_ins} check-ins, "
                f"{history.nominations} nominations, {history.promotions} promotions."
            )
        width = max(len(login.role) for login in logins)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo sign-ins ({site_link('/login/')}):"))
        for login in logins:
            self.stdout.write(
                f"  {login.role:<{width}}  username {login.username:<10} password {login.password}   {login.person}"
            )
        self.stdout.write("")
