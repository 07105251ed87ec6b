"""Small one-seat-each problems solved over every pair at once by SciPy's dense solver."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from twofold.matching.candidates import SearchResult
from twofold.matching.flow import TransportSolution
from twofold.matching.pairs import PairSource

__all__ = ["DENSE_PAIRS", "solve_dense"]

IntArray = NDArray[np.int64]

# Up to this many pairs (and people on the smaller side), a one-seat-each problem is solved over
# every pair at once by SciPy's dense solver: below it the candidate search's fixed costs (price
# sample, structure proof, certificate) dominate, measured 4-9x SciPy's time at 1,000 x 1,000.
DENSE_PAIRS = 1_000_000
_DENSE_SIDE = 2_000


def solve_dense(source: PairSource, left_capacity: IntArray, right_capacity: IntArray) -> SearchResult | None:
    """The exact optimum over every allowed pair - most pairs, then the best total - of a small
    problem where everyone has at most one seat, by SciPy's ``linear_sum_assignment`` on the dense
    matrix; ``None`` when the problem is not of that kind (seats, size, scores too large for exact
    float sums). Allowed pairs earn a bonus larger than any difference in total score, forbidden
    ones cost more than all bonuses together, so the solver's full assignment of the smaller side
    holds the most allowed pairs there are; the forbidden ones it needed are then dropped.
    """
    if left_capacity.max(initial=0) > 1 or right_capacity.max(initial=0) > 1 or not source.integral:
        return None
    rows = np.flatnonzero(left_capacity > 0)
    cols = np.flatnonzero(right_capacity > 0)
    smaller = min(len(rows), len(cols))
    if len(rows) * len(cols) > DENSE_PAIRS or smaller > _DENSE_SIDE:
        return None
    started = time.perf_counter()
    values, allowed = source.subblock(rows, cols)
    top = float(source.score_bound)
    bonus = smaller * 2 * top + 1
    forbidden = (smaller + 1) * (bonus + top + 1)
    if forbidden * (smaller + 1) >= 2.0**52:
        return None  # sums of such weights would no longer be exact in float64
    weights = np.where(allowed, values + bonus, -forbidden)
    r, c = linear_sum_assignment(weights, maximize=True)
    keep = allowed[r, c]
    left, right = rows[r[keep]], cols[c[keep]]
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    score, _ = source.exact(left, right)
    zero_left, zero_right = np.zeros(source.n_left, dtype=np.int64), np.zeros(source.n_right, dtype=np.int64)
    solution = TransportSolution(
        chosen=np.ones(len(left), dtype=bool),
        matched=len(left),
        left_price=zero_left,
        right_price=zero_right,
        group_matched=np.zeros(0, dtype=np.int64),
        quota_met=0,
        quota_total=0,
        solver="scipy-dense",
        bellman_ford_rounds=0,
    )
    return SearchResult(
        left=left,
        right=right,
        score=score,
        solution=solution,
        total=float(np.sum(score)),
        bound=0.0,
        certified=True,
        quantum=1.0,
        edges=int(allowed.sum()),
        rounds=1,
        graph=(left, right),
        graph_score=score,
        seconds={"solve": time.perf_counter() - started},
    )
