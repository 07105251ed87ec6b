"""Writes to the people directory: tree upkeep, single-person edits, the skills catalogue (imports: import_services)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from twofold.people.bulk import bulk_update_columns
from twofold.people.models import (
    CareerEvent,
    CareerEventKind,
    Person,
    PersonSkill,
    Skill,
)
from twofold.people.tree import nested_set_intervals

TREE_FIELDS = ("tree_left", "tree_right", "tree_depth")


@transaction.atomic
def people_tree_rebuild() -> int:
    """Recompute the nested-set intervals of the whole tree; returns how many people moved."""
    rows = list(Person.objects.values_list("pk", "employee_id", "manager_id", *TREE_FIELDS).order_by())
    parents = {pk: manager_id for pk, _, manager_id, *_ in rows}
    order = {pk: employee_id for pk, employee_id, *_ in rows}
    intervals = nested_set_intervals(parents, order=order)
    moved = [(pk, *intervals[pk]) for pk, _, _, *tree in rows if pk in intervals and tuple(tree) != intervals[pk]]
    bulk_update_columns(Person, TREE_FIELDS, moved)
    return len(moved)


class ManagerCycle(ValueError):
    pass


@transaction.atomic
def person_set_manager(*, person: Person, manager: Person | None) -> Person:
    """Give ``person`` a new manager, refusing one from their own reporting line."""
    if manager is not None:
        manager.refresh_from_db(fields=TREE_FIELDS)
        person.refresh_from_db(fields=TREE_FIELDS)
        if manager.pk == person.pk or person.manages_or_is_above(manager):
            raise ManagerCycle(
                f"{manager.name} reports to {person.name}, so cannot become their manager (a manager cycle)"
            )
    person.manager = manager
    person.save(update_fields=["manager", "updated_at"])
    people_tree_rebuild()
    person.refresh_from_db(fields=TREE_FIELDS)
    return person


def skills_ensure(taxonomy: Iterable[tuple[str, str]]) -> int:
    """Add the (name, category) skills the catalogue lacks; returns how many were added."""
    known = {name.casefold() for name in Skill.objects.values_list("name", flat=True)}
    fresh = [Skill(name=name, category=category) for name, category in taxonomy if name.casefold() not in known]
    Skill.objects.bulk_create(fresh)
    return len(fresh)


@transaction.atomic
def directory_clear() -> int:
    """Delete every person (with their skills, attributes and events). For demo data only."""
    count = Person.objects.count()
    Person.objects.update(manager=None)
    Person.objects.all().delete()
    return count


@dataclass(frozen=True)
class SkillChoice:
    skill_id: int
    proficiency: int
    can_teach: bool
    wants_to_learn: bool


@transaction.atomic
def person_skills_set(*, person: Person, choices: Iterable[SkillChoice]) -> int:
    """Replace a person's skills with ``choices`` (their own profile edit); returns how many they hold."""
    choices = list(choices)
    known = set(Skill.objects.filter(pk__in=[choice.skill_id for choice in choices]).values_list("pk", flat=True))
    for choice in choices:
        if choice.skill_id not in known:
            raise ValueError(f"unknown skill {choice.skill_id}")
        if not 0 <= choice.proficiency <= 4:
            raise ValueError("proficiency is 0 (none) to 4 (expert)")
    PersonSkill.objects.filter(person=person).delete()
    PersonSkill.objects.bulk_create(
        PersonSkill(
            person=person,
            skill_id=choice.skill_id,
            proficiency=choice.proficiency,
            can_teach=choice.can_teach,
            wants_to_learn=choice.wants_to_learn,
        )
        for choice in choices
    )
    Person.objects.filter(pk=person.pk).update(updated_at=timezone.now())
    return len(choices)


@transaction.atomic
def career_event_record(
    *,
    person: Person,
    kind: str,
    effective_date: date,
    to_level: int | None = None,
    to_title: str = "",
    note: str = "",
) -> CareerEvent:
    """Record one career event as the HRIS would report it, keeping the person's current record in step.

    A promotion or level change that is the person's latest moves their level (a promotion must
    raise it); an exit marks them as having left.
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    if kind not in CareerEventKind.values:
        raise ValueError(f"{kind!r} is not a career event kind")
    if kind == CareerEventKind.PROMOTION and (to_level is None or to_level <= person.level):
        raise ValueError(f"a promotion raises the level above {person.level}")
    event = CareerEvent.objects.create(
        person=person,
        kind=kind,
        effective_date=effective_date,
        from_level=person.level,
        to_level=to_level,
        from_title=person.title,
        to_title=to_title or person.title,
        note=note,
    )
    later = CareerEvent.objects.filter(person=person, effective_date__gt=effective_date).exists()
    if not later:
        if kind in (CareerEventKind.PROMOTION, CareerEventKind.LEVEL_CHANGE) and to_level is not None:
            person.level = to_level
        if to_title:
            person.title = to_title
        if kind == CareerEventKind.EXIT:
            person.active = False
        person.save(update_fields=["level", "title", "active", "updated_at"])
    return event
