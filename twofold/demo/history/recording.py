"""How the demo's history is recorded: by the command line, on weekdays at office hours, counted in a
:class:`DemoHistory`; people enrolled, and their skills read as they stand."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.models import Person, PersonSkill, Skill
from twofold.programmes.enrolment_services import enrolment_create
from twofold.programmes.models import EnrolmentRole, Programme, ProgrammeKind

# Who records the demo's six months of history in the participants' names: the command line.
OPERATOR = CommandLineOperator()


@dataclass
class DemoHistory:
    programmes: list[Programme] = field(default_factory=list)
    relationships: int = 0
    meetings: int = 0
    knowledge_transfers: int = 0
    advocacy_actions: int = 0
    check_ins: int = 0
    nominations: int = 0
    promotions: int = 0


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def fresh_skills(person_ids: list[int]) -> tuple[dict[int, dict[int, PersonSkill]], dict[int, Skill]]:
    rows = PersonSkill.objects.filter(person_id__in=person_ids).select_related("skill")
    held: dict[int, dict[int, PersonSkill]] = {}
    skills: dict[int, Skill] = {}
    for row in rows:
        held.setdefault(row.person_id, {})[row.skill_id] = row
        skills[row.skill_id] = row.skill
    return held, skills


def enrol(programme: Programme, person: Person, role: str, rng: random.Random, *, aspiration: bool = False) -> None:
    availability = 0
    for _ in range(rng.randint(2, 6)):
        availability |= 1 << rng.randrange(10)
    departments = ("Engineering", "Product", "Data & Analytics", "Sales", "Marketing", "Strategy", "Finance")
    goals = (
        "Share what my generation takes for granted, and learn how decisions get made at the top."
        if programme.kind == ProgrammeKind.REVERSE_MENTORING and role == EnrolmentRole.MENTOR
        else "Become fluent enough in today's tools to lead my team through the change."
        if programme.kind == ProgrammeKind.REVERSE_MENTORING
        else "Open doors for someone with the talent but not yet the network."
        if role == EnrolmentRole.MENTOR
        else "Get the visibility and stretch work to step into a leadership role."
    )
    enrolment_create(
        actor=OPERATOR,
        programme=programme,
        person=person,
        role=role,
        goals=goals,
        availability=availability,
        aspiration=rng.choice(departments) if aspiration else "",
        invited_by=None,
    )
