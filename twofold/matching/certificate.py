"""The optimality certificate of a candidate graph, checked against every allowed pair in one scan.

The exact solve of the graph returns dual prices ``a`` (rows) and ``b`` (columns) under which every
pair of the graph has reduced profit ``p - a_i - b_j <= 0`` unless chosen. With the seat count (and
the group minimums met) already proven maximal over all pairs (:mod:`twofold.matching.structure`),
the graph optimum is the optimum over all pairs exactly when no pair outside the graph has a
positive reduced profit. A scan finds those *violations*; they bound what any other solution could
add (raising each row's price by its largest violation, or each column's, or - exactly - the
cheapest mix of both, a maximum-weight matching of the violations by Egerváry's theorem), and the
best of them join the graph for the next round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from twofold.matching.flow import Transport, TransportSolution, arcs_leaving, solve_transport
from twofold.matching.pairs import EMPTY, PairSource, top_k

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Violations read per row and scan; beyond them a row is bounded by the smallest one read.
_SCAN_CAP = 32


@dataclass(frozen=True)
class Findings:
    """One certificate scan: pairs to add, and what the scan proves about the gap.

    ``bound`` (integer units) is the best of the row bound and the column bound (the caller may
    tighten it with :func:`cover_bound`); ``empty`` means the current solution is proven optimal.
    """

    pairs: tuple[IntArray, IntArray]
    bound: int
    empty: bool
    violations: tuple[IntArray, IntArray, IntArray]
    floors: IntArray
    # Per row, the largest reduced profit (>= 0) of a pair outside the graph that is not in
    # ``pairs``: what stays outside once they are added (see :func:`carried_bound`).
    residual: IntArray


def scan_round(
    source: PairSource,
    graph: tuple[IntArray, IntArray],
    quantum: float,
    solution: TransportSolution,
    left_capacity: IntArray,
    right_capacity: IntArray,
    per_row: int,
) -> Findings:
    """One pass over all pairs against the solution's certificate.

    Finds the pairs outside the graph (``graph``: its pairs as (left, right), sorted by left)
    with integer reduced profit >= 1, and
    the two simple bounds on what the violations could add: raising each row's price by its
    largest violation (row bound), or each column's (column bound). Scanned values are filtered
    with the source's error margin and every survivor is rechecked exactly.
    """
    a, b = centred(solution.left_price, solution.right_price)
    row_price = a.astype(np.float64) * quantum
    col_price = b.astype(np.float64) * quantum
    price_bound = float(max(np.abs(row_price).max(initial=0.0), np.abs(col_price).max(initial=0.0)))
    margin = source.margin(price_bound)
    # A violator has integer reduced profit >= 1; its integer profit is its score rounded to the
    # quantum, so its scanned value is at least quantum / 2 - margin. Exact ties (reduced profit
    # 0, very common with tie-heavy scores) stay below this threshold.
    threshold = 0.5 * quantum - margin
    found_left: list[IntArray] = []
    found_right: list[IntArray] = []
    all_left: list[IntArray] = []
    all_right: list[IntArray] = []
    all_reduced: list[IntArray] = []
    floors = np.zeros(source.n_left, dtype=np.int64)
    residual = np.zeros(source.n_left, dtype=np.int64)
    row_bound = 0
    cap = max(per_row, _SCAN_CAP)
    # Pairs of the graph are masked out of every block: the solver prices them itself (a chosen
    # one may be above 0 with several seats), and the bounds are about pairs outside the graph.
    graph_left, graph_right = graph
    graph_start = np.searchsorted(graph_left, np.arange(source.n_left + 1))
    graph_ids = np.arange(len(graph_left), dtype=np.int64)
    col_at = np.full(source.n_right, -1, dtype=np.int64)
    # Largest scanned reduced score per column, over pairs outside the graph.
    col_best = np.full(source.n_right, -np.inf)
    for block in source.scan(row_price, col_price):
        values = block.values
        col_at[block.cols] = np.arange(len(block.cols))
        inside = graph_right[arcs_leaving(graph_ids, graph_start, block.rows)]
        counts = graph_start[block.rows + 1] - graph_start[block.rows]
        at = col_at[inside]
        here = at >= 0
        values[np.repeat(np.arange(len(block.rows)), counts)[here], at[here]] = -np.inf
        col_at[block.cols] = -1
        col_best[block.cols] = np.maximum(col_best[block.cols], values.max(axis=0, initial=-np.inf))
        hot, r, c, smallest = _violators(values, threshold, cap)
        if len(hot) == 0:
            continue
        # A row whose best ``cap`` all pass may have more violators outside them, each at most the
        # smallest value kept: that bounds the row instead of an exact maximum.
        floor = np.zeros(len(hot), dtype=np.int64)
        full = np.isfinite(smallest)
        floor[full] = np.maximum(np.floor((smallest[full] + margin) / quantum + 0.5), 0).astype(np.int64)
        floors[block.rows[hot]] = floor
        residual[block.rows[hot]] = np.maximum(residual[block.rows[hot]], floor)
        left = block.rows[hot[r]]
        right = block.cols[c]
        score, allowed = source.exact(left, right)
        reduced = np.rint(score / quantum).astype(np.int64) - a[left] - b[right]
        reduced = np.where(allowed, reduced, 0)
        row_best = floor.copy()
        np.maximum.at(row_best, r, reduced)
        row_bound += int(np.sum(row_best * left_capacity[block.rows[hot]]))
        positive = reduced > 0
        if positive.any():
            r, left, right, reduced = r[positive], left[positive], right[positive], reduced[positive]
            all_left.append(left)
            all_right.append(right)
            all_reduced.append(reduced)
            # The best ``per_row`` violators of each row: widening k by the exact dual prices.
            order = np.lexsort((-reduced, r))
            r, left, right, reduced = r[order], left[order], right[order], reduced[order]
            keep = np.arange(len(r)) - np.searchsorted(r, r, side="left") < per_row
            found_left.append(left[keep])
            found_right.append(right[keep])
            np.maximum.at(residual, left[~keep], reduced[~keep])
    col_units = np.maximum(np.floor((col_best + margin) / quantum + 0.5), 0)
    col_units[~np.isfinite(col_units)] = 0
    col_bound = int(np.sum(col_units.astype(np.int64) * right_capacity))
    bound = min(row_bound, col_bound)
    violations = (
        np.concatenate(all_left) if all_left else EMPTY,
        np.concatenate(all_right) if all_right else EMPTY,
        np.concatenate(all_reduced) if all_reduced else EMPTY,
    )
    if not found_left:
        return Findings((EMPTY, EMPTY), bound, bound == 0, violations, floors, residual)
    pairs = (np.concatenate(found_left), np.concatenate(found_right))
    return Findings(pairs, bound, False, violations, floors, residual)


def _violators(
    values: NDArray[np.floating], threshold: float, cap: int
) -> tuple[IntArray, IntArray, IntArray, NDArray[np.float64]]:
    """The pairs of a block above ``threshold``, at most the ``cap`` largest of each row.

    Returns the rows holding any (``hot``), the kept pairs as (position in ``hot``, column), and
    per hot row the smallest value kept when the row has ``cap`` or more violators (its others are
    at most that), else ``inf``. Violators are few after the first solve, so one comparison of the
    rows holding any and its ``nonzero`` find them all, where ranking each such row's ``cap`` best
    took twice as long; a block with very many (poor prices) is ranked per row instead.
    """
    # Most rows of most blocks hold none: one reduction finds the rows that do.
    hot = np.flatnonzero(values.max(axis=1, initial=-np.inf) > threshold)
    if len(hot) == 0:
        return EMPTY, EMPTY, EMPTY, np.zeros(0)
    sub = values[hot] if len(hot) < len(values) else values
    above = sub > threshold
    total = int(np.count_nonzero(above))
    if total > 4 * cap * len(hot) + (1 << 16):
        r, c = top_k(sub, cap)
        value = sub[r, c].astype(np.float64)
        kept = value > threshold
        smallest = np.full(len(hot), np.inf)
        full = np.bincount(r[kept], minlength=len(hot)) >= cap
        np.minimum.at(smallest, r, value)
        smallest[~full] = np.inf
        return hot, r[kept], c[kept], smallest
    # (A flat index and a division: ``nonzero`` of a 2-D mask is ten times slower.)
    flat = np.flatnonzero(above)
    r, c = np.divmod(flat, sub.shape[1])
    count = np.bincount(r, minlength=len(hot))
    value = sub.reshape(-1)[flat].astype(np.float64)
    smallest = np.full(len(hot), np.inf)
    full = count >= cap
    if full.any():
        # Rows with ``cap`` or more: keep their ``cap`` largest (rows come out of ``nonzero`` in order).
        order = np.lexsort((-value, r))
        r, c, value = r[order], c[order], value[order]
        keep = np.arange(len(r)) - np.searchsorted(r, r, side="left") < cap
        r, c, value = r[keep], c[keep], value[keep]
        np.minimum.at(smallest, r, value)
        smallest[~full] = np.inf
    return hot, r, c, smallest


def carried_bound(
    previous: tuple[IntArray, IntArray],
    residual: IntArray,
    solution: TransportSolution,
    left_capacity: IntArray,
    right_capacity: IntArray,
) -> int:
    """A bound on what pairs outside the graph could add, without scanning them again.

    The previous round's scan saw every pair outside its graph under the prices ``previous``
    (``a1``, ``b1``): each one it did not add to the graph has reduced profit at most
    ``residual[i]`` (0 when every violator of row ``i`` was added). Under the new prices ``a2``,
    ``b2`` the same pair has ``s - a2_i - b2_j = (s - a1_i - b1_j) + (a1_i - a2_i) + (b1_j - b2_j)``
    ``<= u_i + w_j`` with ``u_i = residual[i] + a1_i - a2_i`` and ``w_j = b1_j - b2_j``. Raising
    each row's price by ``max(0, u_i + c)`` and each column's by ``max(0, w_j - c)``, for any
    constant ``c``, makes every pair outside the graph non-positive, so the seat-weighted sum of the
    rises bounds the gap (:func:`cover_bound`'s argument). It is convex and piecewise linear in
    ``c``; the least value, at one of its breakpoints, is returned. (Raising only rows, ``c = max
    w_j``, is one choice; a few columns whose price fell would otherwise charge every row.) The
    solver starts its prices from ``previous``, so they move little and the bound is often within
    the tolerance, saving a scan of all pairs. Integer units.
    """
    a1, b1 = previous
    u = residual + (a1 - solution.left_price)
    w = b1 - solution.right_price
    row_cap = left_capacity.astype(np.int64)
    col_cap = right_capacity.astype(np.int64)
    # Candidates: every breakpoint -u_i and w_j (the minimum of a convex piecewise-linear function
    # of one variable is at one of them).
    candidates = np.unique(np.concatenate([-u, w, np.zeros(1, dtype=np.int64)]))
    # Rows: sum over u_i + c > 0 of cap_i (u_i + c), by prefix sums over -u sorted ascending.
    order = np.argsort(-u, kind="stable")
    neg_u, cap_u = -u[order], row_cap[order]
    cum_cap = np.concatenate([[0], np.cumsum(cap_u)])
    cum_capu = np.concatenate([[0], np.cumsum(cap_u * -neg_u)])
    below = np.searchsorted(neg_u, candidates, side="left")  # rows with -u_i < c
    rows = cum_capu[below] + candidates * cum_cap[below]
    # Columns: sum over w_j > c of cap_j (w_j - c), by suffix sums over w sorted ascending.
    order = np.argsort(w, kind="stable")
    w_sorted, cap_w = w[order], col_cap[order]
    tail_cap = np.concatenate([np.cumsum(cap_w[::-1])[::-1], [0]])
    tail_capw = np.concatenate([np.cumsum((cap_w * w_sorted)[::-1])[::-1], [0]])
    above = np.searchsorted(w_sorted, candidates, side="right")  # columns with w_j > c from here
    cols = tail_capw[above] - candidates * tail_cap[above]
    return max(0, int((rows + cols).min()))


def cover_bound(found: Findings, left_capacity: IntArray, right_capacity: IntArray) -> int:
    """The least total price rise that makes every violation non-positive, in integer units.

    Raising row prices by ``d_i`` and column prices by ``e_j`` with ``d_i + e_j >= violation_ij``
    costs ``sum cap_i d_i + sum cap_j e_j`` of dual objective; by Egervary's theorem the cheapest
    such cover is worth the maximum-weight matching of the violations, which the transport solver
    finds exactly. Rows whose violations were cut off at their floor pay the floor first.
    """
    left, right, reduced = found.violations
    floors = found.floors
    paid = int(np.sum(floors * left_capacity))
    rest = reduced - floors[left]
    keep = rest > 0
    if not keep.any():
        return paid
    transport = Transport(
        n_left=len(left_capacity),
        n_right=len(right_capacity),
        left=left[keep],
        right=right[keep],
        profit=rest[keep],
        left_capacity=left_capacity,
        right_capacity=right_capacity,
    )
    solution = solve_transport(transport, maximize_matched=False, duals=False)
    return paid + int(np.sum(rest[keep][solution.chosen]))


def centred(a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
    """Shift prices by a constant (a + c, b - c leaves every a_i + b_j unchanged) to keep both small."""
    if len(a) == 0 or len(b) == 0:
        return a, b
    shift = (int(b.max()) - int(a.max())) // 2
    return a + shift, b - shift
