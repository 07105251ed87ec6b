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
   hard rule; then people left without a partner in every maximum matching of the graph get a
   few allowed pairs among themselves (the shortest augmenting paths).
3. **Solve** the graph exactly (:func:`twofold.matching.flow.solve_transport`), which also returns
   dual prices ``a``, ``b`` (chosen close to the estimates) and the nodes where an augmenting
   path could start or end.
4. **Certificate**, in one more pass: every pair outside the graph with reduced profit
   ``s_ij - a_i - b_j > 0``, and every allowed pair that would open an augmenting path. If there are
   none, the graph optimum is the optimum over all pairs (the duals are feasible for the full
   problem, and no more seats can be filled). Otherwise the violations bound what any other
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from twofold.matching.flow import Transport, TransportSolution, profit_limit, seat_loads, solve_transport

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
Values = NDArray[np.floating]

_EMPTY = np.zeros(0, dtype=np.int64)
# People per side in the sample whose exact solution prices the first candidate lists.
_SAMPLE = 700
_SAMPLE_FRACTION = 0.125
# Rounds and pairs per round of the repair of the first graph's seat count.
_REPAIR_ROUNDS = 6
_REPAIR_PAIRS = 1 << 24
# Most violating pairs added per row and round (the widening doubles k up to this).
_MAX_PER_ROW = 96
# Violations read per row and scan; beyond them a row is bounded by the smallest one read.
_SCAN_CAP = 32


@dataclass(frozen=True)
class Block:
    """Reduced scores of ``rows`` x ``cols`` (original indices); ``-inf`` where a cheap rule forbids."""

    rows: IntArray
    cols: IntArray
    values: Values
    values_t: Values | None = None  # the same values, columns x rows, when a scan asks for them


class PairSource(Protocol):
    """Every pair of a matching problem, on demand, never all at once (rows = left, cols = right)."""

    @property
    def n_left(self) -> int: ...

    @property
    def n_right(self) -> int: ...

    @property
    def score_bound(self) -> float:
        """An upper bound on ``|score|`` over allowed pairs."""
        ...

    @property
    def integral(self) -> bool:
        """True when every score is an integer (then no quantisation is needed)."""
        ...

    def margin(self, price_bound: float) -> float:
        """Largest error of a scanned reduced score when prices are at most ``price_bound``."""
        ...

    def exact(self, left: IntArray, right: IntArray) -> tuple[FloatArray, BoolArray]:
        """Exact scores of the given pairs and whether each pair passes every hard rule."""
        ...

    def scan(
        self, row_price: FloatArray, col_price: FloatArray, *, jitter: float = 0.0, transposed: bool = False
    ) -> Iterator[Block]:
        """All pairs in blocks of rows: ``score - row_price - col_price``, cheap rules as -inf.

        Empty price arrays mean zero prices. ``jitter > 0`` adds a fixed pseudo-random perturbation
        of at most ``jitter`` that differs per pair, so that rows rank tied partners differently.
        ``transposed`` also fills each block's ``values_t`` (contiguous columns x rows), for
        per-column work that would otherwise stride through memory.
        """
        ...

    def subblock(self, rows: IntArray, cols: IntArray) -> tuple[Values, BoolArray]:
        """Scores of ``rows`` x ``cols`` (``-inf`` where forbidden) and the exact allowed mask."""
        ...

    def restrict(self, rows: IntArray, cols: IntArray) -> PairSource:
        """The same pairs among a subset of rows and columns (same scores, same rules)."""
        ...


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
    graph: tuple[IntArray, IntArray] = (_EMPTY, _EMPTY)
    seconds: dict[str, float] = field(default_factory=dict)


def tie_breakers(n_left: int, n_right: int, rank: int = 4) -> tuple[FloatArray, FloatArray]:
    """Fixed pseudo-random factors whose product, in [-1, 1], breaks ties differently per pair."""
    rng = np.random.default_rng(20_240_601)
    scale = 1.0 / np.sqrt(rank)
    return (
        rng.uniform(-scale, scale, size=(n_left, rank)),
        rng.uniform(-scale, scale, size=(n_right, rank)),
    )


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
) -> SearchResult:
    """Find the optimal matching of ``source`` (see the module docstring for the method).

    ``seed_pairs`` adds known-good candidate pairs (e.g. a previous run's) to the first graph.
    Complexity per round: one scan of all pairs (O(n_left * n_right * features) BLAS work), one
    exact solve of the candidate graph (close to linear in its edges), O(edges log edges) upkeep.
    """
    settings = settings or SearchSettings()
    clock = _Clock()
    quantum = quantum_for(source.n_left, source.n_right, source.score_bound, source.integral)
    graph = _Graph(source, quantum)

    with clock("prices"):
        row_price, col_price = _sample_prices(source, quantum, left_capacity, right_capacity, settings.k)
        hint = (np.rint(row_price / quantum).astype(np.int64), np.rint(col_price / quantum).astype(np.int64))
    with clock("candidates"):
        graph.add(*_initial_candidates(source, settings.k, row_price, col_price, quantum))
        if seed_pairs is not None:
            graph.add(np.asarray(seed_pairs[0], dtype=np.int64), np.asarray(seed_pairs[1], dtype=np.int64))
    if maximize_matched:
        with clock("repair"):
            _repair(source, graph, left_capacity, right_capacity, settings.k)

    per_row = settings.widen
    bound = math.inf
    certified = False
    rounds = 0
    solution: TransportSolution | None = None
    transport: Transport | None = None
    score = graph.score
    while rounds < settings.max_rounds:
        rounds += 1
        transport = graph.transport(left_capacity, right_capacity, right_group, group_quota)
        score = graph.score
        with clock("solve"):
            solution = solve_transport(transport, maximize_matched=maximize_matched, price_hint=hint)
        hint = (solution.left_price, solution.right_price)
        with clock("certificate"):
            found = _scan_round(source, graph, solution, left_capacity, right_capacity, per_row, settings.k)
            total = float(np.sum(score[solution.chosen]))
            # The score bound assumes the seat count (and the group minimums met) cannot grow.
            bound = math.inf if found.structural else float(found.bound) * quantum
            if not found.structural and not found.empty and bound > settings.tolerance * abs(total) > 0:
                # The simple bounds may be loose where the optimum is not: the exact cover of the
                # violations can save a whole round.
                bound = min(bound, float(_cover_bound(found, left_capacity, right_capacity)) * quantum)
        if found.empty:
            certified = True
            bound = 0.0
            break
        if bound <= settings.tolerance * max(abs(total), 1e-12):
            break
        if graph.add(*found.pairs) == 0:
            break
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
        graph=(transport.left, transport.right),
        seconds=clock.seconds,
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
        self.keys = _EMPTY
        self.score = np.zeros(0, dtype=np.float64)

    @property
    def left(self) -> IntArray:
        return self.keys // self.width

    @property
    def right(self) -> IntArray:
        return self.keys % self.width

    def add(self, left: IntArray, right: IntArray) -> int:
        """Add the allowed pairs among ``left``/``right`` that are new; return how many."""
        keys = np.unique(left.astype(np.int64) * self.width + right.astype(np.int64))
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
    a, b = _centred(sample.left_price, sample.right_price)
    a_value = a.astype(np.float64) * sample_quantum
    b_value = b.astype(np.float64) * sample_quantum
    col_price = _complete(source.restrict(rows, np.arange(n_right, dtype=np.int64)), a_value, n_right)
    row_price = _complete(source.restrict(np.arange(n_left, dtype=np.int64), cols), b_value, n_left, rows_side=True)
    return row_price, col_price


def _complete(part: PairSource, known: FloatArray, n: int, *, rows_side: bool = False) -> FloatArray:
    """Dual completion over ``part``: each free column's (or row's) best value against ``known``."""
    price = np.full(n, -np.inf)
    zero = _EMPTY.astype(np.float64)
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


def _repair(source: PairSource, graph: _Graph, left_capacity: IntArray, right_capacity: IntArray, k: int) -> None:
    """Give people left without a partner in every maximum matching of the graph some options.

    Allowed pairs between people with free seats on both sides are the shortest augmenting paths;
    adding each one's best few (by score) is cheap and usually restores a full matching, so the
    exact solves and scans that follow work on a graph of the right shape.
    """
    for _ in range(_REPAIR_ROUNDS):
        transport = graph.transport(left_capacity, right_capacity, None, None)
        left_load, right_load = seat_loads(transport)
        free_left = np.flatnonzero(left_load < left_capacity)
        free_right = np.flatnonzero(right_load < right_capacity)
        if len(free_left) == 0 or len(free_right) == 0:
            return
        # Bound the work: an evenly spaced subset when both lists are long.
        limit = int(np.sqrt(_REPAIR_PAIRS))
        free_left = free_left[_spread(len(free_left), limit)] if len(free_left) > limit else free_left
        free_right = free_right[_spread(len(free_right), limit)] if len(free_right) > limit else free_right
        values, _ = source.subblock(free_left, free_right)
        r, c = _top_k(values, k)
        added = graph.add(free_left[r], free_right[c])
        r, c = _top_k(np.ascontiguousarray(values.T), k)
        added += graph.add(free_left[c], free_right[r])
        if added == 0:
            return


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
    for block in source.scan(row_price, col_price, jitter=jitter, transposed=True):
        r, c = _top_k(block.values, k)
        found_left.append(block.rows[r])
        found_right.append(block.cols[c])
        # A column keeps its best rows of each block, as many as its share of the k it may hold.
        per_block = max(1, math.ceil(k * len(block.rows) / max(source.n_left, 1)))
        by_column = block.values_t if block.values_t is not None else np.ascontiguousarray(block.values.T)
        if per_block == 1:
            col_pos = np.arange(by_column.shape[0])
            row_pos = np.argmax(by_column, axis=1)
        else:
            col_pos, row_pos = _top_k(by_column, per_block)
        value = by_column[col_pos, row_pos].astype(np.float64)
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


def _top_k(values: Values, k: int) -> tuple[IntArray, IntArray]:
    """Row and column positions of each row's ``k`` largest finite values.

    The values are first reduced to the maxima of (up to 64-wide) strided chunks: the ``k``
    chunks with the largest maxima hold a valid top ``k`` (every value outside them is at most the
    ``k``-th chunk maximum), so only ``64 k`` values per row are ranked exactly.
    """
    n_rows, n_cols = values.shape
    if n_rows == 0 or n_cols == 0:
        return _EMPTY, _EMPTY
    # (numpy's argpartition slows down badly on tie-heavy rows, so even narrow blocks use chunks.)
    width = min(64, n_cols // (4 * k))
    if width < 2 or n_cols < 256:
        cols = _argtop(values, k)
    else:
        stride = n_cols // width
        # Chunk c holds columns c, c + stride, c + 2 stride, ...: reducing over the middle axis
        # keeps memory access contiguous, which is several times faster than a last-axis reduce.
        body = values[:, : width * stride].reshape(n_rows, width, stride)
        chunk_max = body.max(axis=1)
        tail = np.arange(width * stride, n_cols)
        top_chunks = _argtop(chunk_max, k)
        within = (top_chunks[:, :, None] + stride * np.arange(width)[None, None, :]).reshape(n_rows, -1)
        within = np.concatenate([within, np.broadcast_to(tail, (n_rows, len(tail)))], axis=1)
        gathered = np.take_along_axis(values, within, axis=1)
        cols = np.take_along_axis(within, _argtop(gathered, k), axis=1)
    rows = np.broadcast_to(np.arange(n_rows)[:, None], cols.shape)
    keep = np.isfinite(values[rows, cols])
    return rows[keep].astype(np.int64), cols[keep].astype(np.int64)


def _argtop(values: Values, k: int) -> IntArray:
    if values.shape[1] <= k:
        return np.broadcast_to(np.arange(values.shape[1]), values.shape).astype(np.int64)
    return np.argpartition(values, values.shape[1] - k, axis=1)[:, -k:].astype(np.int64)


@dataclass(frozen=True)
class _Findings:
    """One certificate scan: pairs to add, and what the scan proves about the gap.

    ``bound`` (integer units) is the best of the row bound, the column bound and, when asked
    for, the cover bound; ``structural`` means more seats or minimums can be had, so no score
    bound holds yet; ``empty`` means the current solution is proven optimal.
    """

    pairs: tuple[IntArray, IntArray]
    bound: int
    structural: bool
    empty: bool
    violations: tuple[IntArray, IntArray, IntArray]
    floors: IntArray


def _scan_round(
    source: PairSource,
    graph: _Graph,
    solution: TransportSolution,
    left_capacity: IntArray,
    right_capacity: IntArray,
    per_row: int,
    k: int,
) -> _Findings:
    """One pass over all pairs against the solution's certificate.

    Finds (a) pairs outside the graph with integer reduced profit >= 1, (b) allowed pairs between
    the nodes where an augmenting path could start and end (more seats, or more group minimums),
    and the two simple bounds on what the violations could add: raising each row's price by its
    largest violation (row bound), or each column's (column bound). Scanned values are filtered
    with the source's error margin and every survivor is rechecked exactly.
    """
    quantum = graph.quantum
    a, b = _centred(solution.left_price, solution.right_price)
    row_price = a.astype(np.float64) * quantum
    col_price = b.astype(np.float64) * quantum
    price_bound = float(max(np.abs(row_price).max(initial=0.0), np.abs(col_price).max(initial=0.0)))
    margin = source.margin(price_bound)
    # A violator has integer reduced profit >= 1; its integer profit is its score rounded to the
    # quantum, so its scanned value is at least quantum / 2 - margin. Exact ties (reduced profit
    # 0, very common with tie-heavy scores) stay below this threshold.
    threshold = 0.5 * quantum - margin
    structure = [
        (rows, cols)
        for rows, cols in ((solution.grow_left, solution.grow_right), (solution.quota_left, solution.quota_right))
        if rows.any() and cols.any()
    ]
    found_left: list[IntArray] = []
    found_right: list[IntArray] = []
    all_left: list[IntArray] = []
    all_right: list[IntArray] = []
    all_reduced: list[IntArray] = []
    floors = np.zeros(source.n_left, dtype=np.int64)
    row_bound = 0
    structural = False
    cap = max(per_row, _SCAN_CAP)
    # Largest scanned reduced score per column. Pairs of the graph count too (chosen ones may be
    # above 0 with several seats): that only loosens the column bound, which stays valid.
    col_best = np.full(source.n_right, -np.inf)
    for block in source.scan(row_price, col_price):
        values = block.values
        col_best[block.cols] = np.maximum(col_best[block.cols], values.max(axis=0, initial=-np.inf))
        for grow_rows, grow_cols in structure:
            pairs = _opening_pairs(source, graph, block, grow_rows, grow_cols, k)
            if len(pairs[0]):
                structural = True
                found_left.append(pairs[0])
                found_right.append(pairs[1])
        hot = np.flatnonzero(values.max(axis=1, initial=-np.inf) > threshold)
        if len(hot) == 0:
            continue
        sub = values[hot] if len(hot) < len(values) else values
        r, c = _top_k(sub, cap)
        kept = sub[r, c] > threshold
        # A row whose best ``cap`` all pass may have more violators outside them, each at most the
        # smallest value kept: that bounds the row instead of an exact maximum.
        passing = np.bincount(r[kept], minlength=len(hot))
        floor = np.zeros(len(hot), dtype=np.int64)
        full = np.flatnonzero(passing >= cap)
        if len(full):
            smallest = np.full(len(hot), np.inf)
            np.minimum.at(smallest, r, sub[r, c].astype(np.float64))
            floor[full] = np.maximum(np.floor((smallest[full] + margin) / quantum + 0.5), 0).astype(np.int64)
        floors[block.rows[hot]] = floor
        r, c = r[kept], c[kept]
        left = block.rows[hot[r]]
        right = block.cols[c]
        score, allowed = source.exact(left, right)
        # Pairs already in the graph are priced by the solver itself (chosen ones may be > 0).
        allowed &= ~graph.contains(left, right)
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
            r, left, right = r[order], left[order], right[order]
            keep = np.arange(len(r)) - np.searchsorted(r, r, side="left") < per_row
            found_left.append(left[keep])
            found_right.append(right[keep])
    col_units = np.maximum(np.floor((col_best + margin) / quantum + 0.5), 0)
    col_units[~np.isfinite(col_units)] = 0
    col_bound = int(np.sum(col_units.astype(np.int64) * right_capacity))
    bound = min(row_bound, col_bound)
    violations = (
        np.concatenate(all_left) if all_left else _EMPTY,
        np.concatenate(all_right) if all_right else _EMPTY,
        np.concatenate(all_reduced) if all_reduced else _EMPTY,
    )
    if not found_left:
        return _Findings((_EMPTY, _EMPTY), bound, False, bound == 0, violations, floors)
    pairs = (np.concatenate(found_left), np.concatenate(found_right))
    return _Findings(pairs, bound, structural, False, violations, floors)


def _cover_bound(found: _Findings, left_capacity: IntArray, right_capacity: IntArray) -> int:
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
    solution = solve_transport(transport, maximize_matched=False)
    return paid + int(np.sum(rest[keep][solution.chosen]))


def _centred(a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
    """Shift prices by a constant (a + c, b - c leaves every a_i + b_j unchanged) to keep both small."""
    if len(a) == 0 or len(b) == 0:
        return a, b
    shift = (int(b.max()) - int(a.max())) // 2
    return a + shift, b - shift


def _opening_pairs(
    source: PairSource, graph: _Graph, block: Block, grow_rows: BoolArray, grow_cols: BoolArray, k: int
) -> tuple[IntArray, IntArray]:
    """Allowed pairs outside the graph from marked rows to marked columns of ``block``.

    Takes each marked row's best ``k`` marked columns by reduced score and keeps the allowed ones;
    a row whose best ``k`` are all forbidden although it has more candidates is checked exactly
    against all of them, so "none found" is a proof.
    """
    rows = np.flatnonzero(grow_rows[block.rows])
    cols = np.flatnonzero(grow_cols[block.cols])
    if len(rows) == 0 or len(cols) == 0:
        return _EMPTY, _EMPTY
    sub = block.values[np.ix_(rows, cols)]
    r, c = _top_k(sub, k)
    left, right = block.rows[rows[r]], block.cols[cols[c]]
    _, allowed = source.exact(left, right)
    allowed &= ~graph.contains(left, right)
    found_left, found_right = [left[allowed]], [right[allowed]]
    hit = np.zeros(len(rows), dtype=bool)
    hit[r[allowed]] = True
    unresolved = np.flatnonzero(~hit & (np.isfinite(sub).sum(axis=1) > k))
    if len(unresolved):
        full_rows = block.rows[rows[unresolved]]
        full_cols = block.cols[cols]
        _, mask = source.subblock(full_rows, full_cols)
        rr, cc = np.nonzero(mask)
        left, right = full_rows[rr], full_cols[cc]
        fresh = ~graph.contains(left, right)
        found_left.append(left[fresh])
        found_right.append(right[fresh])
    return np.concatenate(found_left), np.concatenate(found_right)
