"""The ranking helpers the scans rely on, against brute force: a wrong one would not make a result
wrong (the certificate checks every pair), but would quietly make the search slower or its bounds
looser; the bound carried from one scan to the next must never be below what it bounds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.matching.certificate import _violators, carried_bound
from twofold.matching.flow import TransportSolution
from twofold.matching.pairs import top_k, top_k_by_column


@st.composite
def blocks(draw: st.DrawFn) -> np.ndarray:
    rows, cols = draw(st.integers(1, 70)), draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # Few distinct values (ties everywhere) and some forbidden pairs, as scans produce them.
    values = rng.integers(-4, 5, size=(rows, cols)).astype(np.float32)
    values[rng.random((rows, cols)) < 0.2] = -np.inf
    return values


@settings(max_examples=200, deadline=None)
@given(values=blocks(), k=st.integers(1, 5))
def test_each_column_gets_its_k_best_finite_values(values, k):
    cols, rows = top_k_by_column(values, k)
    assert np.all(np.diff(cols) >= 0), "grouped by column, ascending"
    for col in range(values.shape[1]):
        column = values[:, col]
        expected = np.sort(column[np.isfinite(column)])[::-1][:k]
        picked = rows[cols == col]
        assert len(set(picked.tolist())) == len(picked)
        assert np.array_equal(np.sort(column[picked])[::-1], expected)


@settings(max_examples=200, deadline=None)
@given(values=blocks(), cap=st.integers(1, 4))
def test_violators_are_every_pair_above_the_threshold_up_to_the_cap_per_row(values, cap):
    threshold = 0.5
    hot, r, c, smallest = _violators(values, threshold, cap)
    above = values > threshold
    assert np.array_equal(hot, np.flatnonzero(above.any(axis=1)))
    for position, row in enumerate(hot):
        mine = c[r == position]
        assert np.all(values[row, mine] > threshold)
        expected = np.sort(values[row][above[row]])[::-1][:cap]
        assert np.array_equal(np.sort(values[row, mine])[::-1], expected)
        if above[row].sum() >= cap:
            # Every violator left out is at most the smallest one kept.
            assert smallest[position] == expected.min()
            assert values[row][above[row]].max() >= smallest[position]
        else:
            assert np.isinf(smallest[position])


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_carried_bound_is_the_cheapest_row_and_column_rise_that_covers_every_pair(data):
    n_left, n_right = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    small = st.integers(-6, 6)
    a1 = np.array(data.draw(st.lists(small, min_size=n_left, max_size=n_left)))
    a2 = np.array(data.draw(st.lists(small, min_size=n_left, max_size=n_left)))
    b1 = np.array(data.draw(st.lists(small, min_size=n_right, max_size=n_right)))
    b2 = np.array(data.draw(st.lists(small, min_size=n_right, max_size=n_right)))
    residual = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n_left, max_size=n_left)))
    left_cap = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n_left, max_size=n_left)))
    right_cap = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n_right, max_size=n_right)))
    none = np.zeros(0, dtype=np.int64)
    solution = TransportSolution(
        chosen=np.zeros(0, dtype=bool),
        matched=0,
        left_price=a2,
        right_price=b2,
        group_matched=none,
        quota_met=0,
        quota_total=0,
        solver="test",
        bellman_ford_rounds=0,
    )
    got = carried_bound((a1, b1), residual, solution, left_cap, right_cap)
    u, w = residual + a1 - a2, b1 - b2
    # Brute force over the shift c: rows rise by max(0, u_i + c), columns by max(0, w_j - c).
    best = min(
        int(np.sum(left_cap * np.maximum(0, u + c)) + np.sum(right_cap * np.maximum(0, w - c))) for c in range(-40, 41)
    )
    assert got == best
    # Never above raising rows alone (the bound this one replaced).
    rows_only = int(np.sum(np.maximum(residual + a1 - a2 + max(0, int(w.max())), 0) * left_cap))
    assert got <= rows_only


@st.composite
def wide_rows(draw: st.DrawFn) -> np.ndarray:
    """Rows wide enough for :func:`top_k`'s chunk threshold (256 columns and more): tie-heavy,
    continuous, all tied, or mostly forbidden."""
    rows, cols = draw(st.integers(1, 12)), draw(st.integers(256, 700))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["ties", "continuous", "all-tied", "forbidden"]))
    if kind == "ties":
        values = rng.integers(0, 6, size=(rows, cols)).astype(np.float64)
    elif kind == "continuous":
        values = rng.normal(size=(rows, cols))
    elif kind == "all-tied":
        values = np.full((rows, cols), 3.0)
    else:
        values = rng.integers(0, 3, size=(rows, cols)).astype(np.float64)
        values[rng.random((rows, cols)) < 0.97] = -np.inf
    return values


@settings(max_examples=150, deadline=None)
@given(values=wide_rows(), k=st.integers(1, 30))
def test_each_row_gets_its_k_best_finite_values(values, k):
    rows, cols = top_k(values, k)
    assert np.all(np.diff(rows) >= 0), "grouped by row, ascending"
    for row in range(values.shape[0]):
        line = values[row]
        expected = np.sort(line[np.isfinite(line)])[::-1][:k]
        picked = cols[rows == row]
        assert len(set(picked.tolist())) == len(picked)
        assert np.array_equal(np.sort(line[picked])[::-1], expected)
