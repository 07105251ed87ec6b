"""The assignment primitive against SciPy, an exact MIP and the OR-Library optima."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sps
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

from twofold.matching import assign

# OR-Library instances shipped with the tests (source and terms: data/orlib/README.md).
ORLIB = Path(__file__).parent / "data" / "orlib"


def reference(scores: np.ndarray) -> tuple[int, float]:
    """Most pairs, then the best total, by SciPy on a matrix where allowed pairs earn a bonus
    larger than any difference in total score."""
    allowed = ~np.isnan(scores)
    finite = scores[allowed]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    bonus = (min(scores.shape) + 1) * (spread + 1)
    weights = np.where(allowed, np.nan_to_num(scores) + bonus, -(10**9) * (bonus + 1))
    rows, cols = linear_sum_assignment(weights, maximize=True)
    ok = allowed[rows, cols]
    return int(ok.sum()), float(scores[rows, cols][ok].sum())


def random_instance(rng: np.random.Generator) -> np.ndarray:
    n_left, n_right = int(rng.integers(1, 30)), int(rng.integers(1, 30))
    if rng.random() < 0.5:
        scores = rng.integers(0, 4, size=(n_left, n_right)).astype(float)  # many ties
    else:
        scores = rng.normal(size=(n_left, n_right))
    scores[rng.random((n_left, n_right)) < rng.uniform(0, 0.8)] = np.nan
    return scores


def test_equals_scipy_on_random_dense_instances_with_forbidden_pairs_and_ties():
    rng = np.random.default_rng(1)
    for _ in range(300):
        scores = random_instance(rng)
        count, total = reference(scores)
        result = assign(scores)
        assert len(result.pairs) == count
        assert result.total == pytest.approx(total, abs=len(result.pairs) * result.stats.quantum + 1e-9)
        assert not np.isnan(scores[result.pairs[:, 0], result.pairs[:, 1]]).any()
        assert result.stats.certified


def test_candidate_search_equals_scipy_and_proves_it():
    rng = np.random.default_rng(2)
    for shape in ((300, 300), (250, 400), (400, 220)):
        scores = rng.integers(0, 6, size=shape).astype(float) + 5.0 * (rng.random(shape[1]) < 0.05)
        scores[rng.random(shape) < 0.3] = np.nan
        count, total = reference(scores)
        result = assign(scores, candidates=6)
        assert result.stats.method == "candidates"
        assert result.stats.certified and result.stats.bound == 0
        assert (len(result.pairs), result.total) == (count, total)


def test_integer_scores_are_solved_exactly_and_pairs_are_sorted_and_unique():
    rng = np.random.default_rng(3)
    scores = rng.integers(-5, 20, size=(40, 55)).astype(float)
    result = assign(scores)
    assert result.stats.quantum == 1.0
    assert result.total == reference(scores)[1]
    assert np.array_equal(result.pairs, np.unique(result.pairs, axis=0))
    assert len(set(result.pairs[:, 0])) == len(result.pairs) == len(set(result.pairs[:, 1]))


def test_sparse_input_absent_is_forbidden_and_a_stored_zero_is_allowed():
    matrix = sps.coo_array((np.array([0.0, 5.0, 1.0]), (np.array([0, 1, 1]), np.array([0, 0, 1]))), shape=(2, 2))
    result = assign(matrix)
    # (0,0) scores 0 but is allowed: taking it and (1,1) fills two seats, which beats (1,0) alone.
    assert result.pairs.tolist() == [[0, 0], [1, 1]]
    assert result.total == 1.0


def test_maximize_matched_off_prefers_one_good_pair_to_two_poor_ones():
    scores = np.array([[10.0, 1.0], [1.0, np.nan]])
    assert assign(scores).pairs.tolist() == [[0, 1], [1, 0]]
    free = assign(scores, maximize_matched=False)
    assert free.pairs.tolist() == [[0, 0]] and free.total == 10.0


def test_a_pair_scoring_below_zero_is_still_taken_to_fill_a_seat_unless_switched_off():
    scores = np.array([[-3.0]])
    assert len(assign(scores).pairs) == 1
    assert len(assign(scores, maximize_matched=False).pairs) == 0


def mip_optimum(scores: np.ndarray, left_cap: np.ndarray, right_cap: np.ndarray) -> tuple[int, float]:
    """Most pairs, then best total, by two integer programs (HiGHS) over the allowed pairs."""
    rows, cols = np.nonzero(~np.isnan(scores))
    n = len(rows)
    if n == 0:
        return 0, 0.0
    a_left = sps.csr_array((np.ones(n), (rows, np.arange(n))), shape=(scores.shape[0], n))
    a_right = sps.csr_array((np.ones(n), (cols, np.arange(n))), shape=(scores.shape[1], n))
    seats = [LinearConstraint(a_left, 0, left_cap), LinearConstraint(a_right, 0, right_cap)]
    options = {"integrality": np.ones(n), "bounds": Bounds(0, 1)}
    most = milp(-np.ones(n), constraints=seats, **options)
    count = round(-most.fun)
    keep_count = LinearConstraint(np.ones((1, n)), count, count)
    best = milp(-scores[rows, cols], constraints=[*seats, keep_count], **options)
    return count, float(-best.fun)


def test_capacities_equal_the_exact_integer_programme():
    rng = np.random.default_rng(4)
    for _ in range(60):
        n_left, n_right = int(rng.integers(1, 7)), int(rng.integers(1, 9))
        scores = rng.integers(0, 5, size=(n_left, n_right)).astype(float)
        scores[rng.random((n_left, n_right)) < 0.35] = np.nan
        left_cap = rng.integers(0, 4, size=n_left)
        right_cap = rng.integers(0, 3, size=n_right)
        result = assign(scores, left_capacity=left_cap, right_capacity=right_cap)
        assert (len(result.pairs), result.total) == mip_optimum(scores, left_cap, right_cap)
        assert np.all(np.bincount(result.pairs[:, 0], minlength=n_left) <= left_cap)
        assert np.all(np.bincount(result.pairs[:, 1], minlength=n_right) <= right_cap)


def test_equal_input_gives_equal_output():
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 3, size=(120, 150)).astype(float)
    first, second = assign(scores, candidates=5), assign(scores.copy(), candidates=5)
    assert np.array_equal(first.pairs, second.pairs)


@pytest.mark.parametrize(
    ("scores", "kwargs", "message"),
    [
        (np.zeros(3), {}, "2-D"),
        (np.array([[np.inf]]), {}, "finite"),
        (np.zeros((2, 2)), {"left_capacity": [1, 2, 3]}, "one entry per row"),
        (np.zeros((2, 2)), {"right_capacity": [1, -1]}, "whole numbers"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(scores, kwargs, message):
    with pytest.raises(ValueError, match=message):
        assign(scores, **kwargs)


def orlib(name: str) -> tuple[np.ndarray | sps.coo_array, int]:
    with gzip.open(ORLIB / f"{name}.txt.gz") as handle:
        numbers = np.array(handle.read().split(), dtype=np.int64)
    optima = dict(line.split() for line in (ORLIB / "optima.txt").read_text().splitlines()[1:] if line.strip())
    n = int(numbers[0])
    if name.startswith("assignp"):
        triples = numbers[1:].reshape(-1, 3)
        costs = sps.coo_array((-triples[:, 2].astype(float), (triples[:, 0] - 1, triples[:, 1] - 1)), shape=(n, n))
        return costs, int(optima[name])
    return -numbers[1:].reshape(n, n).astype(float), int(optima[name])


@pytest.mark.parametrize(
    "name",
    [f"assign{n}" for n in range(100, 900, 100)] + ["assignp800", "assignp1500", "assignp3000", "assignp5000"],
)
def test_or_library_published_optima(name):
    costs, optimum = orlib(name)
    result = assign(costs, candidates=0)  # the whole graph at once: the exact solver itself
    assert len(result.pairs) == costs.shape[0]
    assert -result.total == optimum


@pytest.mark.parametrize("name", ["assign600", "assign800"])
def test_or_library_optima_through_the_candidate_search(name):
    costs, optimum = orlib(name)
    result = assign(costs, candidates=24)  # the candidate search and its dual certificate
    assert result.stats.method == "candidates" and result.stats.certified
    assert -result.total == optimum
    # By default, one seat each and at most 1,000,000 pairs: SciPy's dense solver, exact as well.
    default = assign(costs)
    expected = "dense" if costs.size <= 1_000_000 and min(costs.shape) <= 2_000 else "candidates"
    assert default.stats.method == expected and default.stats.certified
    assert -default.total == optimum
