"""Writes to the people directory: imports from the HRIS, tree upkeep, single-person edits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.dates import date_out_of_range
from twofold.people.bulk import allocate_primary_keys, bulk_insert_rows, bulk_update_columns
from twofold.people.hris_presets import SKILL_FIELDS, resolve_mapping
from twofold.people.importing import (
    ExistingPerson,
    ParsedPeople,
    PersonRecord,
    check_people,
    parse_people,
)
from twofold.people.leavers import people_deactivate, people_reactivate
from twofold.people.models import (
    CareerEvent,
    CareerEventKind,
    GeneratedPerson,
    Person,
    PersonSkill,
    SelfIdentification,
    Skill,
    SkillCategory,
)
from twofold.people.selectors import FILTER_OPTIONS_CACHE_KEY
from twofold.people.tabular import FileRejected, read_table
from twofold.people.tree import nested_set_intervals

PERSON_VALUE_FIELDS = (
    "name",
    "email",
    "title",
    "level",
    "department",
    "location",
    "hire_date",
    "high_potential",
    "active",
)
TREE_FIELDS = ("tree_left", "tree_right", "tree_depth")
ATTRIBUTE_FIELDS = ("gender", "ethnicity", "birth_year", "disability")
CHUNK = 5000


class Progress(Protocol):
    """Where long work reports how far it has got (a terminal bar, a task record, or nothing)."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


class NoProgress:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


@dataclass
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    rows: int
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    skills_changed: list[str] = field(default_factory=list)
    attributes_changed: list[str] = field(default_factory=list)
    new_skills: list[str] = field(default_factory=list)
    tree_moves: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.deactivated
            or self.skills_changed
            or self.attributes_changed
            or self.new_skills
        )


@dataclass
class _Current:
    pk: int
    values: dict[str, Any]
    manager: str | None
    tree: tuple[int, int, int]


def people_import_file(
    path: str | Path,
    *,
    preset: str = "generic",
    mapping_file: str | Path | None = None,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    actor: User | None = None,
) -> ImportResult:
    """Import people from a CSV, XLSX or JSON file; raises :class:`FileRejected` listing every problem."""
    table = read_table(path)
    return people_import_table(
        table,
        preset=preset,
        mapping_file=mapping_file,
        full=full,
        dry_run=dry_run,
        progress=progress,
        today=today,
        actor=actor,
    )


def people_import_table(
    table: Any,
    *,
    preset: str = "generic",
    mapping_file: str | Path | None = None,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    actor: User | None = None,
) -> ImportResult:
    progress = progress or NoProgress()
    mapping = resolve_mapping(table.columns, preset=preset, mapping_file=mapping_file)
    progress.stage("Reading rows", len(table))
    parsed = parse_people(table, mapping, today=today or timezone.localdate(), on_row=progress.advance)
    return people_import(parsed, full=full, dry_run=dry_run, progress=progress, actor=actor)


def people_import(
    parsed: ParsedPeople,
    *,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
) -> ImportResult:
    """Upsert people by employee id from parsed rows, all or nothing.

    Every row is checked before the first write (parse problems, duplicates, unknown managers,
    manager cycles); any problem raises :class:`FileRejected` and nothing is written. With
    ``full``, active people missing from the rows are deactivated, never deleted. Columns the file
    lacks leave those fields as they are. On a dry run the result says what would change.

    People who leave (``active`` turned off, or missing from a full export) and people who come back
    go through :func:`~twofold.people.leavers.people_deactivate` and
    :func:`~twofold.people.leavers.people_reactivate`, inside the import's transaction: leavers'
    accounts close and their pairs end with the import, or not at all. ``actor`` is the user
    importing (None: the operator at the terminal).
    """
    progress = progress or NoProgress()
    current = _load_current()
    existing = {
        employee_id: ExistingPerson(
            employee_id=employee_id,
            name=person.values["name"],
            email=person.values["email"],
            manager=person.manager,
            active=person.values["active"],
        )
        for employee_id, person in current.items()
    }
    problems = list(parsed.problems) + check_people(parsed, existing, full=full)
    if problems:
        raise FileRejected(problems)

    records = {record.employee_id: record for record in parsed.records}
    result = ImportResult(rows=len(parsed.records), ignored_columns=parsed.mapping.ignored_columns, dry_run=dry_run)
    manager_column = parsed.mapping.has("manager_id")
    present_fields = [name for name in PERSON_VALUE_FIELDS if name in records_fields(parsed)]
    if full and "active" not in present_fields:
        # A full export lists the workforce: being in it means being active.
        present_fields.append("active")

    # The management graph after the import, and its intervals.
    parents: dict[str, str | None] = {eid: person.manager for eid, person in current.items()}
    for employee_id, record in records.items():
        if manager_column:
            parents[employee_id] = record.values.get("manager")
        elif employee_id not in current:
            parents[employee_id] = None
    intervals = nested_set_intervals(parents)

    updates: list[tuple[int, dict[str, Any]]] = []
    # People the rows move between active and inactive: leaving and coming back have consequences
    # beyond the directory (accounts, pairs), which the leavers' services carry out.
    leaving: list[int] = []
    returning: list[int] = []
    for employee_id, record in records.items():
        values = dict(record.values)
        values.pop("manager", None)
        if full and "active" not in values:
            values["active"] = True
        person = current.get(employee_id)
        if person is None:
            result.created.append(employee_id)
            continue
        changed = [name for name, value in values.items() if person.values.get(name) != value]
        if manager_column and person.manager != record.values.get("manager"):
            changed.append("manager")
        if changed:
            result.updated[employee_id] = changed
            updates.append((person.pk, values))
        if "active" in changed:
            if values["active"]:
                returning.append(person.pk)
                result.reactivated.append(employee_id)
            else:
                leaving.append(person.pk)
                result.deactivated.append(employee_id)
    if full:
        missing = [
            employee_id
            for employee_id, person in current.items()
            if employee_id not in records and person.values["active"]
        ]
        leaving.extend(current[employee_id].pk for employee_id in missing)
        result.deactivated.extend(missing)
    result.deactivated.sort()
    result.reactivated.sort()
    moved = {
        employee_id for employee_id, person in current.items() if intervals.get(employee_id, person.tree) != person.tree
    }
    result.tree_moves = len(moved)

    mapped = set(parsed.mapping.fields)
    skill_plan = _plan_skills(records, current) if mapped & set(SKILL_FIELDS) else None
    if skill_plan is not None:
        result.skills_changed = sorted(skill_plan.changed)
        result.new_skills = sorted(skill_plan.new_names.values())
    attribute_fields = [
        name for name in ATTRIBUTE_FIELDS if name in mapped or (name == "birth_year" and "birth_date" in mapped)
    ]
    attribute_plan = _plan_attributes(records, current) if attribute_fields else None
    if attribute_plan is not None:
        result.attributes_changed = sorted(attribute_plan)

    if dry_run:
        return result
    with transaction.atomic():
        pks = {employee_id: person.pk for employee_id, person in current.items()}
        _create_people(records, result.created, parents, intervals, pks, present_fields, progress)
        _update_people(updates, present_fields, progress)
        if manager_column:
            manager_rows = [
                (current[eid].pk, pks[parents[eid]] if parents[eid] else None)  # type: ignore[index]
                for eid in result.updated
                if "manager" in result.updated[eid]
            ]
            bulk_update_columns(Person, ["manager"], manager_rows)
        tree_rows = [(current[eid].pk, *intervals[eid]) for eid in moved if eid in intervals]
        bulk_update_columns(Person, TREE_FIELDS, tree_rows)
        if leaving:
            people_deactivate(person_ids=leaving, actor=actor)
        if returning:
            people_reactivate(person_ids=returning, actor=actor)
        if skill_plan is not None:
            _write_skills(skill_plan, records, pks, progress)
        if attribute_plan is not None:
            _write_attributes(attribute_plan, attribute_fields, records, pks)
        transaction.on_commit(lambda: cache.delete(FILTER_OPTIONS_CACHE_KEY))
    return result


def records_fields(parsed: ParsedPeople) -> set[str]:
    """Person fields that the file sets (``name``/``email``/``level`` always)."""
    mapped = set(parsed.mapping.fields)
    return {"name", "email", "level"} | (mapped & set(PERSON_VALUE_FIELDS))


def _load_current() -> dict[str, _Current]:
    rows = Person.objects.values_list("pk", "employee_id", "manager_id", *PERSON_VALUE_FIELDS, *TREE_FIELDS).order_by()
    eid_of_pk: dict[int, str] = {}
    raw = []
    for row in rows.iterator(chunk_size=CHUNK):
        eid_of_pk[row[0]] = row[1]
        raw.append(row)
    current: dict[str, _Current] = {}
    width = len(PERSON_VALUE_FIELDS)
    for row in raw:
        values = dict(zip(PERSON_VALUE_FIELDS, row[3 : 3 + width], strict=True))
        current[row[1]] = _Current(
            pk=row[0],
            values=values,
            manager=eid_of_pk.get(row[2]) if row[2] is not None else None,
            tree=tuple(row[3 + width :]),
        )
    return current


def _create_people(
    records: dict[str, PersonRecord],
    created: list[str],
    parents: dict[str, str | None],
    intervals: dict[str, tuple[int, int, int]],
    pks: dict[str, int],
    present_fields: list[str],
    progress: Progress,
) -> None:
    """Insert new people as plain rows, each already pointing at its manager."""
    if not created:
        return
    progress.stage("Creating people", len(created))
    pks.update(zip(created, allocate_primary_keys(Person, len(created)), strict=True))
    now = timezone.now()
    defaults = {name: _field_default(name) for name in PERSON_VALUE_FIELDS}
    present = set(present_fields)
    columns = ["id", "employee_id", "manager", *PERSON_VALUE_FIELDS, *TREE_FIELDS, "created_at", "updated_at"]

    def rows() -> Iterator[tuple[Any, ...]]:
        for count, employee_id in enumerate(created, start=1):
            values = records[employee_id].values
            manager = parents.get(employee_id)
            yield (
                pks[employee_id],
                employee_id,
                pks[manager] if manager else None,
                *(
                    values[name] if name in present and name in values else defaults[name]
                    for name in PERSON_VALUE_FIELDS
                ),
                *intervals[employee_id],
                now,
                now,
            )
            if count % 1000 == 0:
                progress.advance(1000)

    bulk_insert_rows(Person, columns, rows())


def _field_default(name: str) -> Any:
    field = Person._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_default()


def _update_people(updates: list[tuple[int, dict[str, Any]]], present_fields: list[str], progress: Progress) -> None:
    if not updates:
        return
    progress.stage("Updating people", len(updates))
    fields = [name for name in present_fields if name != "email"]
    now = timezone.now()
    # Emails are unique: park the changing ones first so that two people may swap addresses.
    email_changes = [(pk, values["email"]) for pk, values in updates if "email" in values]
    if email_changes:
        bulk_update_columns(Person, ["email"], [(pk, f"{pk}@renaming.invalid") for pk, _ in email_changes])
        bulk_update_columns(Person, ["email"], email_changes)
    rows = [(pk, *(values[name] for name in fields), now) for pk, values in updates]
    bulk_update_columns(Person, [*fields, "updated_at"], rows)
    progress.advance(len(updates))


@dataclass
class _SkillPlan:
    changed: set[str]
    new_names: dict[str, str]  # casefolded → display name
    skill_ids: dict[str, int]  # casefolded → pk of existing skills
    existing: set[str]  # employee ids of people already in the directory


def _plan_skills(records: dict[str, PersonRecord], current: dict[str, _Current]) -> _SkillPlan:
    skill_ids = {name.casefold(): pk for pk, name in Skill.objects.values_list("pk", "name")}
    names = {pk: key for key, pk in skill_ids.items()}
    held: dict[int, set[tuple[str, int, bool, bool]]] = {}
    pk_to_eid = {person.pk: eid for eid, person in current.items() if eid in records}
    rows = PersonSkill.objects.values_list("person_id", "skill_id", "proficiency", "can_teach", "wants_to_learn")
    for person_id, skill_id, proficiency, can_teach, wants_to_learn in rows.order_by().iterator(chunk_size=CHUNK):
        if person_id in pk_to_eid:
            held.setdefault(person_id, set()).add((names[skill_id], proficiency, can_teach, wants_to_learn))
    changed = set()
    new_names: dict[str, str] = {}
    for employee_id, record in records.items():
        wanted = {
            (key, entry.proficiency, entry.can_teach, entry.wants_to_learn)
            for key, entry in (record.skills or {}).items()
        }
        for key, entry in (record.skills or {}).items():
            if key not in skill_ids and key not in new_names:
                new_names[key] = entry.name
        person = current.get(employee_id)
        if person is None:
            if wanted:
                changed.add(employee_id)
        elif held.get(person.pk, set()) != wanted:
            changed.add(employee_id)
    return _SkillPlan(changed=changed, new_names=new_names, skill_ids=skill_ids, existing=set(current))


def _write_skills(plan: _SkillPlan, records: dict[str, PersonRecord], pks: dict[str, int], progress: Progress) -> None:
    if plan.new_names:
        created = Skill.objects.bulk_create(
            [Skill(name=name, category=SkillCategory.OTHER) for name in plan.new_names.values()]
        )
        for skill in created:
            plan.skill_ids[skill.name.casefold()] = skill.pk
    if not plan.changed:
        return
    progress.stage("Writing skills", len(plan.changed))
    person_ids = sorted(pks[eid] for eid in plan.changed if eid in plan.existing)
    for start in range(0, len(person_ids), CHUNK):
        PersonSkill.objects.filter(person_id__in=person_ids[start : start + CHUNK]).delete()

    def rows() -> Iterator[tuple[int, int, int, bool, bool]]:
        for count, employee_id in enumerate(sorted(plan.changed), start=1):
            for key, entry in (records[employee_id].skills or {}).items():
                yield (pks[employee_id], plan.skill_ids[key], entry.proficiency, entry.can_teach, entry.wants_to_learn)
            if count % 1000 == 0:
                progress.advance(1000)

    bulk_insert_rows(PersonSkill, ["person", "skill", "proficiency", "can_teach", "wants_to_learn"], rows())


def _plan_attributes(records: dict[str, PersonRecord], current: dict[str, _Current]) -> set[str]:
    pk_to_eid = {person.pk: eid for eid, person in current.items() if eid in records}
    stored: dict[str, dict[str, Any]] = {}
    rows = SelfIdentification.objects.values_list("person_id", *ATTRIBUTE_FIELDS).order_by()
    for person_id, *values in rows.iterator(chunk_size=CHUNK):
        if person_id in pk_to_eid:
            stored[pk_to_eid[person_id]] = dict(zip(ATTRIBUTE_FIELDS, values, strict=True))
    changed = set()
    for employee_id, record in records.items():
        given = record.attributes or {}
        before = stored.get(employee_id)
        if before is None:
            if any(value not in ("", None) for value in given.values()):
                changed.add(employee_id)
        elif any(before[name] != value for name, value in given.items()):
            changed.add(employee_id)
    return changed


def _write_attributes(
    changed: set[str], fields: list[str], records: dict[str, PersonRecord], pks: dict[str, int]
) -> None:
    if not changed:
        return
    existing_ids = set(SelfIdentification.objects.values_list("person_id", flat=True).order_by())
    blank = {name: None if name == "birth_year" else "" for name in ATTRIBUTE_FIELDS}
    create_rows = []
    update_rows = []
    for employee_id in sorted(changed):
        attributes = records[employee_id].attributes or {}
        if pks[employee_id] in existing_ids:
            update_rows.append((pks[employee_id], *(attributes.get(name) for name in fields)))
        else:
            create_rows.append((pks[employee_id], *({**blank, **attributes}[name] for name in ATTRIBUTE_FIELDS)))
    now = timezone.now()
    bulk_insert_rows(
        SelfIdentification,
        ["person", *ATTRIBUTE_FIELDS, "updated_at"],
        [(*row, now) for row in create_rows],
    )
    bulk_update_columns(SelfIdentification, [*fields, "updated_at"], [(*row, now) for row in update_rows])


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


@dataclass
class EventImportResult:
    rows: int
    created: int
    unchanged: int
    dry_run: bool = False
    # Employee ids of the people whose exit took effect (or, on a dry run, would).
    left: list[str] = field(default_factory=list)


def career_events_import_file(
    path: str | Path, *, dry_run: bool = False, actor: User | None = None
) -> EventImportResult:
    """Import career events (employee_id, kind, date, from/to level and title, note) from a file."""
    from twofold.people.career_events import parse_career_events

    table = read_table(path)
    employee_pks = dict(Person.objects.values_list("employee_id", "pk"))
    events, problems = parse_career_events(table, employee_pks, today=timezone.localdate())
    if problems:
        raise FileRejected(problems)
    return career_events_import(events, dry_run=dry_run, actor=actor)


def _exits_in_effect(exits: dict[int, date], *, pending: Iterable[CareerEvent] = (), today: date) -> dict[int, str]:
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


def career_events_import(
    events: Iterable[CareerEvent], *, dry_run: bool = False, actor: User | None = None, today: date | None = None
) -> EventImportResult:
    """Add events not already recorded (same person, kind and date); re-importing changes nothing.

    Exits that have come and are each person's latest event mark them as having left, through
    :func:`~twofold.people.leavers.people_deactivate`, in the same transaction as the events. An
    exit dated in the future does so once its day has come and the events are imported again.
    """
    events = list(events)
    today = today or timezone.localdate()
    person_ids = {event.person_id for event in events}
    known: set[tuple[int, str, date]] = set()
    ids = sorted(person_ids)
    for start in range(0, len(ids), CHUNK):
        known.update(
            CareerEvent.objects.filter(person_id__in=ids[start : start + CHUNK]).values_list(
                "person_id", "kind", "effective_date"
            )
        )
    fresh = [event for event in events if (event.person_id, event.kind, event.effective_date) not in known]
    exits: dict[int, date] = {}
    for event in events:
        if event.kind == CareerEventKind.EXIT:
            exits[event.person_id] = max(event.effective_date, exits.get(event.person_id, event.effective_date))
    leaving = _exits_in_effect(exits, pending=fresh, today=today)
    if not dry_run:
        with transaction.atomic():
            CareerEvent.objects.bulk_create(fresh, batch_size=CHUNK)
            if leaving:
                people_deactivate(person_ids=list(leaving), actor=actor)
    return EventImportResult(
        rows=len(events),
        created=len(fresh),
        unchanged=len(events) - len(fresh),
        dry_run=dry_run,
        left=sorted(leaving.values()),
    )


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
    """Replace a person's skills with ``choices`` (their own profile edit); returns how many they hold.

    Two saves at once (two tabs, a double click) take turns on the person's row, and the later one
    wins whole: otherwise both delete the old rows, both insert, and the second insert breaks the
    one-row-per-skill constraint.
    """
    Person.objects.select_for_update().filter(pk=person.pk).first()
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
    actor: User | None = None,
    today: date | None = None,
) -> CareerEvent:
    """Record one career event as the HRIS would report it, keeping the person's current record in step.

    A promotion or level change that is the person's latest moves their level (a promotion must
    raise it); an exit that is their latest, once its date has come, marks them as having left
    (:func:`~twofold.people.leavers.people_deactivate`).
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    if kind not in CareerEventKind.values:
        raise ValueError(f"{kind!r} is not a career event kind")
    if problem := date_out_of_range(effective_date, what="the date of a career event"):
        raise ValueError(problem)
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
        person.save(update_fields=["level", "title", "updated_at"])
    if kind == CareerEventKind.EXIT:
        leaving = _exits_in_effect({person.pk: effective_date}, today=today or timezone.localdate())
        if leaving:
            people_deactivate(person_ids=list(leaving), actor=actor)
    return event
