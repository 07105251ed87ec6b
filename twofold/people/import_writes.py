"""Comparing parsed people with the directory (the plan) and writing the plan, in bulk.

``people_plan`` reads the directory once and works out every change without writing; a dry run
stops there. ``people_write`` then writes the plan as plain bulk statements (no model instance per
row), which is what keeps an import of 100,000 people within seconds. The rules about who may
import and what needs confirming live in ``import_services``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from twofold.people.bulk import allocate_primary_keys, bulk_insert_rows, bulk_update_columns
from twofold.people.hris_presets import SKILL_FIELDS
from twofold.people.import_side_tables import (
    ATTRIBUTE_FIELDS,
    CHUNK,
    _plan_attributes,
    _plan_skills,
    _SkillPlan,
    _write_attributes,
    _write_skills,
)
from twofold.people.importing import ExistingPerson, ParsedPeople, PersonRecord, check_people
from twofold.people.leavers import people_deactivate, people_reactivate
from twofold.people.models import Person
from twofold.people.selectors import FILTER_OPTIONS_CACHE_KEY
from twofold.people.services import TREE_FIELDS
from twofold.people.tabular import FileRejected
from twofold.people.tree import path_depth, path_ids, path_of, tree_paths
from twofold.people.tree_moves import directory_write_lock, tree_place, tree_rebuild

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
    active_before: int = 0  # active people in the directory before the import
    full: bool = False  # the file was the whole workforce

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
    tree: tuple[str, int]


@dataclass
class PeoplePlan:
    """Every change an import makes, worked out before the first write."""

    result: ImportResult
    current: dict[str, _Current]
    records: dict[str, PersonRecord]
    parents: dict[str, str | None]
    paths: dict[str, str]
    updates: list[tuple[int, dict[str, Any]]]
    leaving: list[int]
    returning: list[int]
    moved: set[str]
    present_fields: list[str]
    manager_column: bool
    skill_plan: _SkillPlan | None
    attribute_plan: set[str] | None
    attribute_fields: list[str]
    one_person: bool = False


def people_plan(
    parsed: ParsedPeople, *, full: bool = False, dry_run: bool = False, one_person: bool = False
) -> PeoplePlan:
    """Compare parsed rows with the directory by employee id; raises :class:`FileRejected` on any problem.

    Every row is checked before anything is planned (parse problems, duplicates, unknown managers,
    manager cycles). With ``full``, active people missing from the rows are to be deactivated,
    never deleted. Columns the file lacks leave those fields as they are.

    ``one_person`` (a single row, as an identity provider sends): the same checks read only the
    people they concern (:func:`_load_concerned`) instead of the whole directory, and the writer
    moves that person's subtree (:func:`~twofold.people.tree_moves.tree_place`) instead of
    rebuilding every path; ``active_before`` is then not counted.
    """
    if one_person and len(parsed.records) > 1:
        raise ValueError("a one-person plan takes one row")
    current = _load_concerned(parsed) if one_person else _load_current()
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
    result = ImportResult(
        rows=len(parsed.records),
        ignored_columns=parsed.mapping.ignored_columns,
        dry_run=dry_run,
        active_before=sum(1 for person in current.values() if person.values["active"]),
        full=full,
    )
    manager_column = parsed.mapping.has("manager_id")
    present_fields = [name for name in PERSON_VALUE_FIELDS if name in records_fields(parsed)]
    if full and "active" not in present_fields:
        # A full export lists the workforce: being in it means being active.
        present_fields.append("active")

    # The management graph after the import, and its paths (a new person's id is not known yet: 0).
    parents: dict[str, str | None] = {eid: person.manager for eid, person in current.items()}
    for employee_id, record in records.items():
        if manager_column:
            parents[employee_id] = record.values.get("manager")
        elif employee_id not in current:
            parents[employee_id] = None
    # One person is placed by moving their subtree (people_write); the others keep their paths.
    paths: dict[str, str] = {}
    if not one_person:
        ids = {eid: person.pk for eid, person in current.items()}
        paths = tree_paths(parents, ids | dict.fromkeys(records.keys() - ids.keys(), 0))

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
            if "email" not in changed:
                values.pop("email", None)  # parked and set again only when it changes
            if manager_column:
                values["manager"] = record.values.get("manager")
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
    if one_person:
        moved = {
            employee_id
            for employee_id in records
            if employee_id not in current or "manager" in result.updated.get(employee_id, ())
        }
    else:
        moved = {
            employee_id
            for employee_id, person in current.items()
            if paths.get(employee_id, person.tree[0]) != person.tree[0]
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

    return PeoplePlan(
        result=result,
        current=current,
        records=records,
        parents=parents,
        paths=paths,
        updates=updates,
        leaving=leaving,
        returning=returning,
        moved=moved,
        present_fields=present_fields,
        manager_column=manager_column,
        skill_plan=skill_plan,
        attribute_plan=attribute_plan,
        attribute_fields=attribute_fields,
        one_person=one_person,
    )


def people_write(plan: PeoplePlan, *, actor: Any, progress: Progress | None = None) -> None:
    """Write a plan, all or nothing (inside the caller's transaction, or one of its own).

    People who leave (``active`` turned off, or missing from a full export) and people who come back
    go through :func:`~twofold.people.leavers.people_deactivate` and
    :func:`~twofold.people.leavers.people_reactivate`, inside this transaction: leavers' accounts
    close and their pairs end with the import, or not at all.
    """
    progress = progress or NoProgress()
    result, current, records, parents = plan.result, plan.current, plan.records, plan.parents
    present_fields = plan.present_fields
    with transaction.atomic():
        if not plan.one_person:
            # No one-person move (SCIM, the admin) may run while the whole tree is written; one that
            # committed after this plan was made is kept by the rebuild at the end.
            directory_write_lock()
        pks = {employee_id: person.pk for employee_id, person in current.items()}
        pks.update(zip(result.created, allocate_primary_keys(Person, len(result.created)), strict=True))
        if plan.one_person:
            # A new person is a leaf under a manager whose path is read now (the caller holds the
            # chain's locks, see tree_moves.tree_lock): one row written.
            managers = {parents.get(eid) for eid in result.created} - {None}
            manager_paths = dict(
                Person.objects.filter(employee_id__in=managers).values_list("employee_id", "tree_path")
            )
            paths = {eid: path_of(manager_paths.get(parents.get(eid) or ""), pks[eid]) for eid in result.created}
        else:
            paths = tree_paths(parents, pks)
        _create_people(records, result.created, parents, paths, pks, present_fields, progress)
        _update_people(plan.updates, present_fields, pks, progress)
        if plan.one_person:
            for employee_id in sorted(plan.moved - set(result.created)):
                tree_place(pks[employee_id])
        else:
            tree_rows = [(current[eid].pk, paths[eid], path_depth(paths[eid])) for eid in plan.moved if eid in paths]
            bulk_update_columns(Person, TREE_FIELDS, tree_rows)
            tree_rebuild()
        if plan.leaving:
            people_deactivate(person_ids=plan.leaving, actor=actor)
        if plan.returning:
            people_reactivate(person_ids=plan.returning, actor=actor)
        if plan.skill_plan is not None:
            _write_skills(plan.skill_plan, records, pks, progress)
        if plan.attribute_plan is not None:
            _write_attributes(plan.attribute_plan, plan.attribute_fields, records, pks)
        transaction.on_commit(lambda: cache.delete(FILTER_OPTIONS_CACHE_KEY))


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


def _load_concerned(parsed: ParsedPeople) -> dict[str, _Current]:
    """The people the checks of these rows read: each row's person (by employee id), whoever holds
    its email, its manager and the manager's managers up to the top (a cycle through the row can
    only close there; the rest of the directory is acyclic). A bounded number of indexed queries."""
    employee_ids = {record.employee_id for record in parsed.records if record.employee_id}
    emails = {str(record.values["email"]) for record in parsed.records if record.values.get("email")}
    managers = {str(record.values["manager"]) for record in parsed.records if record.values.get("manager")}
    columns = ("pk", "employee_id", "manager_id", "manager__employee_id", *PERSON_VALUE_FIELDS, *TREE_FIELDS)
    found = Person.objects.filter(Q(employee_id__in=employee_ids | managers) | Q(email__in=emails)).values_list(
        *columns
    )
    rows = {row[0]: row for row in found.order_by()}
    width = len(PERSON_VALUE_FIELDS)
    # Up the management chain from the managers named: their paths name everyone above them (one
    # query); the walk along manager ids then checks it, asking for any row a path left out.
    named = [row for row in rows.values() if row[1] in managers]
    chain = {pk for row in named for pk in path_ids(row[4 + width])} - rows.keys()
    if chain:
        rows.update((row[0], row) for row in Person.objects.filter(pk__in=chain).values_list(*columns).order_by())
    above = {row[2] for row in named if row[2] is not None}
    seen: set[int] = set()
    while above - seen:
        seen |= above
        if above - rows.keys():
            level = Person.objects.filter(pk__in=above - rows.keys()).values_list(*columns).order_by()
            rows.update((row[0], row) for row in level)
        above = {rows[pk][2] for pk in above if pk in rows and rows[pk][2] is not None}
    return {
        row[1]: _Current(
            pk=row[0],
            values=dict(zip(PERSON_VALUE_FIELDS, row[4 : 4 + width], strict=True)),
            manager=row[3],
            tree=tuple(row[4 + width :]),
        )
        for row in rows.values()
    }


def _create_people(
    records: dict[str, PersonRecord],
    created: list[str],
    parents: dict[str, str | None],
    paths: dict[str, str],
    pks: dict[str, int],
    present_fields: list[str],
    progress: Progress,
) -> None:
    """Insert new people as plain rows, each already pointing at its manager."""
    if not created:
        return
    progress.stage("Creating people", len(created))
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
                paths.get(employee_id, ""),
                path_depth(paths[employee_id]) if employee_id in paths else 0,
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


def _update_people(
    updates: list[tuple[int, dict[str, Any]]], present_fields: list[str], pks: dict[str, int], progress: Progress
) -> None:
    """Each changed person's row in one write: their fields and, when the file has the column, their
    manager (``values["manager"]``, an employee id; new people's ids are in ``pks`` by now)."""
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
    manager = "manager" in updates[0][1]
    rows = [
        (
            pk,
            *(values[name] for name in fields),
            *((pks[values["manager"]] if values["manager"] else None,) if manager else ()),
            now,
        )
        for pk, values in updates
    ]
    bulk_update_columns(Person, [*fields, *(["manager"] if manager else []), "updated_at"], rows)
    progress.advance(len(updates))
