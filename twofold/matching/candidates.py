"""Optimal matching over all pairs without building all pairs: price-directed candidates + a dual proof.

At 50,000 people a side there are 2.5 billion pairs; no solver takes them all. This module keeps a
small *candidate graph* and grows it until the optimum of the graph is provably the optimum over
every allowed pair (or provably within a tolerance):

1. **Prices.** Dual prices of the optimal solution of an evenly spaced sample of both sides (a
   quarter of each, solved by this very search, recursively, down to a few hundred people solved
   directly) estimate what each person costs in the market; everyone else is priced by *dual
   completion* (``b_j = max_i s_ij - a_i`` over the sampled rows). Ranking partners by the
   reduced score ``s_ij - a_i - b_j`` rather than the raw score stops every list pointing at the
   same few popular people, which loses 20-37 % of the optimum (measured on tie-heavy
   mentoring scores with popular people); ties are broken by a fixed per-pair
   perturbation, so that rows facing equal options do not all pick the same one.
2. **Candidates**, in one pass over all pairs: each row's top ``k`` partners by reduced score and
   each column's top ``k`` rows (the best of every block), scored exactly and filtered by every
   hard rule.
3. **Structure**: the graph grows until the most seats it can fill (and the most group-minimum
   seats it can meet) are proven the most over every allowed pair - a breadth-first search for
   augmenting paths through the whole problem, scanning only the people it reaches
   (:mod:`twofold.matching.structure`; König's argument). The graph only grows from here on, so
   this holds to the end.
4. **Solve** the graph exactly (:func:`twofold.matching.flow.solve_transport`), which also returns
   dual prices ``a``, ``b`` (chosen close to the estimates).
5. **Certificate**, in one more pass (:mod:`twofold.matching.certificate`): every pair outside the
   graph with reduced profit ``s_ij - a_i - b_j > 0``. If there are none, the graph optimum is the
   optimum over all pairs (the duals are feasible for the full problem, and no more seats can be
   filled). Otherwise the violations bound what any other
   solution could add: raising each row's price by its largest violation, or each column's, or -
   exactly - the cheapest mix of both, which is a maximum-weight matching of the violations
   (Egerváry). When that bound exceeds the tolerance, the best violating pairs of each row are
   added (top-k widening by the exact dual prices, doubling per round) and the graph is solved
   again.

A :class:`PairSource` produces scores a block of rows at a time, as cheaply as it can (one BLAS
product per block for people's features, with cheap rules applied); the pairs that pass the filter
are rechecked exactly against every rule.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from twofold.matching.certificate import carried_bound, centred, cover_bound, scan_round
from twofold.matching.flow import Transport, TransportSolution, maximum_flow, profit_limit, solve_transport
from twofold.matching.pairs import (
    EMPTY,
    Block,
    PairSource,
    Values,
    sorted_unique,
    tie_breakers,
    top_k,
    top_k_by_column,
)
from twofold.matching.structure import augmenting_pairs

__all__ = [
    "Block",
    "PairSource",
    "SearchResult",
    "SearchSettings",
    "Values",
    "quantum_for",
    "search",
    "solve_dense",
    "tie_breakers",
]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
# People per side in the sample whose exact solution prices the first candidate lists.
_SAMPLE = 250
_SAMPLE_FRACTION = 0.125
# Most violating pairs added per row and round (the widening doubles k up to this).
_MAX_PER_ROW = 96


@dataclass(frozen=True)
class SearchSettings:
    """How hard to look. ``tolerance`` is the relative optimality bound at which the search stops
    (0 = prove the exact optimum); ``k`` is the initial number of candidates per row and column;
    ``widen`` how many violating pairs per row each round adds at first (doubling per round)."""

    k: int = 24
    tolerance: float = 0.0
    max_rounds: int = 12
    widen: int = 32


@dataclass(frozen=True)
class SearchResult:
    """Pairs chosen (original indices), their exact scores, and how optimality was established.

    ``bound`` is a proven upper bound on how much total score any other solution could add (0 when
    ``certified``, infinite if the round limit stopped the search before a bound was known);
    ``quantum`` is the score unit of the integer solver (float scores are rounded to multiples of
    it, so the total is optimal to within ``len(pairs) * quantum``).
    """

    left: IntArray
    right: IntArray
    score: FloatArray
    solution: TransportSolution
    total: float
    bound: float
    certified: bool
    quantum: float
    edges: int
    rounds: int
    structure_rounds: int = 0
    graph: tuple[IntArray, IntArray] = (EMPTY, EMPTY)
    graph_score: FloatArray = field(default_factory=lambda: EMPTY.astype(np.float64))
    estimates: tuple[FloatArray, FloatArray] = (EMPTY.astype(np.float64), EMPTY.astype(np.float64))
    seconds: dict[str, float] = field(default_factory=dict)


def quantum_for(n_left: int, n_right: int, score_bound: float, integral: bool) -> float:
    """The score unit of the integer solver: 1 for small integer scores, else bound / limit."""
    limit = profit_limit(n_left, n_right)
    bound = max(score_bound, 1e-12)
    if integral and bound <= limit:
        return 1.0
    return bound / limit


def search(
    source: PairSource,
    *,
    left_capacity: IntArray,
    right_capacity: IntArray,
    maximize_matched: bool = True,
    right_group: IntArray | None = None,
    group_quota: IntArray | None = None,
    settings: SearchSettings | None = None,
    seed_pairs: tuple[IntArray, IntArray] | None = None,
    warm_start: SearchResult | None = None,
) -> SearchResult:
    """Find the optimal matching of ``source`` (see the module docstring for the method).

    ``seed_pairs`` adds known-good candidate pairs (e.g. a previous run's) to the first graph.
    ``warm_start``, a finished search of the same source under other constraints (the engine's
    run without fairness minimums), gives its price estimates and its whole graph: the sample and
    the candidate scan are not repeated.
    Complexity per round: one scan of all pairs (O(n_left * n_right * features) BLAS work), one
    exact solve of the candidate graph (close to linear in its edges), O(edges log edges) upkeep.
    """
    settings = settings or SearchSettings()
    clock = _Clock()
    quantum = quantum_for(source.n_left, source.n_right, source.score_bound, source.integral)
    graph = _Graph(source, quantum)

    with clock("prices"):
        if warm_start is not None and len(warm_start.estimates[0]) == source.n_left:
            row_price, col_price = warm_start.estimates
        else:
            row_price, col_price = _sample_prices(source, quantum, left_capacity, right_capacity, settings.k)
            warm_start = None
        hint = (np.rint(row_price / quantum).astype(np.int64), np.rint(col_price / quantum).astype(np.int64))
    with clock("candidates"):
        if warm_start is None:
            graph.add(*_initial_candidates(source, settings.k, row_price, col_price, quantum))
        else:
            # The same source: the warm start's pairs are allowed and its scores exact already.
            graph.adopt(*warm_start.graph, warm_start.graph_score)
        if seed_pairs is not None:
            graph.add(np.asarray(seed_pairs[0], dtype=np.int64), np.asarray(seed_pairs[1], dtype=np.int64))
    with clock("structure"):
        structure_rounds, known_flows = _saturate(
            source,
            graph,
            left_capacity=left_capacity,
            right_capacity=right_capacity,
            maximize_matched=maximize_matched,
            right_group=right_group,
            group_quota=group_quota,
            prices=(row_price, col_price),
        )

    per_row = settings.widen
    bound = math.inf
    certified = False
    rounds = 0
    solution: TransportSolution | None = None
    transport: Transport | None = None
    score = graph.score
    carried: IntArray | None = None
    while rounds < settings.max_rounds:
        rounds += 1
        transport = graph.transport(left_capacity, right_capacity, right_group, group_quota)
        score = graph.score
        with clock("solve"):
            solution = solve_transport(
                transport, maximize_matched=maximize_matched, price_hint=hint, known_flows=known_flows
            )
        total = float(np.sum(score[solution.chosen]))
        if carried is not None:
            # The last scan still bounds the pairs outside the graph under the new prices: when
            # that is within the tolerance, no new scan of all pairs is needed.
            carried_units = carried_bound(hint, carried, solution, left_capacity, right_capacity)
            if carried_units == 0 or carried_units * quantum <= settings.tolerance * max(abs(total), 1e-12):
                bound = float(carried_units) * quantum
                certified = carried_units == 0
                break
        hint = (solution.left_price, solution.right_price)
        with clock("certificate"):
            found = scan_round(
                source, (graph.left, graph.right), quantum, solution, left_capacity, right_capacity, per_row
            )
            # A bound on the score alone: the seat count and the group minimums met are already
            # the most any solution has (proven by _saturate, and the graph only grows).
            bound = float(found.bound) * quantum
            if not found.empty and bound > settings.tolerance * abs(total) > 0:
                # The simple bounds may be loose where the optimum is not: the exact cover of the
                # violations can save a whole round.
                bound = min(bound, float(cover_bound(found, left_capacity, right_capacity)) * quantum)
        if found.empty:
            certified = True
            bound = 0.0
            break
        if bound <= settings.tolerance * max(abs(total), 1e-12):
            break
        if graph.add(*found.pairs) == 0:
            break
        carried = found.residual
        per_row = min(2 * per_row, _MAX_PER_ROW)

    assert solution is not None and transport is not None
    chosen = solution.chosen
    return SearchResult(
        left=transport.left[chosen],
        right=transport.right[chosen],
        score=score[chosen],
        solution=solution,
        total=float(np.sum(score[chosen])),
        bound=bound,
        certified=certified,
        quantum=quantum,
        edges=len(transport.left),
        rounds=rounds,
        structure_rounds=structure_rounds,
        graph=(transport.left, transport.right),
        graph_score=score,
        estimates=(row_price, col_price),
        seconds=clock.seconds,
    )


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


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str) -> _Lap:
        return _Lap(self.seconds, name)


class _Lap:
    def __init__(self, seconds: dict[str, float], name: str):
        self.seconds, self.name = seconds, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds[self.name] = self.seconds.get(self.name, 0.0) + time.perf_counter() - self.start


class _Graph:
    """The growing candidate graph: unique allowed pairs, sorted, with exact and integer scores."""

    def __init__(self, source: PairSource, quantum: float):
        self.source = source
        self.quantum = quantum
        self.width = max(source.n_right, 1)
        self.keys = EMPTY
        self.score = np.zeros(0, dtype=np.float64)

    @property
    def left(self) -> IntArray:
        return self.keys // self.width

    @property
    def right(self) -> IntArray:
        return self.keys % self.width

    def add(self, left: IntArray, right: IntArray) -> int:
        """Add the allowed pairs among ``left``/``right`` that are new; return how many."""
        keys = sorted_unique(left.astype(np.int64) * self.width + right.astype(np.int64))
        keys = keys[~self.contains_keys(keys)]
        if len(keys) == 0:
            return 0
        score, allowed = self.source.exact(keys // self.width, keys % self.width)
        keys, score = keys[allowed], score[allowed]
        if len(keys) == 0:
            return 0
        # Sorted by (left, right) whatever order the pairs were found in, so the solver always sees
        # the same graph in the same order: that is what makes runs deterministic.
        merged = np.concatenate([self.keys, keys])
        order = np.argsort(merged, kind="stable")
        self.keys = merged[order]
        self.score = np.concatenate([self.score, score])[order]
        return len(keys)

    def adopt(self, left: IntArray, right: IntArray, score: FloatArray) -> None:
        """Start from another graph of the same source: its pairs (allowed, sorted by (left,
        right), unique) with their exact scores."""
        assert len(self.keys) == 0
        self.keys = left.astype(np.int64) * self.width + right.astype(np.int64)
        self.score = score.copy()

    def contains_keys(self, keys: IntArray) -> BoolArray:
        if len(self.keys) == 0:
            return np.zeros(len(keys), dtype=bool)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return self.keys[at] == keys

    def contains(self, left: IntArray, right: IntArray) -> BoolArray:
        return self.contains_keys(left.astype(np.int64) * self.width + right.astype(np.int64))

    def transport(
        self,
        left_capacity: IntArray,
        right_capacity: IntArray,
        right_group: IntArray | None,
        group_quota: IntArray | None,
    ) -> Transport:
        return Transport(
            n_left=self.source.n_left,
            n_right=self.source.n_right,
            left=self.left,
            right=self.right,
            profit=np.rint(self.score / self.quantum).astype(np.int64),
            left_capacity=left_capacity,
            right_capacity=right_capacity,
            right_group=right_group,
            group_quota=group_quota,
        )


def _sample_prices(
    source: PairSource, quantum: float, left_capacity: IntArray, right_capacity: IntArray, k: int
) -> tuple[FloatArray, FloatArray]:
    """Row and column price estimates from the optimal solution of an evenly spaced sample.

    The sample keeps the sides' proportions, so it is the whole market scaled down, and its dual
    prices are what being matched costs there. Samples up to ``_SAMPLE`` people a side are solved
    directly; larger ones (a quarter of each side) by :func:`search` itself, which prices its own
    candidates from a sample a quarter as large again. Everyone is then priced by *dual
    completion*: a column at the most any sampled row would pay for it over that row's price
    (``max_i s_ij - a_i``), a row at the most it could gain from a sampled column over that
    column's price. Equally attractive people get equal prices, so the per-pair tie-breaking, not
    the noise of an estimate, decides among them.
    """
    n_left, n_right = source.n_left, source.n_right
    if n_left == 0 or n_right == 0:
        return np.zeros(n_left), np.zeros(n_right)
    larger = max(n_left, n_right)
    fraction = _SAMPLE / larger if larger <= _SAMPLE / _SAMPLE_FRACTION else _SAMPLE_FRACTION
    rows = _spread(n_left, max(1, round(n_left * fraction)))
    cols = _spread(n_right, max(1, round(n_right * fraction)))
    if max(len(rows), len(cols)) <= _SAMPLE:
        values, allowed = source.subblock(rows, cols)
        left, right = np.nonzero(allowed)
        transport = Transport(
            n_left=len(rows),
            n_right=len(cols),
            left=left.astype(np.int64),
            right=right.astype(np.int64),
            profit=np.rint(values[left, right] / quantum).astype(np.int64),
            left_capacity=left_capacity[rows],
            right_capacity=right_capacity[cols],
        )
        sample = solve_transport(transport)
        sample_quantum = quantum
    else:
        result = search(
            source.restrict(rows, cols),
            left_capacity=left_capacity[rows],
            right_capacity=right_capacity[cols],
            settings=SearchSettings(k=k, tolerance=1e-3, max_rounds=3),
        )
        sample, sample_quantum = result.solution, result.quantum
    a, b = centred(sample.left_price, sample.right_price)
    a_value = a.astype(np.float64) * sample_quantum
    b_value = b.astype(np.float64) * sample_quantum
    col_price = _complete(source.restrict(rows, np.arange(n_right, dtype=np.int64)), a_value, n_right)
    row_price = _complete(source.restrict(np.arange(n_left, dtype=np.int64), cols), b_value, n_left, rows_side=True)
    return row_price, col_price


def _complete(part: PairSource, known: FloatArray, n: int, *, rows_side: bool = False) -> FloatArray:
    """Dual completion over ``part``: each free column's (or row's) best value against ``known``."""
    price = np.full(n, -np.inf)
    zero = EMPTY.astype(np.float64)
    blocks = part.scan(zero, known) if rows_side else part.scan(known, zero)
    for block in blocks:
        if rows_side:
            price[block.rows] = np.maximum(price[block.rows], block.values.max(axis=1, initial=-np.inf))
        else:
            price[block.cols] = np.maximum(price[block.cols], block.values.max(axis=0))
    # People no sampled partner may meet get the median price: nothing is known about them.
    unknown = ~np.isfinite(price)
    price[unknown] = np.median(price[~unknown]) if (~unknown).any() else 0.0
    return price


def _saturate(
    source: PairSource,
    graph: _Graph,
    *,
    left_capacity: IntArray,
    right_capacity: IntArray,
    maximize_matched: bool,
    right_group: IntArray | None,
    group_quota: IntArray | None,
    prices: tuple[FloatArray, FloatArray],
) -> tuple[int, tuple[int | None, int | None]]:
    """Grow the graph until its most group-minimum seats, then its most seats (when they count),
    are proven the most over every allowed pair (:mod:`twofold.matching.structure`).

    Each round is a max-flow of the graph and one search of the whole problem's residual network;
    a round that finds augmenting paths adds the pairs they cross, so the graph's maximum grows
    every round. Returns the number of rounds and the two proven maxima (None where not asked):
    the graph keeps them, as it only grows, so its solves need not count them again.
    """
    goals = []
    if group_quota is not None and int(group_quota.sum()) > 0:
        goals.append(True)
    if maximize_matched:
        goals.append(False)
    jitter = 1e-3 * max(source.score_bound / max(source.n_left, source.n_right, 1), graph.quantum)
    rounds = 0
    most: dict[bool, int] = {}
    for quota in goals:
        while True:
            rounds += 1
            flow = maximum_flow(graph.transport(left_capacity, right_capacity, right_group, group_quota), quota=quota)
            pairs = augmenting_pairs(
                source, flow, (graph.left, graph.right), row_price=prices[0], col_price=prices[1], jitter=jitter
            )
            if pairs is None:
                most[quota] = flow.value
                break
            if graph.add(*pairs) == 0:
                # Every pair found is allowed and outside the graph; adding none means the source's
                # block scores and its exact check disagree about what is allowed.
                raise RuntimeError("the pair source's allowed pairs are inconsistent")
    return rounds, (most.get(False), most.get(True))


def _spread(n: int, m: int) -> IntArray:
    """``m`` evenly spaced indices out of ``n`` (deterministic)."""
    return np.unique(np.linspace(0, n - 1, num=min(n, m)).round().astype(np.int64))


def _initial_candidates(
    source: PairSource, k: int, row_price: FloatArray, col_price: FloatArray, quantum: float
) -> tuple[IntArray, IntArray]:
    """One pass over ``s_ij - a_i - b_j`` (estimated prices): each row's top ``k`` and each
    column's top ``k`` (kept across blocks from each block's best rows).

    Ranking by the reduced score puts first the pairs complementary slackness says an optimum is
    made of; a row's own price does not change its ranking, nor a column's its own, so one matrix
    serves both directions.
    """
    jitter = 1e-3 * max(source.score_bound / max(source.n_left, source.n_right, 1), quantum)
    found_left: list[IntArray] = []
    found_right: list[IntArray] = []
    best_value = np.full((k, source.n_right), -np.inf)
    best_row = np.full((k, source.n_right), -1, dtype=np.int64)
    worst = np.full(source.n_right, -np.inf)
    for block in source.scan(row_price, col_price, jitter=jitter):
        r, c = top_k(block.values, k)
        found_left.append(block.rows[r])
        found_right.append(block.cols[c])
        # A column keeps its best rows of each block, as many as its share of the k it may hold:
        # ranked from the same row-major block (a transposed copy or product cost as much again).
        per_block = max(1, math.ceil(k * len(block.rows) / max(source.n_left, 1)))
        col_pos, row_pos = top_k_by_column(block.values, per_block)
        value = block.values[row_pos, col_pos].astype(np.float64)
        cols = block.cols[col_pos]
        # Only candidates that beat their column's current k-th best are merged in.
        improving = value > worst[cols]
        col_pos, row_pos, value, cols = col_pos[improving], row_pos[improving], value[improving], cols[improving]
        rank = np.arange(len(col_pos)) - np.searchsorted(col_pos, col_pos, side="left")
        for level in range(int(rank.max(initial=-1)) + 1):
            at = rank == level
            columns, picked, offer = cols[at], block.rows[row_pos[at]], value[at]
            slot = np.argmin(best_value[:, columns], axis=0)
            better = offer > best_value[slot, columns]
            best_value[slot[better], columns[better]] = offer[better]
            best_row[slot[better], columns[better]] = picked[better]
            worst[columns] = best_value[:, columns].min(axis=0)
    held = best_row >= 0
    found_left.append(best_row[held])
    found_right.append(np.broadcast_to(np.arange(source.n_right), best_row.shape)[held])
    return np.concatenate(found_left), np.concatenate(found_right)
