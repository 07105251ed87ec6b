"""Rough input at every public entry point of the library is refused with a ValueError naming the
argument, never truncated, ignored or turned into an infinite total (issue 9, finding 6)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sps

from twofold.matching import (
    MatchProblem,
    PersonRecord,
    PolicyError,
    ReportingTree,
    RosterError,
    Side,
    TreeError,
    assign,
    blocking_pairs,
    build_problem,
    default_policy,
    policy_from_mapping,
    preferences_from_scores,
    rematch,
    roster_problems,
    stable_match,
)

SCORES = np.array([[3.0, 1.0], [1.0, 2.0]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"candidates": -3}, r"^candidates must be a whole number >= 0, not -3$"),
        ({"candidates": 2.5}, r"^candidates must be a whole number >= 0, not 2\.5$"),
        ({"candidates": True}, r"^candidates must be a whole number"),
        ({"left_capacity": "3"}, r"^left_capacity must hold whole numbers from 0 to .*, not text$"),
        ({"right_capacity": ["1", "2"]}, r"^right_capacity must hold whole numbers .*, not text$"),
        ({"left_capacity": [1.7, 1]}, r"^left_capacity must hold whole numbers .*; entry 0 is 1\.7"),
        ({"left_capacity": [1, np.nan]}, r"^left_capacity must hold whole numbers .*; entry 1 is nan"),
        ({"right_capacity": [1, 10**12]}, r"^right_capacity must hold whole numbers from 0 to 1,000,000,000"),
        ({"tolerance": -0.1}, r"^tolerance must be a number from 0 \(exact\) to below 1, not -0\.1$"),
        ({"tolerance": float("nan")}, r"^tolerance must be a number from 0 \(exact\) to below 1, not nan$"),
        ({"tolerance": 1.0}, r"^tolerance must be a number from 0"),
        ({"maximize_matched": "no"}, r"^maximize_matched must be True or False, not 'no'$"),
    ],
)
def test_finding_6_assign_refuses_each_bad_argument_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        assign(SCORES, **kwargs)


@pytest.mark.parametrize("make", [np.array, sps.csr_array])
def test_finding_6_scores_whose_total_would_be_infinite_are_refused(make):
    with pytest.raises(ValueError, match=r"^scores are too large: up to 3 pairs of scores up to 1e\+308"):
        assign(make(np.full((3, 3), 1e308)))
    # Large but summable scores are still solved, with a finite total.
    result = assign(make(np.full((3, 3), 1e306)))
    assert result.total == 3e306 and len(result.pairs) == 3


def test_finding_6_a_masked_entry_is_a_pair_that_is_not_allowed():
    masked = np.ma.masked_array(SCORES, mask=[[True, False], [False, False]])
    # Unmasked, (0, 0) + (1, 1) = 5 is best; with (0, 0) masked only (0, 1) + (1, 0) remains.
    assert assign(SCORES).pairs.tolist() == [[0, 0], [1, 1]]
    result = assign(masked)
    assert result.pairs.tolist() == [[0, 1], [1, 0]] and result.total == 2.0
    assert len(assign(np.ma.masked_all((2, 2)))) == 0
    assert preferences_from_scores(masked) == ([[1], [1, 0]], [[1], [1, 0]])


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ([["a", "b"]], r"^scores must hold real numbers \(NaN = pair not allowed\), not text$"),
        (np.array([[1 + 2j]]), r"^scores must hold real numbers .*complex128"),
        (np.zeros((2, 2, 2)), r"^scores must be a 2-D array .*, not 3-D$"),
        ([[object()]], r"^scores must hold real numbers .*not text or objects$"),
    ],
)
def test_scores_that_are_not_a_matrix_of_numbers_are_refused(scores, message):
    with pytest.raises(ValueError, match=message):
        assign(scores)


def test_finding_6_a_stable_matching_capacity_of_1_7_is_refused_not_read_as_1():
    prefs = [[0, 1], [0, 1]]
    with pytest.raises(ValueError, match=r"^left_capacity must hold whole numbers .*; entry 0 is 1\.7"):
        stable_match(prefs, prefs, left_capacity=[1.7, 1])
    with pytest.raises(ValueError, match=r"^right_capacity must hold whole numbers .*, not text$"):
        stable_match(prefs, prefs, right_capacity="2")
    with pytest.raises(ValueError, match=r"^left_capacity must hold whole numbers"):
        blocking_pairs([[0, 0]], prefs, prefs, left_capacity=0.5)


@pytest.mark.parametrize(
    ("left", "message"),
    [
        ([[0, 1.5]], r"^left_preferences\[0\] must hold whole-number indices, not 1\.5$"),
        ([["a"]], r"^left_preferences\[0\] must hold whole-number indices, not 'a'$"),
        ([[2]], r"^left_preferences\[0\] names someone out of range: 2 \(there are 2\)$"),
        (["01"], r"^left_preferences\[0\] must be a list of indices, not '01'$"),
        ("01", r"^left_preferences must be a list"),
    ],
)
def test_rankings_must_name_people_by_whole_index(left, message):
    with pytest.raises(ValueError, match=message):
        stable_match(left, [[0], [0]])


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([[0, 5]], r"^pairs has an index out of range: \(0, 5\)"),
        ([[0.5, 0]], r"^pairs must hold whole numbers .*; entry 0 is 0\.5"),
        ([0, 1, 2], r"^pairs must be an \(m, 2\) array"),
    ],
)
def test_a_matching_checked_for_stability_must_be_pairs_of_indices(pairs, message):
    with pytest.raises(ValueError, match=message):
        blocking_pairs(pairs, [[0]], [[0]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": [5.5, 3]}, r"^level must hold whole numbers .*; entry 0 is 5\.5"),
        ({"level": ["5", "3"]}, r"^level must hold whole numbers .*, not text$"),
        ({"level": [1, 2], "capacity": [1.7, 1]}, r"^capacity must hold whole numbers .*; entry 0 is 1\.7"),
        ({"level": [1, 2], "capacity": "3"}, r"^capacity must hold whole numbers .*, not text$"),
        ({"level": [1, 2], "high_potential": ["no", "no"]}, r"^high_potential must hold True or False"),
        ({"level": [1, 2], "availability": [-1, 0]}, r"^availability must be one bitmask"),
        ({"level": [1, 2], "department": [0.5, 1]}, r"^department must hold whole numbers"),
    ],
)
def test_a_side_built_in_code_refuses_values_of_the_wrong_kind(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Side.create(["a", "b"], **kwargs)


def test_a_side_refuses_a_duplicate_id_and_a_problem_refuses_fractional_pairs():
    with pytest.raises(ValueError, match=r"^ids must be unique; 'a' appears more than once$"):
        Side.create(["a", "a"], level=[1, 2])
    side = Side.create(["a", "b"], level=[1, 2])
    with pytest.raises(ValueError, match=r"^do_not_pair must hold whole numbers .*; entry 0 is 0\.5"):
        MatchProblem(left=side, right=side, policy=default_policy("reverse-mentoring"), do_not_pair=[[0.5, 1]])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"optimality_tolerance": float("nan")}, r"^optimality_tolerance: must be a number from 0 \(exact\)"),
        ({"optimality_tolerance": -0.5}, r"^optimality_tolerance: must be a number from 0 \(exact\)"),
        ({"fairness_tolerance": float("nan")}, r"^fairness_tolerance: must be a number from 0 to 1"),
        ({"fairness_tolerance": -0.1}, r"^fairness_tolerance: must be a number from 0 to 1"),
        ({"min_level_gap": 1.5}, r"^min_level_gap: must be a whole number$"),
        ({"default_capacity": 10**12}, r"^default_capacity: must be at most 1,000,000,000$"),
        ({"maximize_matched": "no"}, r"^maximize_matched: must be true or false$"),
        ({"kind": "speed-dating"}, r"^kind: unknown programme kind 'speed-dating'"),
    ],
)
def test_a_policy_built_in_code_is_checked_like_a_policy_file(changes, message):
    with pytest.raises(PolicyError, match=message):
        replace(default_policy("sponsorship"), **changes)


def test_a_policy_that_is_not_a_table_of_tables_is_refused():
    with pytest.raises(PolicyError, match=r"^the policy must be a table of tables"):
        policy_from_mapping("sponsorship", ["weights"])  # type: ignore[arg-type]


def test_finding_6_a_manager_cycle_names_every_person_in_it():
    with pytest.raises(TreeError) as error:
        ReportingTree.from_managers(["a", "b", "c", "d", "e"], ["c", "a", "b", "e", "e"])
    assert error.value.problems == [
        "the manager chain of 'a' loops back on itself: 'a' reports to 'c', 'c' to 'b', 'b' to 'a'",
        "the manager chain of 'e' loops back on itself: 'e' reports to 'e'",
    ]
    assert error.value.cycles == [("a", "c", "b"), ("e",)]
    with pytest.raises(TreeError, match=r"'1' reports to '2', '2' to '1'"):
        ReportingTree.from_parents(np.array([-1, 2, 1]))


def test_a_tree_refuses_fractional_managers_and_lists_of_different_lengths():
    with pytest.raises(ValueError, match=r"^parent must hold whole numbers .*; entry 1 is 0\.5"):
        ReportingTree.from_parents([-1, 0.5])
    with pytest.raises(TreeError, match=r"ids \(2\) and manager_ids \(1\) must have one entry per person"):
        ReportingTree.from_managers(["a", "b"], [None])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"level": 8.5}, "level must be a whole number from -1,000,000,000 to 1,000,000,000, not 8.5"),
        ({"level": "8"}, "level must be a whole number from -1,000,000,000 to 1,000,000,000, not '8'"),
        ({"level": 10**20}, f"level must be a whole number from -1,000,000,000 to 1,000,000,000, not {10**20}"),
        ({"capacity": 1.7}, "capacity must be a whole number from 0 to 1,000,000,000, not 1.7"),
        ({"learn": {"AI": 5}}, "learn: proficiency of 'AI' must be 0, 1, 2, 3 or 4, not 5"),
        ({"availability": "mon-am"}, "availability must be a list of names, not the single value 'mon-am'"),
        ({"do_not_pair": "kid"}, "do_not_pair must be a list of names, not the single value 'kid'"),
        ({"high_potential": "no"}, "high_potential must be True or False, not 'no'"),
    ],
)
def test_records_with_values_of_the_wrong_kind_are_refused_by_employee_id(changes, message):
    boss = replace(PersonRecord("boss", 8, role="mentee"), **changes)
    with pytest.raises(RosterError) as error:
        build_problem([boss, PersonRecord("kid", 2, role="mentor")], default_policy("reverse-mentoring"))
    assert error.value.problems == [("boss", message)]


def test_rematch_refuses_a_kept_pair_that_is_not_a_pair_and_matches_ids_given_as_numbers():
    cast = [PersonRecord("1", 2, role="mentor"), PersonRecord("2", 8, role="mentee")]
    problem = build_problem(cast, default_policy("reverse-mentoring")).problem
    with pytest.raises(ValueError, match=r"^keep must hold \(left id, right id\) pairs, not '12'$"):
        rematch(problem, ["12"])
    result = rematch(problem, [(1, 2)])
    assert [(p.left_id, p.right_id, p.locked) for p in result.pairs] == [("1", "2", True)]
    assert result.dropped == ()


def test_a_value_out_of_range_is_named_with_the_roles_and_slots_and_too_many_slots_belong_to_nobody():
    slots = tuple(f"slot{number}" for number in range(65))
    records = [
        PersonRecord("availability", 10**20, role="mentee"),
        PersonRecord("m", 2, role="mentor", availability=slots),
        PersonRecord("x", 3, role="coach"),
    ]
    expected = ["availability", "x", None]  # the level, the role, the slots (of no one)
    assert [who for who, _ in roster_problems(records, "reverse-mentoring")] == expected
    with pytest.raises(RosterError) as error:
        build_problem(records, default_policy("reverse-mentoring"))
    assert [who for who, _ in error.value.problems] == expected
    # A value of the wrong shape (a single slot where a list belongs) leaves only the values to name.
    records[1] = replace(records[1], availability="slot1")
    assert [who for who, _ in roster_problems(records, "reverse-mentoring")] == ["availability", "m"]
