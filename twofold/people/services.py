"""Writes to the people directory: tree upkeep, single-person edits, the skills catalogue (imports: import_services)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from twofold.accounts.permissions import authorize
from twofold.dates import date_out_of_range
from twofold.operations.errors import retried_on_conflict
from twofold.people.bulk import bulk_insert_rows
from twofold.people.leavers import people_deactivate
from twofold.people.models import (
    CareerEvent,
    CareerEventKind,
    Delegation,
    GeneratedPerson,
    Person,
    PersonSkill,
    Skill,
)
from twofold.people.tree_moves import TREE_FIELDS, tree_lock, tree_place, tree_rebuild

# Ids per IN (…) list: well inside every database's limit on query parameters.
CHUNK = 5000


@transaction.atomic
def people_tree_rebuild() -> int:
    """Recompute the path of everyone in the tree; returns how many people moved."""
    return tree_rebuild()


class ManagerCycle(ValueError):
    pass


@retried_on_conflict
@transaction.atomic
def person_set_manager(*, actor: Any, person: Person, manager: Person | None) -> Person:
    """Give ``person`` a new manager, refusing one from their own reporting line. Reporting lines
    come from the HRIS: whoever may import people may set one.

    A move that loses to a concurrent one at the database (a deadlock between two moves on one
    chain) is run again from the start, on the tree as the other left it; still losing, it raises
    :class:`~twofold.operations.errors.DatabaseBusy` and changes nothing."""
    authorize(actor, "people.import")
    tree_lock(person_ids=[person.pk], manager_employee_ids=[manager.employee_id] if manager is not None else [])
    if manager is not None:
        manager.refresh_from_db(fields=TREE_FIELDS)
        person.refresh_from_db(fields=TREE_FIELDS)
        if manager.pk == person.pk or person.manages_or_is_above(manager):
            raise ManagerCycle(
                f"{manager.name} reports to {person.name}, so cannot become their manager (a manager cycle)"
            )
    person.manager = manager
    person.save(update_fields=["manager", "updated_at"])
    tree_place(person.pk)
    person.refresh_from_db(fields=TREE_FIELDS)
    return person


def exits_in_effect(exits: dict[int, date], *, pending: Iterable[CareerEvent] = (), today: date) -> dict[int, str]:
    """Who of these people (person id → date of an exit) has left as of ``today``, as person id →
    employee id.

    An exit takes effect on its date, when it is the person's latest recorded event (an exit
    followed by a re-hire or any later change is history) and the person is still active.
    ``pending`` are events about to be recorded, counted as if they were.
    """
    due = {person_id: when for person_id, when in exits.items() if when <= today}
    ids = sorted(due)
    latest: dict[int, date] = {}
    for start in range(0, len(ids), CHUNK):
        rows = (
            CareerEvent.objects.filter(person_id__in=ids[start : start + CHUNK])
            .values("person_id")
            .annotate(last=models.Max("effective_date"))
            .values_list("person_id", "last")
            .order_by()
        )
        latest.update(rows)
    for event in pending:
        if event.person_id in due and event.effective_date > latest.get(event.person_id, date.min):
            latest[event.person_id] = event.effective_date
    candidates = sorted(person_id for person_id, when in due.items() if latest.get(person_id, when) <= when)
    leaving: dict[int, str] = {}
    for start in range(0, len(candidates), CHUNK):
        leaving.update(
            Person.objects.filter(pk__in=candidates[start : start + CHUNK], active=True).values_list(
                "pk", "employee_id"
            )
        )
    return leaving


@transaction.atomic
def people_exits_apply(*, actor: Any, today: date | None = None) -> list[str]:
    """Mark as having left everyone whose exit (a career event) has come and is still their latest
    event, through :func:`~twofold.people.leavers.people_deactivate`; returns their employee ids.

    The daily run calls this, so that an exit imported before its date takes effect on its day.
    Idempotent: each exit is applied once (``applied_at``; an import or :func:`career_event_record`
    applies an exit whose day has come at once), so running again changes nothing, and someone who
    came back is not sent away again by an old exit. The exits were confirmed (and held to the
    limit) when they were imported. ``actor`` is the daily run's: the server's own process, acting as
    the command line does.
    """
    today = today or timezone.localdate()
    due = CareerEvent.objects.filter(kind=CareerEventKind.EXIT, effective_date__lte=today, applied_at__isnull=True)
    exits = dict(
        due.values("person_id").annotate(last=models.Max("effective_date")).values_list("person_id", "last").order_by()
    )
    leaving = exits_in_effect(exits, today=today)
    if leaving:
        people_deactivate(person_ids=list(leaving), actor=actor)
    # Applied once: someone who comes back later is not marked as having left again by the same exit.
    due.update(applied_at=timezone.now())
    return sorted(leaving.values())


def skills_ensure(taxonomy: Iterable[tuple[str, str]]) -> int:
    """Add the (name, category) skills the catalogue lacks; returns how many were added."""
    known = {name.casefold() for name in Skill.objects.values_list("name", flat=True)}
    fresh = [Skill(name=name, category=category) for name, category in taxonomy if name.casefold() not in known]
    Skill.objects.bulk_create(fresh)
    return len(fresh)


@transaction.atomic
def people_mark_generated(*, employee_ids: Iterable[str]) -> int:
    """Mark these people as made up by the demo generator (and by nothing else); returns how many."""
    wanted = set(employee_ids)
    pks = [pk for employee_id, pk in Person.objects.values_list("employee_id", "pk") if employee_id in wanted]
    return bulk_insert_rows(GeneratedPerson, ["person"], ((pk,) for pk in sorted(pks)))


@transaction.atomic
def directory_clear(*, actor: Any) -> int:
    """Delete every person (with their skills, attributes and events). For demo data only."""
    authorize(actor, "people.import")
    count = Person.objects.count()
    Person.objects.update(manager=None)
    Person.objects.all().delete()
    return count


class SkillsRefused(ValueError):
    """A skills profile that cannot be saved (an unknown skill, a proficiency out of range)."""


@dataclass(frozen=True)
class SkillChoice:
    skill_id: int
    proficiency: int
    can_teach: bool
    wants_to_learn: bool


@transaction.atomic
def person_skills_set(*, actor: Any, person: Person, choices: Iterable[SkillChoice]) -> int:
    """Replace a person's skills with ``choices`` (their own profile edit); returns how many they hold.

    Two saves at once (two tabs, a double click) take turns on the person's row, and the later one
    wins whole: otherwise both delete the old rows, both insert, and the second insert breaks the
    one-row-per-skill constraint.
    """
    authorize(actor, "people.edit_skills", person)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    choices = list(choices)
    if len({choice.skill_id for choice in choices}) < len(choices):
        raise SkillsRefused("each skill once")
    known = set(Skill.objects.filter(pk__in=[choice.skill_id for choice in choices]).values_list("pk", flat=True))
    for choice in choices:
        if choice.skill_id not in known:
            raise SkillsRefused(f"unknown skill {choice.skill_id}")
        if not 0 <= choice.proficiency <= 4:
            raise SkillsRefused("proficiency is 0 (none) to 4 (expert)")
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
    actor: Any,
    today: date | None = None,
) -> CareerEvent:
    """Record one career event as the HRIS would report it, keeping the person's current record in step.

    A promotion or level change that is the person's latest moves their level (a promotion must
    raise it); an exit that is their latest, once its date has come, marks them as having left
    (:func:`~twofold.people.leavers.people_deactivate`).
    """
    authorize(actor, "people.import")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if kind not in CareerEventKind.values:
        raise ValueError(f"{kind!r} is not a career event kind")
    if problem := date_out_of_range(effective_date, what="the date of a career event"):
        raise ValueError(problem)
    if kind == CareerEventKind.PROMOTION and (to_level is None or to_level <= person.level):
        raise ValueError(f"a promotion raises the level above {person.level}")
    today = today or timezone.localdate()
    event = CareerEvent.objects.create(
        person=person,
        kind=kind,
        effective_date=effective_date,
        # An exit whose day has come is applied now (below); a later one by the daily run.
        applied_at=timezone.now() if kind == CareerEventKind.EXIT and effective_date <= today else None,
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
        person.save(update_fields=["level", "title", "updated_at"])
    if kind == CareerEventKind.EXIT:
        leaving = exits_in_effect({person.pk: effective_date}, today=today)
        if leaving:
            people_deactivate(person_ids=list(leaving), actor=actor)
    return event


class DelegationRefused(ValueError):
    """A delegate that cannot be named: oneself, or someone who has left."""


@transaction.atomic
def delegation_set(*, actor: Any, manager: Person, delegate: Person | None) -> Delegation | None:
    """``manager`` names ``delegate`` to decide their direct reports' applications as they would, in
    place of any delegate named before; ``delegate=None`` removes the delegation. Only the manager
    themselves may (:func:`~twofold.accounts.permissions.can_choose_delegate`)."""
    authorize(actor, "people.choose_delegate", manager)
    Person.objects.select_for_update().filter(pk=manager.pk).first()
    if delegate is not None and delegate.pk == manager.pk:
        raise DelegationRefused("You decide your team's applications already: choose a colleague.")
    if delegate is not None and not delegate.active:
        raise DelegationRefused(f"{delegate.name} has left the organisation.")
    Delegation.objects.filter(manager=manager).delete()
    if delegate is None:
        return None
    return Delegation.objects.create(manager=manager, delegate=delegate)
