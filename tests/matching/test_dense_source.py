"""The dense score matrix as a pair source, and the candidate search on matrices wide enough for
its fast paths (the chunk threshold of ``top_k`` needs 256 columns), against SciPy."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from benchmarks.adversarial import block_structured, tie_heavy_scores
from twofold.matching import assign
from twofold.matching.assign import DenseSource


def reference(scores: np.ndarray) -> tuple[int, float]:
    """Most pairs, then the best total: SciPy with a bonus on allowed pairs above any difference in
    total and a big-M cost on forbidden ones."""
    allowed = ~np.isnan(scores)
    finite = scores[allowed]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    bonus = (min(scores.shape) + 1) * (spread + 1)
    weights = np.where(allowed, np.nan_to_num(scores) + bonus, -(10.0**6) * (bonus + 1))
    rows, cols = linear_sum_assignment(weights, maximize=True)
    ok = allowed[rows, cols]
    return int(ok.sum()), float(scores[rows, cols][ok].sum())


@st.composite
def wide_matrices(draw: st.DrawFn) -> np.ndarray:
    """Square or rectangular, 256-420 columns: tie-heavy integers, all tied, forbidden pairs, the
    mentoring-shaped tie-heavy family, or the block-structured adversarial one."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["ties", "all-tied", "forbidden", "tie-heavy", "block-structured"]))
    if kind == "tie-heavy":
        return tie_heavy_scores(draw(st.integers(256, 400)), seed=int(rng.integers(1000)))
    if kind == "block-structured":
        return block_structured(
            draw(st.integers(256, 400)), seed=int(rng.integers(1000)), sampled=int(rng.integers(8, 60))
        )
    n_left, n_right = draw(st.integers(40, 420)), draw(st.integers(256, 420))
    if kind == "all-tied":
        return np.full((n_left, n_right), 2.0)
    scores = rng.integers(0, 5, size=(n_left, n_right)).astype(float)
    if kind == "forbidden":
        scores[rng.random((n_left, n_right)) < draw(st.floats(0.3, 0.95))] = np.nan
    return scores


@settings(max_examples=40, deadline=None)
@given(scores=wide_matrices(), k=st.sampled_from([1, 4, 24]), tolerance=st.sampled_from([0.0, 1e-3]))
def test_candidate_search_on_wide_matrices_equals_scipy_or_stays_within_its_bound(scores, k, tolerance):
    count, total = reference(scores)
    result = assign(scores, candidates=k, tolerance=tolerance)
    assert len(result.pairs) == count
    assert not np.isnan(scores[result.pairs[:, 0], result.pairs[:, 1]]).any()
    assert len(set(result.pairs[:, 0].tolist())) == len(set(result.pairs[:, 1].tolist())) == count
    assert result.total <= total
    assert total - result.total <= result.stats.bound <= tolerance * abs(total) + 1e-9
    if tolerance == 0.0:
        assert result.stats.certified and result.total == total


def test_a_restricted_source_is_the_source_of_its_part():
    rng = np.random.default_rng(3)
    scores = rng.integers(-5, 9, size=(60, 50)).astype(float)
    scores[rng.random(scores.shape) < 0.3] = np.nan
    whole = DenseSource(scores)
    for rows, cols in (
        (np.arange(60), np.array([3, 7, 8, 40])),
        (np.array([0, 5, 59]), np.arange(50)),
        (np.array([2, 9, 11]), np.array([1, 4, 49])),
    ):
        part, fresh = whole.restrict(rows, cols), DenseSource(scores[np.ix_(rows, cols)])
        assert np.array_equal(part.scores, fresh.scores, equal_nan=True)
        assert np.array_equal(part.allowed, fresh.allowed)
        assert part.n_allowed == fresh.n_allowed
        assert part.integral and part.score_bound >= fresh.score_bound


def test_the_perturbed_scan_stays_within_the_jitter_and_orders_tied_columns_differently_per_row():
    scores = np.full((40, 300), 2.0)
    source = DenseSource(scores)
    jitter = 1e-3
    values = np.concatenate([block.values.copy() for block in source.scan(np.zeros(40), np.zeros(300), jitter=jitter)])
    assert np.all(np.abs(values - scores) <= jitter)
    # Every row ranks the tied columns its own way: their favourites are (almost all) different.
    assert len(set(values.argmax(axis=1).tolist())) >= 35
    again = np.concatenate([block.values.copy() for block in source.scan(np.zeros(40), np.zeros(300), jitter=jitter)])
    assert np.array_equal(values, again), "deterministic"
