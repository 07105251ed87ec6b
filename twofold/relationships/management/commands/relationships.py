"""``twofold relationships PROGRAMME``: the pairs of a programme and where they stand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from twofold.programmes.management.commands.programme import find_programme
from twofold.programmes.models import EnrolmentRole
from twofold.relationships.models import Relationship, RelationshipState


class Command(BaseCommand):
    help = "List a programme's relationships: both people, state, score and meetings held."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("programme", help="id or exact name")
        parser.add_argument("--state", choices=RelationshipState.values, help="only relationships in this state")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db.models import Count, Q

        programme = find_programme(options["programme"])
        relationships = (
            Relationship.objects.filter(programme=programme)
            .select_related("mentor", "mentee")
            .annotate(held=Count("meetings", filter=Q(meetings__status="held")))
            .order_by("state", "mentor__name")
        )
        if options["state"]:
            relationships = relationships.filter(state=options["state"])
        rows = list(relationships)
        if not rows:
            self.stdout.write("No relationships yet: match the programme with `twofold match`.")
            return
        titles = programme.role_titles
        mentor, mentee = titles[EnrolmentRole.MENTOR], titles[EnrolmentRole.MENTEE]
        self.stdout.write(f"{'id':>5}  {'state':<11} {mentor:<28} {mentee:<28} {'score':>6} {'met':>4}")
        for row in rows:
            self.stdout.write(
                f"{row.pk:>5}  {row.state:<11} {row.mentor.name[:28]:<28} {row.mentee.name[:28]:<28} "
                f"{row.score:>6.2f} {row.held:>4}"
            )
        self.stdout.write(f"{len(rows)} relationships.")
