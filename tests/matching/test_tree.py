"""Euler-tour intervals of the reporting tree against walking up the managers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.matching import ReportingTree, TreeError


def managers_of(parent: list[int], person: int) -> set[int]:
    chain = set()
    while parent[person] >= 0:
        person = parent[person]
        chain.add(person)
    return chain


forests = st.integers(1, 40).flatmap(
    lambda n: st.tuples(*[st.integers(-1, i - 1) if i else st.just(-1) for i in range(n)]).map(list)
)


@settings(max_examples=60, deadline=None)
@given(forests)
def test_same_chain_is_true_exactly_when_one_manages_the_other(parent):
    tree = ReportingTree.from_parents(np.array(parent))
    n = len(parent)
    a, b = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    got = tree.same_chain(a.ravel(), b.ravel()).reshape(n, n)
    for x in range(n):
        for y in range(n):
            expected = x == y or x in managers_of(parent, y) or y in managers_of(parent, x)
            assert got[x, y] == expected


@settings(max_examples=40, deadline=None)
@given(forests, st.data())
def test_chain_pairs_lists_every_pair_in_one_chain_and_no_other(parent, data):
    tree = ReportingTree.from_parents(np.array(parent))
    n = len(parent)
    a = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    b = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    first, second = tree.chain_pairs(np.array(a, dtype=np.int64), np.array(b, dtype=np.int64))
    got = set(zip(first.tolist(), second.tolist(), strict=True))
    expected = {
        (i, j)
        for i, x in enumerate(a)
        for j, y in enumerate(b)
        if x == y or x in managers_of(parent, y) or y in managers_of(parent, x)
    }
    assert got == expected


def test_people_outside_the_tree_are_in_nobodys_chain():
    tree = ReportingTree.from_parents(np.array([-1, 0]))
    assert not tree.same_chain(np.array([-1, 0]), np.array([0, -1])).any()


def test_subtree_size_counts_the_person_and_everyone_below():
    tree = ReportingTree.from_managers(["ceo", "cto", "dev", "cfo"], [None, "ceo", "cto", "ceo"])
    assert tree.subtree_size(np.array([0, 1, 2, 3])).tolist() == [4, 2, 1, 1]


def test_a_manager_cycle_is_named():
    with pytest.raises(TreeError, match="the manager chain of 'a' loops back on itself"):
        ReportingTree.from_managers(["a", "b", "c", "d"], ["c", "a", "b", None])


def test_unknown_managers_and_duplicate_ids_are_each_named():
    with pytest.raises(TreeError) as error:
        ReportingTree.from_managers(["a", "b", "a"], ["x", None, None])
    assert error.value.problems == [
        "employee id 'a' appears more than once",
        "'a' has manager 'x', who is not in the file",
    ]


def test_numbering_depends_on_the_tree_not_on_the_order_of_rows():
    ids, managers = ["b", "a", "c"], ["c", "c", None]
    first = ReportingTree.from_managers(ids, managers)
    second = ReportingTree.from_managers(ids[::-1], managers[::-1])
    assert first.tin.tolist() == second.tin.tolist()[::-1]
