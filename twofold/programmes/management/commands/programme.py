"""``twofold programme create|list|show|move``: run programmes from a shell."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from twofold.accounts.permissions import CommandLineOperator
from twofold.programmes.models import Programme, ProgrammeKind, ProgrammeState
from twofold.programmes.selectors import programme_pool_counts
from twofold.programmes.services import EDITABLE_FIELDS, ProgrammeRuleBroken, programme_create, programme_transition

KINDS = {"reverse-mentoring": ProgrammeKind.REVERSE_MENTORING, "sponsorship": ProgrammeKind.SPONSORSHIP}


def find_programme(reference: str) -> Programme:
    """A programme by id or by exact name."""
    programme = None
    if reference.isdigit():
        programme = Programme.objects.filter(pk=int(reference)).first()
    if programme is None:
        programme = Programme.objects.filter(name=reference).first()
    if programme is None:
        raise CommandError(f"no programme {reference!r}: give its id or exact name (see `twofold programme list`)")
    return programme


def parse_setting(text: str) -> tuple[str, Any]:
    name, separator, raw = text.partition("=")
    name = name.strip().replace("-", "_")
    if not separator or name not in EDITABLE_FIELDS or name == "name":
        raise CommandError(f"--set {text!r}: write name=value with one of: {', '.join(EDITABLE_FIELDS[1:])}")
    field = Programme._meta.get_field(name)
    assert isinstance(field, models.Field)
    raw = raw.strip()
    kind = field.get_internal_type()
    try:
        if raw.lower() in ("", "none", "null") and getattr(field, "null", False):
            return name, None
        if kind == "BooleanField":
            if raw.lower() not in ("yes", "no", "true", "false", "1", "0", "on", "off"):
                raise ValueError("use yes or no")
            return name, raw.lower() in ("yes", "true", "1", "on")
        if kind in ("PositiveSmallIntegerField", "IntegerField", "PositiveIntegerField"):
            return name, int(raw)
        if kind == "FloatField":
            return name, float(raw)
        if kind == "DateField":
            return name, date.fromisoformat(raw)
        if kind == "JSONField":
            return name, json.loads(raw)
    except (ValueError, json.JSONDecodeError) as error:
        raise CommandError(f"--set {text!r}: {error}") from None
    return name, raw


class Command(BaseCommand):
    help = (
        "Create, list, show and move programmes through their states (draft → enrolling → matching → running → closed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="a new programme, with the kind's defaults")
        create.add_argument("--kind", required=True, choices=sorted(KINDS))
        create.add_argument("--name", required=True)
        create.add_argument(
            "--set", action="append", default=[], metavar="NAME=VALUE", help="override a default, e.g. --set capacity=2"
        )
        actions.add_parser("list", help="every programme with its state and pool")
        show = actions.add_parser("show", help="one programme's settings and pool")
        show.add_argument("programme", help="id or exact name")
        move = actions.add_parser("move", help="change state along an allowed edge")
        move.add_argument("programme", help="id or exact name")
        move.add_argument("state", choices=ProgrammeState.values)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                settings = dict(parse_setting(text) for text in options["set"])
                programme = programme_create(
                    actor=CommandLineOperator(), name=options["name"], kind=KINDS[options["kind"]], **settings
                )
                self.stdout.write(
                    f"Created programme {programme.pk}: {programme.name} ({programme.get_kind_display()}, draft)."
                )
            elif action == "list":
                self._list()
            elif action == "show":
                self._show(find_programme(options["programme"]))
            elif action == "move":
                programme = programme_transition(
                    actor=CommandLineOperator(),
                    programme=find_programme(options["programme"]),
                    to_state=options["state"],
                )
                self.stdout.write(f"Programme {programme.pk} is now {programme.state}.")
        except ProgrammeRuleBroken as error:
            raise CommandError(str(error)) from None

    def _list(self) -> None:
        programmes = list(Programme.objects.order_by("pk"))
        if not programmes:
            self.stdout.write("No programmes yet: create one with `twofold programme create --kind … --name …`.")
            return
        self.stdout.write(f"{'id':>4}  {'state':<10} {'kind':<18} {'mentors':>7} {'mentees':>7}  name")
        for programme in programmes:
            pool = programme_pool_counts(programme)
            self.stdout.write(
                f"{programme.pk:>4}  {programme.state:<10} {programme.get_kind_display():<18} "
                f"{pool['mentor']['active']:>7} {pool['mentee']['active']:>7}  {programme.name}"
            )

    def _show(self, programme: Programme) -> None:
        pool = programme_pool_counts(programme)
        self.stdout.write(f"Programme {programme.pk}: {programme.name}")
        self.stdout.write(f"  kind: {programme.get_kind_display()}   state: {programme.state}")
        for name in EDITABLE_FIELDS[1:]:
            self.stdout.write(f"  {name}: {getattr(programme, name)}")
        for role, label in (("mentor", programme.mentor_label), ("mentee", programme.mentee_label)):
            counts = ", ".join(f"{status} {count}" for status, count in pool[role].items() if count)
            self.stdout.write(f"  {label}s: {counts or 'none'}")
