"""``twofold enrol PROGRAMME``: put people in a programme's pool, or invite them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.models import Person
from twofold.programmes.enrolment_services import enrolment_create, enrolment_invite_by_filter
from twofold.programmes.management.commands.programme import find_programme
from twofold.programmes.models import EnrolmentStatus
from twofold.programmes.selectors import InviteFilter
from twofold.programmes.services import ProgrammeRuleBroken

ROLES = {"mentor": "mentor", "sponsor": "mentor", "mentee": "mentee", "protege": "mentee", "protégé": "mentee"}


def parse_levels(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    low, separator, high = text.partition("-")
    try:
        return int(low), int(high) if separator else int(low)
    except ValueError:
        raise CommandError(f"--levels {text!r}: write a level or a range such as 1-3") from None


class Command(BaseCommand):
    help = (
        "Enrol people in a programme: by employee id, or everyone a filter selects. Without --invite they join "
        "the pool at once; with --invite they are invited and answer in the web app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("programme", help="id or exact name")
        parser.add_argument("--role", required=True, choices=sorted(ROLES), help="mentor/sponsor or mentee/protégé")
        parser.add_argument("--employee", nargs="*", default=[], metavar="ID", help="employee ids")
        parser.add_argument("--levels", help="filter: a level or range, e.g. 1-3")
        parser.add_argument("--department", action="append", default=[], help="filter: department (repeatable)")
        parser.add_argument("--location", action="append", default=[], help="filter: location (repeatable)")
        parser.add_argument("--high-potential", action="store_true", help="filter: high potential only")
        parser.add_argument("--limit", type=int, help="at most this many people from the filter")
        parser.add_argument(
            "--invite", action="store_true", help="invite rather than enrol (with a filter: each person is emailed)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.operator = CommandLineOperator()
        programme = find_programme(options["programme"])
        role = ROLES[options["role"]]
        if options["employee"]:
            self._by_id(programme, role, options)
            return
        low, high = parse_levels(options["levels"])
        where = InviteFilter(
            min_level=low,
            max_level=high,
            departments=options["department"],
            locations=options["location"],
            high_potential_only=options["high_potential"],
        )
        try:
            # Invitations are emailed (by the worker; links from SITE_URL); enrolling directly tells nobody.
            result = enrolment_invite_by_filter(
                actor=self.operator,
                programme=programme,
                role=role,
                where=where,
                limit=options["limit"],
                email=options["invite"],
            )
            if not options["invite"]:
                self._accept_all(result.invited)
        except ProgrammeRuleBroken as error:
            raise CommandError(str(error)) from None
        verb = "Invited" if options["invite"] else "Enrolled"
        self.stdout.write(
            f"{verb} {len(result.invited)}; {len(result.already)} already in the programme; "
            f"{len(result.not_eligible)} not eligible."
        )
        for person, reason in result.not_eligible[:10]:
            self.stdout.write(f"  not eligible: {person.employee_id} {person.name}: {reason}")

    def _accept_all(self, enrolments: list[Any]) -> None:
        from twofold.programmes.enrolment_services import enrolment_respond

        for enrolment in enrolments:
            enrolment_respond(actor=self.operator, enrolment=enrolment, accept=True)

    def _by_id(self, programme: Any, role: str, options: dict[str, Any]) -> None:
        people = {person.employee_id: person for person in Person.objects.filter(employee_id__in=options["employee"])}
        missing = [employee_id for employee_id in options["employee"] if employee_id not in people]
        if missing:
            raise CommandError(f"unknown employee ids: {', '.join(missing)}")
        done = 0
        for employee_id in options["employee"]:
            try:
                enrolment_create(
                    actor=self.operator,
                    programme=programme,
                    person=people[employee_id],
                    role=role,
                    status=EnrolmentStatus.INVITED if options["invite"] else EnrolmentStatus.ACTIVE,
                )
                done += 1
            except ProgrammeRuleBroken as error:
                self.stderr.write(f"  {employee_id}: {error}")
        self.stdout.write(f"{'Invited' if options['invite'] else 'Enrolled'} {done} of {len(options['employee'])}.")
