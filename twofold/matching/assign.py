"""The assignment primitive: best total score under seat limits, from a score matrix.

``assign`` is the public, general-purpose entry point; the people-facing engine
(:mod:`twofold.matching.engine`) uses the same machinery with scores computed from features.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sps
from numpy.typing import ArrayLike, NDArray

from twofold.matching import arguments
from twofold.matching.candidates import (
    Block,
    SearchSettings,
    Values,
    quantum_for,
    search,
)
from twofold.matching.dense import solve_dense
from twofold.matching.flow import Transport, solve_transport

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

# Up to this many allowed pairs a dense matrix is solved as one graph; beyond it, the candidate
# search with its optimality certificate is faster (measured: 2,000 x 2,000 tie-heavy scores take
# 3.3 s as one graph) and keeps the solver's memory small.
DIRECT_PAIRS = 250_000
# Entries checked at once when a dense matrix is read (a block fits the processor's cache).
_CHECK_BLOCK = 1 << 16


@dataclass(frozen=True)
class AssignStats:
    """How the answer was found.

    ``certified`` is True when the result is proven optimal over every allowed pair (always, for
    sparse input and small dense input); otherwise ``bound`` is a proven upper bound on the score
    any other solution could add. Scores are solved as integer multiples of ``quantum`` (1 for
    integer scores), so a float total is optimal to within ``matched * quantum``.
    """

    solver: str
    method: str
    matched: int
    edges: int
    rounds: int
    certified: bool
    bound: float
    quantum: float
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Assignment:
    """Result of :func:`assign`: ``pairs`` is an (m, 2) array of (left, right) indices, sorted."""

    pairs: IntArray
    scores: FloatArray
    total: float
    stats: AssignStats

    def __len__(self) -> int:
        return len(self.pairs)


def assign(
    scores: ArrayLike | sps.spmatrix | sps.sparray,
    *,
    left_capacity: ArrayLike | None = None,
    right_capacity: ArrayLike | None = None,
    maximize_matched: bool = True,
    tolerance: float = 0.0,
    candidates: int | None = None,
) -> Assignment:
    """Choose pairs (row ``i``, column ``j``) maximising first the seats filled, then the total score.

    ``scores`` is either a dense 2-D array, where NaN (or, in a NumPy masked array, a masked entry)
    marks a pair that is not allowed, or a SciPy sparse matrix, where an absent entry marks a pair
    that is not allowed (a stored zero is an allowed pair scoring 0). Row ``i`` takes at most
    ``left_capacity[i]`` pairs and column ``j`` at most ``right_capacity[j]`` (default 1 each); a
    pair is chosen at most once.

    Objective, lexicographic: the number of pairs, then the sum of their scores. With
    ``maximize_matched=False`` only the total counts (pairs scoring <= 0 are then never worth it).
    The result is exact for integer scores; float scores are solved in integer units of
    ``stats.quantum`` (about 1e-8 of the largest score), so the total is within
    ``len(pairs) * stats.quantum`` of the optimum. Deterministic: equal input, equal output.

    Dense integer inputs with more than 250,000 allowed pairs but at most 1,000,000 pairs (2,000 on
    the smaller side) and one seat each are solved by SciPy's dense ``linear_sum_assignment``
    (``stats.method == "dense"``), exact. Larger dense inputs (or whenever ``candidates`` gives a number
    k > 0) are solved by the candidate search: each row's and column's top-k by price-adjusted
    score, solved exactly, then proven optimal over all pairs by the dual prices
    (``stats.certified``), or within ``tolerance`` (relative) when that is set above 0.
    ``candidates=0`` gives every allowed pair to the solver at once, whatever the size.

    Bad arguments raise ``ValueError`` naming the argument: capacities that are not whole numbers
    >= 0 (1.7, text), ``candidates`` below 0, a ``tolerance`` outside [0, 1) or NaN, infinite scores
    or scores so large that their total would be infinite.

    Complexity: O(E) to build the graph of E allowed pairs plus OR-Tools' cost-scaling solve
    (close to linear in E on such graphs); the candidate search costs one pass over the matrix per
    round (usually 1-3 rounds).
    """
    started = time.perf_counter()
    matrix = arguments.score_matrix(scores)
    if sps.issparse(matrix):
        source: _SparseInput | DenseSource = _SparseInput(matrix)
    else:
        source = DenseSource(np.asarray(matrix, dtype=np.float64))
    n_left, n_right = source.n_left, source.n_right
    left_cap = arguments.whole_numbers(
        1 if left_capacity is None else left_capacity, n_left, "left_capacity", per="row"
    )
    right_cap = arguments.whole_numbers(
        1 if right_capacity is None else right_capacity, n_right, "right_capacity", per="column"
    )
    maximize_matched = arguments.flag(maximize_matched, "maximize_matched")
    tolerance = arguments.tolerance(tolerance, "tolerance")
    if candidates is not None:
        candidates = arguments.whole_number(candidates, "candidates", minimum=0)
    arguments.total_fits(source.score_bound, int(min(left_cap.sum(), right_cap.sum(), n_left * n_right)))

    if isinstance(source, DenseSource) and (candidates or (candidates is None and source.n_allowed > DIRECT_PAIRS)):
        settings = SearchSettings(k=candidates or 24, tolerance=tolerance)
        # Small one-seat matrices: SciPy's exact dense solver (unless candidates were asked for).
        dense = solve_dense(source, left_cap, right_cap) if candidates is None and maximize_matched else None
        result = dense or search(
            source,
            left_capacity=left_cap,
            right_capacity=right_cap,
            maximize_matched=maximize_matched,
            settings=settings,
        )
        order = np.lexsort((result.right, result.left))
        pairs = np.column_stack([result.left[order], result.right[order]]).astype(np.int64)
        chosen_scores = result.score[order]
        stats = AssignStats(
            solver=result.solution.solver,
            method="dense" if dense is not None else "candidates",
            matched=len(pairs),
            edges=result.edges,
            rounds=result.rounds,
            certified=result.certified,
            bound=result.bound,
            quantum=result.quantum,
            seconds=time.perf_counter() - started,
            phases=result.seconds,
        )
        return Assignment(pairs=pairs, scores=chosen_scores, total=float(chosen_scores.sum()), stats=stats)

    left, right, score = source.all_pairs()
    quantum = quantum_for(n_left, n_right, source.score_bound, source.integral)
    transport = Transport(
        n_left=n_left,
        n_right=n_right,
        left=left,
        right=right,
        profit=np.rint(score / quantum).astype(np.int64),
        left_capacity=left_cap,
        right_capacity=right_cap,
    )
    solve_started = time.perf_counter()
    solution = solve_transport(transport, maximize_matched=maximize_matched, duals=False)
    chosen = solution.chosen
    pairs = np.column_stack([left[chosen], right[chosen]]).astype(np.int64)
    chosen_scores = score[chosen]
    stats = AssignStats(
        solver=solution.solver,
        method="graph",
        matched=len(pairs),
        edges=len(left),
        rounds=1,
        certified=True,
        bound=0.0,
        quantum=quantum,
        seconds=time.perf_counter() - started,
        phases={"solve": time.perf_counter() - solve_started},
    )
    return Assignment(pairs=pairs, scores=chosen_scores, total=float(chosen_scores.sum()), stats=stats)


class _SparseInput:
    """Sparse scores: every stored entry is an allowed pair."""

    def __init__(self, matrix: Any):
        coo = sps.coo_array(matrix, dtype=np.float64)
        coo.sum_duplicates()
        self.n_left, self.n_right = (int(d) for d in coo.shape)
        self.left = coo.row.astype(np.int64)
        self.right = coo.col.astype(np.int64)
        self.score = coo.data.astype(np.float64)
        if not np.all(np.isfinite(self.score)):
            raise ValueError("scores must be finite numbers (leave a pair out to forbid it)")
        self.score_bound = float(np.abs(self.score).max(initial=0.0))
        self.integral = bool(np.all(self.score == np.round(self.score)))

    def all_pairs(self) -> tuple[IntArray, IntArray, FloatArray]:
        order = np.lexsort((self.right, self.left))
        return self.left[order], self.right[order], self.score[order]


class DenseSource:
    """A dense score matrix as a :class:`~twofold.matching.candidates.PairSource` (NaN = forbidden)."""

    # Blocks of 2 M pairs (16 MB) stay in the processor's last-level cache through the several
    # passes of a scan (measured at 10,000 x 10,000: 4.0 s of processor time, 6.8 s with 16 M).
    def __init__(
        self,
        scores: FloatArray,
        *,
        block_pairs: int = 1 << 21,
        known: tuple[float, bool, BoolArray | None] | None = None,
    ):
        if scores.ndim != 2:
            raise ValueError("scores must be a 2-D array (rows = left, columns = right)")
        self.scores = scores
        self.block_pairs = block_pairs
        # Fixed pseudo-random tie-breakers: each row reads one column-noise vector from its own
        # cyclic offset, so rows rank tied columns in different orders (see :meth:`scan`).
        rng = np.random.default_rng(20_240_601)
        noise = rng.uniform(-1.0, 1.0, size=max(self.n_right, 1))
        self._noise = np.concatenate([noise, noise])
        self._offset = rng.integers(0, max(self.n_right, 1), size=self.n_left)
        # The allowed mask is kept only when something is forbidden; a full matrix needs none.
        self.allowed: BoolArray | None = None
        if known is not None:
            # A part of a checked matrix (:meth:`restrict`): its bound still bounds, its integers
            # are still integers, and its allowed mask is the part of the whole one.
            self._bound, self._integral, self.allowed = known
            self.n_allowed = int(self.allowed.sum()) if self.allowed is not None else scores.size
            return
        # One pass in blocks small enough to stay in the processor's cache, so that the few checks
        # per block cost little more than reading the matrix once (on a 10,000 x 10,000 matrix the
        # whole-matrix version - a masked copy, abs, round - took 8 s on this machine).
        flat = scores.reshape(-1) if scores.flags.c_contiguous else None
        step = max(1, _CHECK_BLOCK // max(scores.shape[1], 1))
        forbidden = 0
        bound = 0.0
        integral = True
        rounded = np.empty(min(scores.size, max(_CHECK_BLOCK, scores.shape[1])))
        starts = range(0, scores.size, _CHECK_BLOCK) if flat is not None else range(0, scores.shape[0], step)
        for start in starts:
            block = flat[start : start + _CHECK_BLOCK] if flat is not None else scores[start : start + step]
            # fmax / fmin skip NaN (a forbidden pair); an infinite score shows as an infinite bound.
            high, low = float(np.fmax.reduce(block, axis=None)), float(np.fmin.reduce(block, axis=None))
            if math.isnan(high):  # the whole block is forbidden
                forbidden += block.size
                continue
            bound = max(bound, abs(high), abs(low))
            missing = block.size - int(np.count_nonzero(block == block))
            forbidden += missing
            if integral:
                here = rounded[: block.size].reshape(block.shape)
                np.round(block, out=here)
                # NaN differs from itself: a block is integral when only its NaNs differ.
                integral = int(np.count_nonzero(block != here)) == missing
        if math.isinf(bound):
            raise ValueError("scores must be finite numbers or NaN (NaN = pair not allowed)")
        self.n_allowed = scores.size - forbidden
        if forbidden:
            self.allowed = ~np.isnan(scores)
        self._bound = bound
        self._integral = integral

    @property
    def n_left(self) -> int:
        return int(self.scores.shape[0])

    @property
    def n_right(self) -> int:
        return int(self.scores.shape[1])

    @property
    def score_bound(self) -> float:
        return self._bound

    @property
    def integral(self) -> bool:
        return self._integral

    def margin(self, price_bound: float) -> float:
        # Two float64 subtractions of numbers at most this large.
        return 1e-9 * (self._bound + 2 * price_bound + 1.0)

    def all_pairs(self) -> tuple[IntArray, IntArray, FloatArray]:
        left, right = np.nonzero(self._mask(slice(None)))
        return left.astype(np.int64), right.astype(np.int64), self.scores[left, right]

    def exact(self, left: IntArray, right: IntArray) -> tuple[FloatArray, BoolArray]:
        allowed = self.allowed[left, right] if self.allowed is not None else np.ones(len(left), dtype=bool)
        return self.scores[left, right], allowed

    def _mask(self, rows: slice) -> BoolArray:
        if self.allowed is not None:
            return self.allowed[rows]
        return np.ones(self.scores[rows].shape, dtype=bool)

    def scan(self, row_price: FloatArray, col_price: FloatArray, *, jitter: float = 0.0) -> Iterator[Block]:
        step = max(1, self.block_pairs // max(self.n_right, 1))
        cols = np.arange(self.n_right, dtype=np.int64)
        buffer = np.empty(min(self.n_left, step) * self.n_right)
        # The perturbation: row i adds ``jitter * noise[offset_i + j]`` to column j, one slice of a
        # doubled noise vector per row - a single pass over the block, where a rank-4 product of
        # per-row and per-column factors took eight (measured 0.9 s of 1.6 s per scan of
        # 10,000 x 10,000) and ranked ties alike for rows with similar factors.
        noise = jitter * self._noise if jitter else None
        width = self.n_right
        for start in range(0, self.n_left, step):
            stop = min(start + step, self.n_left)
            rows = np.arange(start, stop, dtype=np.int64)
            values = buffer[: len(rows) * self.n_right].reshape(len(rows), self.n_right)
            if len(row_price):
                np.subtract(self.scores[start:stop], row_price[start:stop, None], out=values)
            else:
                values[:] = self.scores[start:stop]
            if len(col_price):
                values -= col_price[None, :]
            if noise is not None:
                for position, offset in enumerate(self._offset[start:stop].tolist()):
                    values[position] += noise[offset : offset + width]
            if self.allowed is not None:
                values[~self.allowed[start:stop]] = -np.inf
            yield Block(rows=rows, cols=cols, values=values)

    def restrict(self, rows: IntArray, cols: IntArray) -> DenseSource:
        allowed = _part(self.allowed, rows, cols) if self.allowed is not None else None
        known = (self._bound, self._integral, allowed)
        return DenseSource(_part(self.scores, rows, cols), block_pairs=self.block_pairs, known=known)

    def subblock(self, rows: IntArray, cols: IntArray) -> tuple[Values, BoolArray]:
        values = self.scores[np.ix_(rows, cols)]
        if self.allowed is None:
            return values, np.ones(values.shape, dtype=bool)
        allowed = self.allowed[np.ix_(rows, cols)]
        values[~allowed] = -np.inf
        return values, allowed


def _part(matrix: NDArray[Any], rows: IntArray, cols: IntArray) -> NDArray[Any]:
    """``matrix[np.ix_(rows, cols)]``, by a gather along one axis when the other is whole (the
    price sample's completions take every row or every column: measured 3x faster)."""
    if len(rows) == matrix.shape[0] and np.array_equal(rows, np.arange(matrix.shape[0])):
        return np.take(matrix, cols, axis=1)
    if len(cols) == matrix.shape[1] and np.array_equal(cols, np.arange(matrix.shape[1])):
        return np.take(matrix, rows, axis=0)
    return matrix[np.ix_(rows, cols)]
