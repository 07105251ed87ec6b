"""The management tree as materialized paths.

Each person stores the ids of their managers from the top down, then their own, as
``/12/345/6789/`` (``tree_path``), and how many managers they have (``tree_depth``). Everyone below
B has a path that starts with B's: with an index that serves prefix searches (``text_pattern_ops``
on PostgreSQL, the range of :func:`subtree_q` on SQLite) "everyone under B" is one index range and
"is A in B's reporting chain" is one string comparison. Moving a person rewrites their own path and
those of the people under them, nobody else's; a new person writes only their own row.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from django.db import connection
from django.db.models import Q

Key = TypeVar("Key", bound=Hashable)

SEPARATOR = "/"


def path_of(manager_path: str | None, pk: int) -> str:
    """The path of person ``pk`` under a manager whose path is ``manager_path`` (None: a root)."""
    return f"{manager_path or SEPARATOR}{pk}{SEPARATOR}"


def path_depth(path: str) -> int:
    """How many managers the person at ``path`` has."""
    return path.count(SEPARATOR) - 2


def path_ids(path: str) -> list[int]:
    """The ids along ``path``, from the top down to the person themself."""
    return [int(part) for part in path.strip(SEPARATOR).split(SEPARATOR) if part]


def path_is_above(upper: str, lower: str) -> bool:
    """True when the person at ``lower`` is somewhere below the one at ``upper``."""
    return bool(upper) and lower != upper and lower.startswith(upper)


def subtree_q(path: str, *, field: str = "tree_path") -> Q:
    """Everyone whose path starts with ``path`` (the person there, and everyone below them).

    PostgreSQL turns ``LIKE 'prefix%'`` into a range over the ``text_pattern_ops`` index. SQLite
    plans ``LIKE`` with an index only for case-insensitive collations, so there the same set is
    asked as a range: paths hold digits and ``/`` only, and ``0`` is the character after ``/``.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": path})
    return Q(**{f"{field}__gte": path, f"{field}__lt": path[:-1] + "0"})


def tree_paths(parents: Mapping[Key, Key | None], ids: Mapping[Key, int]) -> dict[Key, str]:
    """The path of every key of a forest given as child → parent, with ``ids`` naming each key.

    A parent that is ``None`` or not itself a key makes a root. The input must be acyclic (the
    import checks that first); members of a cycle are never reached from a root and are left out.
    O(n) for the walk.
    """
    children: dict[Key | None, list[Key]] = {}
    for child, parent in parents.items():
        if parent is not None and parent not in parents:
            parent = None
        children.setdefault(parent, []).append(child)
    paths: dict[Key, str] = {}
    stack: list[Key] = []
    for root in children.get(None, []):
        paths[root] = path_of(None, ids[root])
        stack.append(root)
    while stack:
        node = stack.pop()
        for child in children.get(node, ()):
            paths[child] = path_of(paths[node], ids[child])
            stack.append(child)
    return paths
