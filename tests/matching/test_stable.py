"""Deferred acceptance against textbook answers and against every stable matching found by brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from twofold.matching import blocking_pairs, is_stable, preferences_from_scores, stable_match

# Gale and Shapley's cyclic 3 x 3 example: every man's first choice ranks him last.
MEN = [[0, 1, 2], [1, 2, 0], [2, 0, 1]]
WOMEN = [[1, 2, 0], [2, 0, 1], [0, 1, 2]]


def test_gale_shapley_example_gives_each_proposing_side_its_first_choices():
    assert stable_match(MEN, WOMEN).pairs.tolist() == [[0, 0], [1, 1], [2, 2]]
    assert stable_match(MEN, WOMEN, proposing="right").pairs.tolist() == [[0, 2], [1, 0], [2, 1]]


def test_a_textbook_hospitals_residents_instance():
    # Two hospitals with two and one seats; four residents (Gusfield & Irving style). Residents
    # propose: r0 and r1 get h0, r2 gets h1, r3 is left out.
    residents = [[0, 1], [0, 1], [1, 0], [0]]
    hospitals = [[2, 0, 1, 3], [0, 2, 1]]
    result = stable_match(residents, hospitals, right_capacity=[2, 1])
    assert result.pairs.tolist() == [[0, 0], [1, 0], [2, 1]]
    assert is_stable(result.pairs, residents, hospitals, right_capacity=[2, 1])


def all_stable(left_prefs, right_prefs, left_cap, right_cap):
    """Every stable matching, by enumerating all sets of mutually acceptable pairs."""
    acceptable = [(p, q) for p, prefs in enumerate(left_prefs) for q in prefs if p in right_prefs[q]]
    found = []
    for size in range(len(acceptable) + 1):
        for subset in itertools.combinations(acceptable, size):
            left_load = np.bincount([p for p, _ in subset], minlength=len(left_prefs))
            right_load = np.bincount([q for _, q in subset], minlength=len(right_prefs))
            if np.any(left_load > left_cap) or np.any(right_load > right_cap):
                continue
            if not blocking_pairs(subset, left_prefs, right_prefs, left_capacity=left_cap, right_capacity=right_cap):
                found.append(set(subset))
    return found


def random_preferences(rng, n_from, n_to):
    prefs = []
    for _ in range(n_from):
        listed = [int(x) for x in rng.permutation(n_to)[: rng.integers(1, n_to + 1)]]
        prefs.append(listed)
    return prefs


def test_result_is_stable_and_best_for_the_proposers_among_all_stable_matchings():
    rng = np.random.default_rng(6)
    for _ in range(60):
        n_left, n_right = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        left_prefs, right_prefs = random_preferences(rng, n_left, n_right), random_preferences(rng, n_right, n_left)
        left_cap = np.ones(n_left, dtype=int)
        right_cap = rng.integers(1, 3, size=n_right)
        stable = all_stable(left_prefs, right_prefs, left_cap, right_cap)
        result = stable_match(left_prefs, right_prefs, left_capacity=left_cap, right_capacity=right_cap)
        mine = {tuple(pair) for pair in result.pairs.tolist()}
        assert mine in stable
        rank = [{q: r for r, q in enumerate(prefs)} for prefs in left_prefs]
        for other in stable:
            for p in range(n_left):
                mine_p = [rank[p][q] for q_p, q in mine if q_p == p] or [len(rank[p])]
                other_p = [rank[p][q] for q_p, q in other if q_p == p] or [len(rank[p])]
                assert mine_p[0] <= other_p[0]


def test_random_large_instances_are_stable_with_seats_on_both_sides():
    rng = np.random.default_rng(7)
    for proposing in ("left", "right"):
        scores = rng.integers(0, 10, size=(60, 80)).astype(float)
        scores[rng.random(scores.shape) < 0.3] = np.nan
        left_prefs, right_prefs = preferences_from_scores(scores)
        left_cap, right_cap = rng.integers(1, 4, size=60), rng.integers(1, 3, size=80)
        result = stable_match(
            left_prefs, right_prefs, left_capacity=left_cap, right_capacity=right_cap, proposing=proposing
        )
        assert is_stable(result.pairs, left_prefs, right_prefs, left_capacity=left_cap, right_capacity=right_cap)
        assert np.all(np.bincount(result.pairs[:, 0], minlength=60) <= left_cap)
        assert np.all(np.bincount(result.pairs[:, 1], minlength=80) <= right_cap)
        assert not np.isnan(scores[result.pairs[:, 0], result.pairs[:, 1]]).any()


def test_blocking_pairs_finds_the_pairs_that_would_rather_be_together():
    # Man 1 prefers woman 2 (free) to woman 0; man 2 and woman 2 are both free; woman 1 prefers
    # man 2 to man 0. Man 0 would rather have woman 0, but she prefers man 1: not blocking.
    assert set(blocking_pairs([[0, 1], [1, 0]], MEN, WOMEN)) == {(1, 2), (2, 2), (2, 1)}


def test_preferences_from_scores_break_ties_by_index_and_drop_forbidden_pairs():
    left, right = preferences_from_scores([[1.0, 1.0, np.nan], [2.0, 0.0, 3.0]])
    assert left == [[0, 1], [2, 0, 1]]
    assert right == [[1, 0], [0, 1], [1]]


def test_bad_preferences_are_refused():
    with pytest.raises(ValueError, match="twice"):
        stable_match([[0, 0]], [[0]])
    with pytest.raises(ValueError, match="out of range"):
        stable_match([[3]], [[0]])
