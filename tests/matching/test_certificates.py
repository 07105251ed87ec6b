"""Every "proven optimal" is a proof: certificates checked against exact references.

The candidate search keeps a few pairs per person and proves the rest cannot do better. These tests
attack the proof where a review found it incomplete (issue 9, findings 1-3): the seat count, the
group minimums and the solver choice, on small random instances at k = 1, 2, 4 - where the
candidate graph misses most pairs - and on a block-structured instance built to defeat the price
sample.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

from benchmarks.adversarial import block_structured
from twofold.matching import assign, flow
from twofold.matching import candidates as candidate_search
from twofold.matching.assign import DenseSource
from twofold.matching.candidates import SearchSettings, search
from twofold.matching.flow import Transport, solve_transport

NAN = np.nan


def replicated_reference(scores: np.ndarray, left_capacity: np.ndarray) -> tuple[int, float]:
    """Most pairs, then the best total, by SciPy's dense solver: each row copied once per seat (every
    column has one seat, so no pair can be chosen twice) and a bonus on allowed pairs larger than
    any difference in total score; forbidden pairs cost far more than any bonus (big-M)."""
    rows = np.repeat(np.arange(scores.shape[0]), left_capacity)
    if len(rows) == 0 or scores.shape[1] == 0:
        return 0, 0.0
    copied = scores[rows]
    allowed = ~np.isnan(copied)
    finite = copied[allowed]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    bonus = (min(copied.shape) + 1) * (spread + 1)
    weights = np.where(allowed, np.nan_to_num(copied) + bonus, -(10.0**6) * (bonus + 1))
    r, c = linear_sum_assignment(weights, maximize=True)
    ok = allowed[r, c]
    return int(ok.sum()), float(copied[r, c][ok].sum())


@st.composite
def score_matrices(draw: st.DrawFn) -> np.ndarray:
    """Scores up to 16 x 16, NaN = forbidden: tied small integers or floats, sparse or dense.

    Half are sparse with a planted matching of the smaller side: long augmenting paths through
    tied pairs, where a few candidates per person miss most of what a maximum matching needs.
    """
    n_left, n_right = draw(st.integers(1, 16)), draw(st.integers(1, 16))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        scores = rng.integers(0, draw(st.integers(1, 3)), size=(n_left, n_right)).astype(float)
    else:
        scores = np.round(rng.normal(size=(n_left, n_right)), 3)
    if draw(st.booleans()):
        allowed = rng.random((n_left, n_right)) < draw(st.floats(0.05, 0.5))
        m = min(n_left, n_right)
        allowed[rng.permutation(n_left)[:m], rng.permutation(n_right)[:m]] = True
    else:
        allowed = rng.random((n_left, n_right)) >= draw(st.floats(0.0, 0.85))
    scores[~allowed] = NAN
    return scores


# A small price sample makes the tiny instances take the same path as large ones: prices from a
# sample, everyone else priced by completion (the default samples up to 700 people, i.e. all).
SAMPLES = st.sampled_from([2, 3, 700])


def test_hole_1_a_path_through_two_pairs_outside_the_candidates_is_not_certified_away():
    scores = np.array([[0, 0, 0, 0], [0, NAN, NAN, NAN], [0, NAN, NAN, 0], [NAN, 0, NAN, 0]])
    for k in (1, 2, 4):
        result = assign(scores, candidates=k)
        assert len(result.pairs) == 4
        assert result.stats.certified and result.stats.bound == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scores=score_matrices(), k=st.sampled_from([1, 2, 4]), sample=SAMPLES, data=st.data())
def test_hole_1_whenever_certified_the_pairs_are_the_most_and_the_total_within_the_bound(scores, k, sample, data):
    n_left = scores.shape[0]
    left_capacity = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n_left, max_size=n_left)))
    with mock.patch.object(candidate_search, "_SAMPLE", sample):
        result = assign(scores, left_capacity=left_capacity, candidates=k)
    count, optimum = replicated_reference(scores, left_capacity)
    pairs = result.pairs
    assert not np.isnan(scores[pairs[:, 0], pairs[:, 1]]).any()
    assert np.all(np.bincount(pairs[:, 0], minlength=n_left) <= left_capacity)
    assert np.all(np.bincount(pairs[:, 1], minlength=scores.shape[1]) <= 1)
    slack = len(pairs) * result.stats.quantum + 1e-9
    # The seat count is proven before any score round, so it is the most possible in every case.
    assert len(pairs) == count
    assert optimum - result.total <= result.stats.bound + slack
    if result.stats.certified:
        assert result.stats.bound == 0
        assert result.total == pytest.approx(optimum, abs=slack)


def test_hole_1_a_group_minimum_behind_two_pairs_outside_the_candidates_is_met():
    # The same four rows, whose only full matching needs two pairs no one ranks first, and four
    # columns outside every group that everyone prefers: the minimum of 4 for group 0 can only be
    # met along that path (before the fix: 3 of 4 met at k = 1, and "certified").
    core = np.array([[0, 0, 0, 0], [0, NAN, NAN, NAN], [0, NAN, NAN, 0], [NAN, 0, NAN, 0]])
    scores = np.hstack([core, np.full((4, 4), 5.0)])
    for k in (1, 2):
        result = search(
            DenseSource(scores),
            left_capacity=np.ones(4, dtype=np.int64),
            right_capacity=np.ones(8, dtype=np.int64),
            right_group=np.array([0, 0, 0, 0, -1, -1, -1, -1]),
            group_quota=np.array([4]),
            settings=SearchSettings(k=k),
        )
        assert result.solution.quota_met == 4
        assert sorted(result.right.tolist()) == [0, 1, 2, 3]
        assert result.certified


def lexicographic_fair_optimum(
    scores: np.ndarray, left_capacity: np.ndarray, group: np.ndarray, quota: np.ndarray
) -> tuple[int, int, float]:
    """Most group-minimum seats met, then most pairs, then best total: three integer programmes.

    Variables: one 0/1 per allowed pair, and per group the minimum seats it meets (at most its
    quota, at most its matched pairs)."""
    rows, cols = np.nonzero(~np.isnan(scores))
    n, n_groups = len(rows), len(quota)
    if n == 0:
        return 0, 0, 0.0
    edge_group = group[cols]
    size = n + n_groups
    pick = sps.csr_array((np.ones(n), (np.arange(n), np.arange(n))), shape=(n, size))
    a_left = sps.csr_array((np.ones(n), (rows, np.arange(n))), shape=(scores.shape[0], size))
    a_right = sps.csr_array((np.ones(n), (cols, np.arange(n))), shape=(scores.shape[1], size))
    met = np.zeros((n_groups, size))
    for g in range(n_groups):
        met[g, :n] = -(edge_group == g).astype(float)
        met[g, n + g] = 1
    constraints = [
        LinearConstraint(a_left, 0, left_capacity),
        LinearConstraint(a_right, 0, 1),
        LinearConstraint(met, -np.inf, 0),
    ]
    integrality = np.concatenate([np.ones(n), np.zeros(n_groups)])
    bounds = Bounds(np.zeros(size), np.concatenate([np.ones(n), quota]))
    quota_row = np.concatenate([np.zeros(n), np.ones(n_groups)])[None, :]
    pairs_row = (pick.sum(axis=0))[None, :]

    def best(objective: np.ndarray, extra: list[LinearConstraint]) -> float:
        result = milp(-objective, constraints=[*constraints, *extra], integrality=integrality, bounds=bounds)
        assert result.success
        return float(-result.fun)

    most_met = round(best(quota_row[0], []))
    keep_met = LinearConstraint(quota_row, most_met, np.inf)
    most_pairs = round(best(pairs_row[0], [keep_met]))
    keep_pairs = LinearConstraint(pairs_row, most_pairs, most_pairs)
    profit = np.concatenate([scores[rows, cols], np.zeros(n_groups)])
    return most_met, most_pairs, best(profit, [keep_met, keep_pairs])


@st.composite
def fairness_instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Integer scores up to 16 x 16 (NaN = forbidden), seats per row, each column's group (-1 =
    none) and each group's minimum, all drawn at random."""
    scores = draw(score_matrices()).round()  # integer scores: the integer programme is exact
    n_left, n_right = scores.shape
    left_capacity = np.array(draw(st.lists(st.integers(0, 3), min_size=n_left, max_size=n_left)))
    group = np.array(draw(st.lists(st.integers(-1, 2), min_size=n_right, max_size=n_right)))
    quota = np.array(draw(st.lists(st.integers(0, 3), min_size=3, max_size=3)))
    return scores, left_capacity, group, quota


@st.composite
def minimums_behind_a_band(draw: st.DrawFn, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grouped columns whose minimums can only be met along a path of pairs nobody ranks first.

    Grouped column ``j`` may meet row ``j`` (a low score: the planted pair) and the ``width`` rows
    before it (higher scores); every row may also meet ungrouped columns that score higher still.
    With ``width`` candidates per person, each grouped column ranks the rows before it above its
    own and each row ranks the ungrouped columns first, so the candidate graph holds the band but
    almost none of the planted pairs and meets one minimum too few. Meeting them all moves every
    row along the band onto its planted pair: a path through two or more pairs outside the graph,
    which a check that looks for one new pair at a time certifies away (before the fix: 85 % of
    these instances came back short and "certified", against 1 in 200 random ones).
    """
    n_grouped = draw(st.integers(width + 2, 13))
    n_left = n_grouped + draw(st.integers(0, 2))
    n_free = draw(st.integers(0, n_left))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scores = np.full((n_left, n_grouped + n_free), NAN)
    for j in range(n_grouped):
        scores[j, j] = rng.integers(0, 2)
        scores[max(0, j - width) : j, j] = rng.integers(2, 4, size=min(j, width))
    scores[:, n_grouped:] = rng.integers(4, 6, size=(n_left, n_free))
    group = np.concatenate([rng.integers(0, 3, size=n_grouped), np.full(n_free, -1)])
    rows, cols = rng.permutation(n_left), rng.permutation(n_grouped + n_free)
    scores, group = scores[rows][:, cols], group[cols]
    quota = np.bincount(group[group >= 0], minlength=3)
    return scores, np.ones(n_left, dtype=np.int64), group, quota


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.sampled_from([1, 2, 4]), sample=SAMPLES, data=st.data())
def test_hole_1_fairness_minimums_are_proven_the_most_that_can_be_met(k, sample, data):
    # Half the instances are random, half planted so that the minimums hide behind a path of two
    # or more pairs outside the candidate graph.
    scores, left_capacity, group, quota = data.draw(st.one_of(fairness_instances(), minimums_behind_a_band(k)))
    n_right = scores.shape[1]
    with mock.patch.object(candidate_search, "_SAMPLE", sample):
        result = search(
            DenseSource(scores),
            left_capacity=left_capacity,
            right_capacity=np.ones(n_right, dtype=np.int64),
            right_group=group,
            group_quota=quota,
            settings=SearchSettings(k=k),
        )
    most_met, most_pairs, optimum = lexicographic_fair_optimum(scores, left_capacity, group, quota)
    assert result.solution.quota_met == most_met
    assert int(np.minimum(result.solution.group_matched, quota).sum()) == most_met
    assert len(result.left) == most_pairs
    assert optimum - result.total <= result.bound + 1e-6
    if result.certified:
        assert result.total == pytest.approx(optimum, abs=1e-6)


def reference(scores: np.ndarray) -> tuple[int, float]:
    return replicated_reference(scores, np.ones(scores.shape[0], dtype=np.int64))


@pytest.mark.parametrize(("n", "k", "sampled"), [(800, 8, 700), (900, 4, 700), (1400, None, 700), (1400, None, None)])
def test_hole_2_block_structured_instance_gets_every_pair_the_price_sample_cannot_see(n, k, sampled):
    # The instances of the review, built for the 700-row price sample of the time. Before the fix:
    # 784 of 800 "certified" at k = 8, 854 of 900 after 12 rounds and 75 s at k = 4, and at 1,400
    # with the default k no answer within 300 s. The last one hides from today's sample.
    scores = block_structured(n, sampled=sampled)
    count, total = reference(scores)
    result = assign(scores, candidates=k)
    assert count == n
    assert (len(result.pairs), result.total) == (count, total)
    assert result.stats.certified


def test_hole_3_the_assignment_solver_is_not_started_when_no_perfect_matching_exists():
    # Rows 0 and 1 may only meet column 0: at most two of three rows can be matched, so the
    # assignment solver (which needs a perfect matching) would fail after doing its work; the
    # max-flow says so first and the min-cost flow solves it directly.
    left = np.array([0, 1, 2, 2], dtype=np.int64)
    right = np.array([0, 0, 1, 2], dtype=np.int64)
    problem = Transport(
        n_left=3,
        n_right=3,
        left=left,
        right=right,
        profit=np.array([3, 2, 1, 5], dtype=np.int64),
        left_capacity=np.ones(3, dtype=np.int64),
        right_capacity=np.ones(3, dtype=np.int64),
    )
    with mock.patch.object(flow, "_lsa_pairs", side_effect=AssertionError("assignment solver started")):
        solution = solve_transport(problem)
    assert solution.solver == "min-cost-flow"
    assert solution.matched == 2
    assert np.flatnonzero(solution.chosen).tolist() == [0, 3]


def test_hole_3_with_a_perfect_matching_the_assignment_solver_is_used():
    problem = Transport(
        n_left=2,
        n_right=2,
        left=np.array([0, 0, 1], dtype=np.int64),
        right=np.array([0, 1, 0], dtype=np.int64),
        profit=np.array([5, 1, 1], dtype=np.int64),
        left_capacity=np.ones(2, dtype=np.int64),
        right_capacity=np.ones(2, dtype=np.int64),
    )
    solution = solve_transport(problem)
    assert solution.solver == "linear-sum-assignment"
    assert solution.matched == 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scores=score_matrices(),
    widen=st.sampled_from([1, 2, 32]),
    tolerance=st.sampled_from([0.0, 0.01, 0.2, 0.9]),
    sample=SAMPLES,
    data=st.data(),
)
def test_a_bound_carried_over_from_the_last_scan_holds(scores, widen, tolerance, sample, data):
    """From the second round on, the search may stop on the last scan's bound under the new prices
    (no new scan): whatever it then reports must hold against the exact optimum."""
    n_left = scores.shape[0]
    left_capacity = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n_left, max_size=n_left)))
    source = DenseSource(scores)
    with mock.patch.object(candidate_search, "_SAMPLE", sample):
        result = search(
            source,
            left_capacity=left_capacity,
            right_capacity=np.ones(scores.shape[1], dtype=np.int64),
            settings=SearchSettings(k=1, tolerance=tolerance, widen=widen),
        )
    count, optimum = replicated_reference(scores, left_capacity)
    slack = len(result.left) * result.quantum + 1e-9
    assert len(result.left) == count
    assert optimum - result.total <= result.bound + slack
    assert result.bound <= tolerance * max(abs(result.total), 1e-12) + slack or result.rounds == 12
    if result.certified:
        assert result.total == pytest.approx(optimum, abs=slack)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scores=score_matrices(),
    widen=st.sampled_from([1, 2, 32]),
    tolerance=st.sampled_from([0.0, 0.01, 0.2]),
    sample=SAMPLES,
    data=st.data(),
)
def test_pairs_left_out_of_a_later_solve_are_still_checked_by_the_certificate(scores, widen, tolerance, sample, data):
    """From the second round on, the solve sees only the graph's pairs near the last prices; the
    scan must treat the others as pairs outside the graph. With the depth at its least (every pair
    below the last prices left out), whatever the search reports must hold against the exact
    optimum, and a certified result is the optimum."""
    n_left = scores.shape[0]
    left_capacity = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n_left, max_size=n_left)))
    source = DenseSource(scores)
    with (
        mock.patch.object(candidate_search, "_SAMPLE", sample),
        mock.patch.object(candidate_search, "_PRUNE_SHARE", 0.0),
    ):
        result = search(
            source,
            left_capacity=left_capacity,
            right_capacity=np.ones(scores.shape[1], dtype=np.int64),
            settings=SearchSettings(k=1, tolerance=tolerance, widen=widen),
        )
    count, optimum = replicated_reference(scores, left_capacity)
    slack = len(result.left) * result.quantum + 1e-9
    assert len(result.left) == count
    assert not np.isnan(scores[result.left, result.right]).any()
    assert optimum - result.total <= result.bound + slack
    assert result.bound <= tolerance * max(abs(result.total), 1e-12) + slack or result.rounds == 12
    if result.certified:
        assert result.total == pytest.approx(optimum, abs=slack)
