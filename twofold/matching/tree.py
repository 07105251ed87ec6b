"""The management tree as Euler-tour intervals: "same reporting chain" in O(1) per pair, vectorised.

Every person gets a preorder number ``tin`` and ``tout = tin + size of their subtree``. Person B is
in A's organisation (A is B's manager, manager's manager, ...) exactly when
``tin[A] <= tin[B] < tout[A]``; two people are in the same reporting chain when either is in the
other's organisation. All construction is vectorised over tree levels (pointer jumping for the
depths), so a 300,000-person organisation takes well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from twofold.matching.arguments import whole_numbers

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class TreeError(ValueError):
    """The manager relation is not a forest; ``problems`` names every offender. ``cycles`` lists
    each loop of managers as the people in it (employee ids, or indices for
    :meth:`ReportingTree.from_parents`), in reporting order, so callers can point at their rows."""

    def __init__(self, problems: list[str], cycles: list[tuple[str, ...]] | None = None):
        self.problems = problems
        self.cycles = cycles or []
        super().__init__("; ".join(problems))


class _Cycles(Exception):
    def __init__(self, cycles: list[list[int]]):
        self.cycles = cycles


def _cycle_error(cycles: list[list[int]], names: Sequence[str]) -> TreeError:
    """One problem per loop, naming everyone in it: "... 'a' reports to 'c', 'c' to 'b', 'b' to 'a'"."""
    named = [tuple(str(names[node]) for node in cycle) for cycle in cycles]
    problems = []
    for cycle in named:
        steps = [f"{cycle[0]!r} reports to {cycle[1 % len(cycle)]!r}"]
        steps += [f"{person!r} to {cycle[(at + 1) % len(cycle)]!r}" for at, person in enumerate(cycle) if at]
        problems.append(f"the manager chain of {cycle[0]!r} loops back on itself: {', '.join(steps)}")
    return TreeError(problems, named)


@dataclass(frozen=True)
class ReportingTree:
    """A forest over ``n`` people: ``parent[i]`` is i's manager (-1 for none)."""

    parent: IntArray
    depth: IntArray
    tin: IntArray
    tout: IntArray

    @property
    def size(self) -> int:
        return len(self.parent)

    @classmethod
    def from_parents(cls, parent: NDArray[np.integer], order: NDArray[np.integer] | None = None) -> ReportingTree:
        """Build from a parent array (-1 = no manager). ``order`` ranks siblings (default: index).

        Raises :class:`TreeError` naming a person on each cycle. O(n log n).
        """
        parents = whole_numbers(parent, np.size(parent), "parent", per="person", minimum=-1)
        if order is not None:
            order = whole_numbers(order, len(parents), "order", minimum=None)
        try:
            return cls._build(parents, order)
        except _Cycles as cycles:
            raise _cycle_error(cycles.cycles, [str(node) for node in range(len(parents))]) from None

    @classmethod
    def _build(cls, parent: IntArray, order: NDArray[np.integer] | None) -> ReportingTree:
        n = len(parent)
        if n and (parent.min() < -1 or parent.max() >= n):
            raise TreeError(["a manager index is out of range"])
        depth = _depths(parent)
        size = np.ones(n, dtype=np.int64)
        levels = _by_depth(depth)
        for nodes in reversed(levels[1:]):
            np.add.at(size, parent[nodes], size[nodes])
        rank = np.arange(n) if order is None else np.asarray(order)
        tin = np.zeros(n, dtype=np.int64)
        for level, nodes in enumerate(levels):
            if len(nodes) == 0:
                continue
            # Siblings in ``order``; each child starts after its parent and its earlier siblings.
            group = parent[nodes] if level else np.zeros(len(nodes), dtype=np.int64)
            sort = np.lexsort((nodes, rank[nodes], group))
            nodes, group = nodes[sort], group[sort]
            before = np.cumsum(size[nodes]) - size[nodes]
            first = np.searchsorted(group, group, side="left")
            offset = before - before[first]
            tin[nodes] = offset if level == 0 else tin[group] + 1 + offset
        return cls(parent=parent, depth=depth, tin=tin, tout=tin + size)

    @classmethod
    def from_managers(cls, ids: Sequence[str], manager_ids: Sequence[str | None]) -> ReportingTree:
        """Build from employee ids and their managers' ids ("" or None = no manager).

        Raises :class:`TreeError` for duplicate ids, unknown managers and cycles, naming each.
        Siblings are ordered by employee id so the numbering depends only on the tree.
        """
        if len(ids) != len(manager_ids):
            raise TreeError([f"ids ({len(ids)}) and manager_ids ({len(manager_ids)}) must have one entry per person"])
        # Comprehensions, with the loops that name offenders run only when there are some: a
        # 300,000-person organisation builds in a fraction of a second.
        index = {key: position for position, key in enumerate(ids)}
        problems: list[str] = []
        if len(index) != len(ids):
            seen: set[str] = set()
            for key in ids:
                if key in seen:
                    problems.append(f"employee id '{key}' appears more than once")
                seen.add(key)
        parent = np.fromiter(
            (index.get(manager, -2) if manager else -1 for manager in manager_ids), dtype=np.int64, count=len(ids)
        )
        for position in np.flatnonzero(parent == -2).tolist():
            problems.append(f"'{ids[position]}' has manager '{manager_ids[position]}', who is not in the file")
        if problems:
            raise TreeError(problems)
        # Siblings by employee id: the rank of each id in sorted order (fixed-width text sorts in C).
        order = np.empty(len(ids), dtype=np.int64)
        order[np.argsort(np.asarray(ids, dtype=str), kind="stable")] = np.arange(len(ids))
        try:
            return cls._build(parent, order)
        except _Cycles as cycles:
            raise _cycle_error(cycles.cycles, ids) from None

    def contains(self, manager: NDArray[np.integer], person: NDArray[np.integer]) -> BoolArray:
        """Whether ``person`` is in ``manager``'s organisation (or is ``manager``), elementwise."""
        manager = np.asarray(manager)
        person = np.asarray(person)
        valid = (manager >= 0) & (person >= 0)
        m, p = np.where(valid, manager, 0), np.where(valid, person, 0)
        return valid & (self.tin[m] <= self.tin[p]) & (self.tin[p] < self.tout[m])

    def same_chain(self, a: NDArray[np.integer], b: NDArray[np.integer]) -> BoolArray:
        """Whether ``a`` and ``b`` are in one reporting chain (either manages the other), elementwise.

        O(1) per pair: two interval tests. Index -1 (not in the tree) is in nobody's chain.
        """
        return self.contains(a, b) | self.contains(b, a)

    def ancestor_pairs(self, nodes: NDArray[np.integer]) -> tuple[IntArray, IntArray]:
        """All (position in ``nodes``, ancestor) pairs, walking up level by level. O(sum of depths)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        position = np.flatnonzero(nodes >= 0)
        current = self.parent[nodes[position]]
        out_pos: list[IntArray] = []
        out_anc: list[IntArray] = []
        while len(position):
            keep = current >= 0
            position, current = position[keep], current[keep]
            out_pos.append(position)
            out_anc.append(current)
            current = self.parent[current]
        if not out_pos:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_pos), np.concatenate(out_anc)

    def chain_pairs(self, a_nodes: NDArray[np.integer], b_nodes: NDArray[np.integer]) -> tuple[IntArray, IntArray]:
        """Every (position in ``a_nodes``, position in ``b_nodes``) pair in one reporting chain.

        Walks each person's managers upwards and keeps those on the other list, so the cost is the
        sum of the depths, not the product of the list lengths. Each list names a node at most once.
        """
        a_nodes = np.asarray(a_nodes, dtype=np.int64)
        b_nodes = np.asarray(b_nodes, dtype=np.int64)
        a_at = np.full(self.size + 1, -1, dtype=np.int64)
        b_at = np.full(self.size + 1, -1, dtype=np.int64)
        a_at[np.where(a_nodes >= 0, a_nodes, self.size)] = np.arange(len(a_nodes))
        b_at[np.where(b_nodes >= 0, b_nodes, self.size)] = np.arange(len(b_nodes))
        a_at[self.size] = b_at[self.size] = -1
        pos_a, manager = self.ancestor_pairs(a_nodes)
        pos_b_of_manager = b_at[manager]
        pos_b, manager_b = self.ancestor_pairs(b_nodes)
        pos_a_of_manager = a_at[manager_b]
        same_b = b_at[np.where(a_nodes >= 0, a_nodes, self.size)]
        same = np.flatnonzero(same_b >= 0)
        first = np.concatenate([pos_a[pos_b_of_manager >= 0], pos_a_of_manager[pos_a_of_manager >= 0], same])
        second = np.concatenate([pos_b_of_manager[pos_b_of_manager >= 0], pos_b[pos_a_of_manager >= 0], same_b[same]])
        return first, second

    def subtree_size(self, nodes: NDArray[np.integer]) -> IntArray:
        """Number of people in each node's organisation, the node included (0 for index -1)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        safe = np.where(nodes >= 0, nodes, 0)
        return np.where(nodes >= 0, self.tout[safe] - self.tin[safe], 0)


def _depths(parent: IntArray) -> IntArray:
    """Distance to the root by pointer jumping: O(n log depth). Raises on cycles."""
    n = len(parent)
    depth = (parent >= 0).astype(np.int64)
    jump = parent.copy()
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))) + 2)):
        active = np.flatnonzero(jump >= 0)
        if len(active) == 0:
            return depth
        target = jump[active]
        depth[active] = depth[active] + depth[target]
        jump[active] = jump[target]
    raise _Cycles(_cycle_members(parent, np.flatnonzero(jump >= 0)))


def _cycle_members(parent: IntArray, stuck: IntArray) -> list[list[int]]:
    """Every cycle among nodes whose chain never reaches a root, each in reporting order starting
    from its smallest node (a person whose chain only runs *into* a loop is not in it)."""
    seen: set[int] = set()
    cycles: list[list[int]] = []
    for start in stuck.tolist():
        node = start
        path: dict[int, int] = {}
        while node >= 0 and node not in path and node not in seen:
            path[node] = len(path)
            node = int(parent[node])
        if node >= 0 and node in path:
            cycle = [key for key, step in path.items() if step >= path[node]]
            first = cycle.index(min(cycle))
            cycles.append(cycle[first:] + cycle[:first])
        seen.update(path)
    return sorted(cycles)


def _by_depth(depth: IntArray) -> list[IntArray]:
    if len(depth) == 0:
        return []
    order = np.argsort(depth, kind="stable")
    bounds = np.searchsorted(depth[order], np.arange(int(depth.max()) + 2))
    return [order[bounds[d] : bounds[d + 1]].astype(np.int64) for d in range(int(depth.max()) + 1)]
