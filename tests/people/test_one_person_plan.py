"""One person's plan (an identity provider's write) reads only the rows it concerns, yet agrees with
the import's plan over the whole directory: the same refusals, the same changes, and afterwards
the same tree a full rebuild of the paths gives."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from tests.factories import OPERATOR
from twofold.people.hris_presets import ColumnMapping
from twofold.people.import_writes import people_plan, people_write
from twofold.people.importing import ParsedPeople, parse_people
from twofold.people.models import Person
from twofold.people.provisioning import ProvisionedPerson, person_provision
from twofold.people.services import person_set_manager
from twofold.people.tabular import FileRejected, Table
from twofold.people.tree import path_depth, path_is_above, subtree_q, tree_paths
from twofold.people.tree_moves import tree_rebuild

TODAY = date(2026, 1, 1)


@pytest.fixture
def organisation(db) -> None:  # type: ignore[no-untyped-def]
    call_command("demo_org", people=300, seed=5, as_of=TODAY)


def parsed_row(**values: Any) -> ParsedPeople:
    columns = list(values)
    table = Table(source="test", format="test", columns=columns, rows=[(1, [str(values[c]) for c in columns])])
    return parse_people(table, ColumnMapping(fields={name: (name,) for name in columns}), today=TODAY)


def row_of(person: Person, **changes: Any) -> dict[str, Any]:
    values = {
        "employee_id": person.employee_id,
        "name": person.name,
        "email": person.email,
        "level": person.level,
        "manager_id": person.manager.employee_id if person.manager else "",
        "active": "active" if person.active else "inactive",
    }
    return {**values, **changes}


def refusals(parsed: ParsedPeople, *, one_person: bool) -> list[tuple[Any, ...]]:
    try:
        people_plan(parsed, one_person=one_person)
    except FileRejected as rejected:
        return [(problem.row, problem.column, problem.message) for problem in rejected.problems]
    return []


def a_manager_with_a_grandchild() -> tuple[Person, Person]:
    for manager in Person.objects.filter(active=True, manager__isnull=False).order_by("employee_id"):
        below = Person.objects.filter(subtree_q(manager.tree_path)).exclude(pk=manager.pk)
        deep = below.filter(tree_depth__gte=manager.tree_depth + 2).order_by("employee_id").first()
        if deep is not None:
            return manager, deep
    raise AssertionError("the organisation has no three-level chain")


def test_both_plans_refuse_the_same_rows_for_the_same_reasons(organisation) -> None:  # type: ignore[no-untyped-def]
    manager, grandchild = a_manager_with_a_grandchild()
    someone = Person.objects.exclude(pk__in=[manager.pk, grandchild.pk]).order_by("employee_id").last()
    assert someone is not None
    cases = {
        "cycle through a report's report": row_of(manager, manager_id=grandchild.employee_id),
        "own manager": row_of(manager, manager_id=manager.employee_id),
        "unknown manager": row_of(manager, manager_id="E999999"),
        "email taken": row_of(manager, email=someone.email),
        "new person, email taken": row_of(someone, employee_id="N000001", email=manager.email),
        "new person, unknown manager": row_of(someone, employee_id="N000002", email="n2@example.org", manager_id="X1"),
        "bad level": row_of(manager, level="eleven"),
    }
    before = list(Person.objects.order_by("pk").values_list("pk", "manager_id", "email", "tree_path"))
    for name, values in cases.items():
        parsed = parsed_row(**values)
        whole = refusals(parsed, one_person=False)
        assert whole, f"{name}: the import's plan should refuse it"
        assert refusals(parsed, one_person=True) == whole, name
    assert list(Person.objects.order_by("pk").values_list("pk", "manager_id", "email", "tree_path")) == (before)


def test_both_plans_see_the_same_changes(organisation) -> None:  # type: ignore[no-untyped-def]
    manager, grandchild = a_manager_with_a_grandchild()
    other = Person.objects.filter(level__gte=6).exclude(pk=manager.pk).order_by("employee_id").first()
    assert other is not None
    for values in (
        row_of(grandchild, manager_id=other.employee_id, name="Renamed Person"),
        row_of(grandchild, active="inactive"),
        row_of(grandchild, employee_id="N000003", email="new.person@example.org"),
    ):
        whole = people_plan(parsed_row(**values)).result
        one = people_plan(parsed_row(**values), one_person=True).result
        assert (one.created, one.updated, one.deactivated, one.reactivated) == (
            whole.created,
            whole.updated,
            whole.deactivated,
            whole.reactivated,
        )


def assert_tree_as_rebuilt() -> None:
    rows = list(Person.objects.values_list("pk", "manager_id", "tree_path", "tree_depth"))
    paths = tree_paths({pk: manager for pk, manager, *_ in rows}, {pk: pk for pk, *_ in rows})
    assert {pk: (path, depth) for pk, _, path, depth in rows} == {
        pk: (path, path_depth(path)) for pk, path in paths.items()
    }


def provision(current: Person | None, **changes: Any) -> Person:
    values = row_of(current, **changes) if current is not None else changes
    return person_provision(
        actor=OPERATOR,
        person=ProvisionedPerson(
            employee_id=values["employee_id"],
            name=values["name"],
            email=values["email"],
            level=values["level"],
            manager_employee_id=values["manager_id"] or None,
            active=values.get("active", "active") == "active",
        ),
        current=current,
    )


def test_one_person_writes_leave_the_tree_as_a_rebuild_would(organisation) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    assert_tree_as_rebuilt()
    for step in range(25):
        people = list(Person.objects.order_by("employee_id"))
        person = rng.choice(people)
        kind = step % 5
        if kind == 0:  # a new hire under someone
            boss = rng.choice(people)
            provision(
                None,
                employee_id=f"E{rng.randint(0, 999999):06d}X",
                name=f"New Hire {step}",
                email=f"hire{step}@example.org",
                level=2,
                manager_id=boss.employee_id,
            )
        elif kind == 1:  # to the top of the tree
            provision(person, manager_id="")
        elif kind == 2:  # a new employee id, which leaves their path as it is
            provision(person, employee_id=f"{rng.choice('ABEZ')}{step:04d}")
        else:  # to a manager outside their own subtree, with everyone under them
            outside = [
                other
                for other in people
                if not path_is_above(person.tree_path, other.tree_path) and other.pk != person.pk
            ]
            provision(person, manager_id=rng.choice(outside).employee_id)
        assert_tree_as_rebuilt()


def test_a_move_committed_between_an_imports_plan_and_its_write_is_kept_in_the_paths(organisation: None) -> None:
    """The import plans outside its transaction (a person may be asked to confirm leavers), so a
    one-person move may land in between: the paths written agree with the managers stored."""
    leaves = list(Person.objects.filter(active=True, manager__isnull=False, tree_depth__gte=2).order_by("employee_id"))
    mover = next(p for p in leaves if not Person.objects.filter(manager=p).exists())
    new_manager = next(
        p for p in leaves if p.pk != mover.pk and not path_is_above(p.tree_path, mover.tree_path) and p.manager_id
    )
    elsewhere = next(
        p
        for p in Person.objects.filter(active=True, tree_depth=1).order_by("employee_id")
        if not path_is_above(new_manager.tree_path, p.tree_path)
        and not path_is_above(p.tree_path, new_manager.tree_path)
    )
    plan = people_plan(parsed_row(**row_of(mover, manager_id=new_manager.employee_id)))
    # Meanwhile an identity provider moves the new manager to another branch.
    person_set_manager(actor=OPERATOR, person=new_manager, manager=elsewhere)
    people_write(plan, actor=OPERATOR)

    mover.refresh_from_db()
    new_manager.refresh_from_db()
    assert mover.manager_id == new_manager.pk
    assert mover.tree_path.startswith(new_manager.tree_path) and new_manager.tree_path.startswith(elsewhere.tree_path)
    assert tree_rebuild() == 0  # every stored path is the one the managers give
