"""Moving one person (and everyone under them) in the tree of paths, and the locks that keep it whole.

The import rebuilds every path with :func:`~twofold.people.tree.tree_paths`; one person provisioned
by an identity provider needs only their own path and those below it rewritten: one ``UPDATE`` of
their subtree, through the path index. Nobody else's row is written.

Concurrent moves (PostgreSQL). A person's path changes only when they or one of their managers
moves. :func:`tree_lock` locks the row of each person about to move ``FOR NO KEY UPDATE``, and
``FOR SHARE`` the rows of all their managers and of the new manager with all theirs, re-reading the
paths after each round of locks until the locks cover the chains as they now are. Any other move
that would change a path this move reads or writes must lock, in a conflicting mode, a row on those
chains: moving one of our people's managers locks that manager for update; moving someone below a
person we move, or someone in under them, locks that person for share as one of the chain's
managers. So such moves run one after the other, each seeing the other's committed paths, and two
moves cannot make a cycle between them (each locks both people before its cycle check reads their
paths). Moves elsewhere in the tree share only locks for share on common managers (the top of the
tree) and do not wait for each other; nor do two new people under one manager. Rows are locked
from the top of the tree down, so a writer that waits holds no row below the one it waits for; two
writers could only wait for each other when each moves the other's manager-to-be under itself (a
cycle, which one of them would refuse anyway): PostgreSQL then ends one with a deadlock error.
A whole-directory import takes :func:`directory_write_lock` instead, which waits for those row
locks and holds off new ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from twofold.people.bulk import bulk_update_columns
from twofold.people.models import Person
from twofold.people.tree import path_depth, path_ids, path_of, subtree_q, tree_paths

TREE_FIELDS = ("tree_path", "tree_depth")


def directory_write_lock() -> None:
    """Serialise whole-directory writers of the tree until the transaction ends (PostgreSQL).

    A full import rewrites paths anywhere; readers are not blocked, one-person writers (who take
    row locks, :func:`tree_lock`) wait for it and it waits for them. Take it before locking any
    person's row. SQLite already lets one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Person._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def tree_lock(*, person_ids: Iterable[int] = (), manager_employee_ids: Iterable[str] = ()) -> None:
    """Lock, until the transaction ends, the rows of these people (``FOR NO KEY UPDATE``: they may
    move) and ``FOR SHARE`` those of their managers up to the top and of these managers (by employee
    id) and theirs (see the module's note). SQLite has one writer at a time and needs none of it."""
    if connection.vendor != "postgresql":
        return
    moving, manager_employee_ids = set(person_ids), set(manager_employee_ids)
    locked: set[int] = set()
    table = Person._meta.db_table
    while True:
        rows = Person.objects.filter(pk__in=moving) | Person.objects.filter(employee_id__in=manager_employee_ids)
        wanted = {
            pk: depth
            for path in rows.values_list("tree_path", flat=True).order_by()
            for depth, pk in enumerate(path_ids(path))
        }
        wanted.update((pk, wanted.get(pk, 0)) for pk in moving)
        if wanted.keys() <= locked:
            return
        # From the top down (then by id): a chain's rows are always taken in the same order, and a
        # manager's before anyone's under them, so two writers never hold each other's next row.
        with connection.cursor() as cursor:
            for pk in sorted(wanted.keys() - locked, key=lambda pk: (wanted[pk], pk)):
                mode = "NO KEY UPDATE" if pk in moving else "SHARE"
                cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR {mode}", [pk])
        locked |= wanted.keys()


def tree_place(person_pk: int) -> int:
    """Rewrite the paths of the person and everyone under them for the manager they now have;
    returns the rows written. Their manager must not be in their subtree (the import's cycle check
    comes first; this refuses rather than write one)."""
    person = Person.objects.values("manager_id", "tree_path").get(pk=person_pk)
    manager_path = None
    if person["manager_id"] is not None:
        manager_path = Person.objects.values_list("tree_path", flat=True).get(pk=person["manager_id"])
    old, new = person["tree_path"], path_of(manager_path, person_pk)
    if old == new:
        return 0
    if not old:  # never placed: nobody can be under them yet
        return Person.objects.filter(pk=person_pk).update(tree_path=new, tree_depth=path_depth(new))
    if manager_path is not None and manager_path.startswith(old):
        raise ValueError(f"person {person_pk} cannot move under someone who reports to them")
    return Person.objects.filter(subtree_q(old)).update(
        tree_path=Concat(Value(new), Substr("tree_path", len(old) + 1)),
        tree_depth=F("tree_depth") + (path_depth(new) - path_depth(old)),
    )


TREE = ("tree_path", "tree_depth")


def tree_rebuild() -> int:
    """Recompute everyone's path from the stored managers; returns how many people moved."""
    rows = list(Person.objects.values_list("pk", "manager_id", "tree_path").order_by())
    paths = tree_paths({pk: manager_id for pk, manager_id, _ in rows}, {pk: pk for pk, _, _ in rows})
    moved = [(pk, paths[pk], path_depth(paths[pk])) for pk, _, path in rows if pk in paths and path != paths[pk]]
    bulk_update_columns(Person, TREE_FIELDS, moved)
    return len(moved)
