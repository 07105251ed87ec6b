"""Management-tree queries against brute force, in a constant number of queries."""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import OPERATOR, PersonFactory
from twofold.people.models import Person
from twofold.people.selectors import people_below, people_share_reporting_chain, person_reporting_chain
from twofold.people.services import ManagerCycle, people_tree_rebuild, person_set_manager
from twofold.people.tree import path_depth, path_ids, path_is_above, tree_paths


def brute_ancestors(parents: dict[int, int | None], node: int) -> list[int]:
    chain = []
    parent = parents[node]
    while parent is not None:
        chain.append(parent)
        parent = parents[parent]
    return chain


@st.composite
def forests(draw) -> dict[int, int | None]:  # type: ignore[no-untyped-def]
    size = draw(st.integers(min_value=1, max_value=60))
    parents: dict[int, int | None] = {0: None}
    for node in range(1, size):
        # Each node's parent is an earlier node or nobody, so the graph is always a forest.
        parents[node] = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=node - 1)))
    order = draw(st.permutations(list(parents)))
    return {node: parents[node] for node in order}


@given(forests())
@settings(max_examples=200, deadline=None)
def test_paths_answer_ancestry_like_walking_up(parents) -> None:  # type: ignore[no-untyped-def]
    # Ids that are prefixes of one another (1, 10, 100…) must not pass for ancestors.
    ids = {node: int("1" + "0" * node) if node % 2 else int("1" * (node + 1)) for node in parents}
    paths = tree_paths(parents, ids)
    assert set(paths) == set(parents)
    for a in parents:
        ancestors = brute_ancestors(parents, a)
        assert path_depth(paths[a]) == len(ancestors)
        assert path_ids(paths[a]) == [ids[node] for node in reversed(ancestors)] + [ids[a]]
        for b in parents:
            assert path_is_above(paths[b], paths[a]) == (b in ancestors)


def test_members_of_a_cycle_get_no_path() -> None:
    assert set(tree_paths({"a": None, "b": "c", "c": "b", "d": "a"}, {"a": 1, "b": 2, "c": 3, "d": 4})) == {"a", "d"}


@pytest.fixture
def organisation(db) -> dict[int, int | None]:  # type: ignore[no-untyped-def]
    call_command("demo_org", people=400, seed=3, as_of=date(2026, 1, 1))
    return dict(Person.objects.values_list("pk", "manager_id"))


def test_chain_and_subtree_queries_match_brute_force(
    organisation, django_assert_num_queries, django_assert_max_num_queries
) -> None:
    rng = random.Random(5)
    people = {person.pk: person for person in Person.objects.all()}
    children: dict[int | None, list[int]] = {}
    for pk, manager in organisation.items():
        children.setdefault(manager, []).append(pk)

    def brute_below(pk: int) -> set[int]:
        found, stack = set(), list(children.get(pk, []))
        while stack:
            node = stack.pop()
            found.add(node)
            stack.extend(children.get(node, []))
        return found

    for pk in rng.sample(sorted(people), 40):
        person = people[pk]
        with django_assert_max_num_queries(1):  # none for someone at the top: their path says so
            chain = [manager.pk for manager in person_reporting_chain(person)]
        assert chain == list(reversed(brute_ancestors(organisation, pk)))
        with django_assert_num_queries(1):
            below = set(people_below(person).values_list("pk", flat=True))
        assert below == brute_below(pk)
        assert person.report_count == len(below)
    pks = sorted(people)
    for _ in range(300):
        a, b = rng.sample(pks, 2)
        expected = a in brute_ancestors(organisation, b) or b in brute_ancestors(organisation, a)
        with django_assert_num_queries(1):
            assert people_share_reporting_chain(a, b) == expected
        assert people[a].shares_reporting_chain(people[b]) == expected


def test_moving_a_person_moves_their_subtree(cast) -> None:
    # Ben moves from Sales to under Lena in Engineering: now in Victor's chain, no longer in Vera's.
    person_set_manager(actor=OPERATOR, person=cast.ben, manager=cast.lead_tech)
    vp_tech = Person.objects.get(pk=cast.vp_tech.pk)
    vp_sales = Person.objects.get(pk=cast.vp_sales.pk)
    ben = Person.objects.get(pk=cast.ben.pk)
    assert vp_tech.manages_or_is_above(ben)
    assert not vp_sales.manages_or_is_above(ben)
    assert [p.employee_id for p in person_reporting_chain(ben)] == ["C1", "V1", "L1"]


def test_refuses_a_manager_from_below(cast) -> None:
    with pytest.raises(ManagerCycle, match="Ana Junior reports to Victor Tech"):
        person_set_manager(actor=OPERATOR, person=cast.vp_tech, manager=cast.ana)
    assert Person.objects.get(pk=cast.vp_tech.pk).manager_id == cast.ceo.pk


def test_rebuild_is_idempotent(cast) -> None:
    assert people_tree_rebuild() == 0
    newcomer = PersonFactory(manager=cast.ana)
    assert people_tree_rebuild() > 0
    newcomer.refresh_from_db()
    assert [p.pk for p in person_reporting_chain(newcomer)] == [
        cast.ceo.pk,
        cast.vp_tech.pk,
        cast.lead_tech.pk,
        cast.ana.pk,
    ]
