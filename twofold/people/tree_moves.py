"""Moving one person (and everyone under them) in the nested-set tree, without renumbering it all.

The import renumbers the whole tree with :func:`~twofold.people.tree.nested_set_intervals`; one
person provisioned by an identity provider needs only their own subtree moved to its place under
the new manager, and the intervals between the old and the new place shifted by the subtree's
width: one ``UPDATE`` over those rows. The place is the one the full numbering gives (siblings in
employee-id order, compared code point by code point as Python does), so the numbers stay exactly
those a rebuild would write; a test proves it.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Max, Q
from django.db.models.functions import Collate

from twofold.people.models import Person


def directory_write_lock() -> None:
    """Serialise writers of the management tree until the transaction ends (PostgreSQL).

    Two moves at once would shift overlapping ranges; readers are not blocked. Take it before
    locking any person's row, so that two writers never wait for each other. SQLite already lets
    one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Person._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def tree_end() -> int:
    """The highest number in use: a new person starts as a root after it, then is placed."""
    return Person.objects.filter(manager__isnull=True).aggregate(end=Max("tree_right"))["end"] or 0


def _binary(field: str) -> Collate:
    """``field`` compared code point by code point, as Python sorts the import's siblings."""
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY")


def tree_place(person_pk: int) -> int:
    """Move the person's subtree to where their manager and employee id put it; returns the rows
    written. Their manager must not be in their subtree (the import's cycle check comes first)."""
    person = Person.objects.values("employee_id", "manager_id", *TREE).get(pk=person_pk)
    left, right, depth = person["tree_left"], person["tree_right"], person["tree_depth"]
    manager_id = person["manager_id"]
    siblings = Person.objects.exclude(pk=person_pk).filter(
        Q(manager_id=manager_id) if manager_id is not None else Q(manager__isnull=True)
    )
    earlier = siblings.annotate(binary_id=_binary("employee_id")).filter(binary_id__lt=person["employee_id"])
    before = earlier.aggregate(end=Max("tree_right"))["end"]
    if manager_id is not None:
        manager = Person.objects.values(*TREE).get(pk=manager_id)
        target = before + 1 if before is not None else manager["tree_left"] + 1
        new_depth = manager["tree_depth"] + 1
    else:
        target = before + 1 if before is not None else 1
        new_depth = 0
    width = right - left + 1
    if target > right:  # to the right: what lies between closes the gap
        shifted, offset, by = (right + 1, target - 1), target - right - 1, -width
    else:  # to the left (or where it is)
        shifted, offset, by = (target, left - 1), target - left, width
    if offset == 0 and new_depth == depth:
        return 0
    low, high = min(left, shifted[0]), max(right, shifted[1])
    table = Person._meta.db_table

    def moved(column: str) -> str:
        return (
            f"CASE WHEN {column} BETWEEN %s AND %s THEN {column} + %s "
            f"WHEN {column} BETWEEN %s AND %s THEN {column} + %s ELSE {column} END"
        )

    params = [left, right, offset, shifted[0], shifted[1], by]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET tree_left = {moved('tree_left')}, tree_right = {moved('tree_right')}, "
            "tree_depth = CASE WHEN tree_left BETWEEN %s AND %s THEN tree_depth + %s ELSE tree_depth END "
            "WHERE tree_right >= %s AND tree_left <= %s",
            [*params, *params, left, right, new_depth - depth, low, high],
        )
        return cursor.rowcount


TREE = ("tree_left", "tree_right", "tree_depth")
