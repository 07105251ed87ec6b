"""Nested-set intervals of the management tree.

A depth-first walk numbers each person on the way down (``left``) and on the way back up
(``right``); everyone below a person then has ``left`` strictly inside that person's interval. With
an index on ``tree_left`` "everyone under B" is one range query and "is A in B's reporting chain" is
two integer comparisons, at any size. Children are walked in employee-id order so that the numbering
depends only on the tree, never on insertion order.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)


def nested_set_intervals(
    parents: Mapping[Key, Key | None], *, order: Mapping[Key, str] | None = None
) -> dict[Key, tuple[int, int, int]]:
    """``(left, right, depth)`` for every key of a forest given as child → parent.

    A parent that is ``None`` or not itself a key makes a root. ``order`` gives the sort key of
    siblings (default: the key itself). The input must be acyclic (the import checks that first);
    members of a cycle are never reached from a root and are left out. O(n log n) for the sort.
    """
    sort_key = order if order is not None else {key: str(key) for key in parents}
    children: dict[Key | None, list[Key]] = {}
    for child, parent in parents.items():
        if parent is not None and parent not in parents:
            parent = None
        children.setdefault(parent, []).append(child)
    for siblings in children.values():
        siblings.sort(key=lambda key: sort_key[key])
    intervals: dict[Key, tuple[int, int, int]] = {}
    counter = 0
    # Iterative walk: each stack entry is (node, depth, index of the next child to visit).
    for root in children.get(None, []):
        counter += 1
        lefts = {root: counter}
        stack: list[tuple[Key, int, int]] = [(root, 0, 0)]
        while stack:
            node, depth, next_child = stack[-1]
            kids = children.get(node, ())
            if next_child < len(kids):
                stack[-1] = (node, depth, next_child + 1)
                child = kids[next_child]
                counter += 1
                lefts[child] = counter
                stack.append((child, depth + 1, 0))
            else:
                stack.pop()
                counter += 1
                intervals[node] = (lefts.pop(node), counter, depth)
    return intervals
