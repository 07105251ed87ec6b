"""Pair scores from people's features, exact in integers, computed for all pairs by BLAS products.

Every score component is bilinear in the two people's features, so one (n_left x D) matrix ``X``
and one (n_right x D) matrix ``Y`` give every pair's score as ``X[i] @ Y[j]`` - a whole block of
pairs is one matrix product. Components (each in [0, 1]) and their features:

- ``skills``: sum over skills of the mentor's teaching strength (proficiency / 4) times the share of
  the partner's learning wishes that skill is (wishes weighted by room to grow): the fraction of
  what the partner wants that this mentor can teach, and how well;
- ``aspiration``: 1 when the protégé's aspiration is the sponsor's domain;
- ``cross_department`` / ``cross_location``: 1 when both are known and differ;
- ``level_gap``: the policy's fit of the level gap (1 inside the preferred band);
- ``availability``: the share of each one's time slots the other also has, averaged over the two
  (1 when both have the same slots, 0 when they share none or either is unknown);
- ``network``: the sponsor's organisation size on a log scale (a left-only term).

**Exact integers.** Each component is held as an integer numerator over ``DENOMINATOR`` and each
weight, exactly as written (at most four decimals, see :class:`~twofold.matching.policy.Weights`),
as a whole number of ``1 / weight_steps``, the least common denominator of the weights; features
are integers, so every product and partial sum is an integer. Ties are then true ties, the
optimality certificate needs no error margin, and results do not depend on the BLAS library or its
thread count. Scans use float32 while every partial sum stays below 2**24 (where float32 is exact)
and float64 above it. A score point is ``unit`` integer units. Weights that would need more units
than the exact solver takes for the problem's size are refused, never rounded.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps
from numpy.typing import NDArray

from twofold.matching.candidates import Block, Values, tie_breakers
from twofold.matching.flow import arcs_leaving, profit_limit
from twofold.matching.participants import MatchProblem
from twofold.matching.policy import COMPONENTS, PolicyError
from twofold.matching.rules import PairRules

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

# 7! = 5040: divisible by every whole number up to 10 and by twice each of them, so that level-gap
# fits and availability shares of up to 10 slots (the product's week) are exact.
DENOMINATOR = 5040
_HALF = DENOMINATOR // 2
_SKILL_SHARE = DENOMINATOR // 4  # teaching strength is an integer 0..4
_EXACT_FLOAT32 = 1 << 24


@dataclass(frozen=True)
class _Component:
    name: str
    columns: slice


class Scorer:
    """Integer features of the eligible people of a problem; see the module docstring.

    ``left_index``/``right_index`` select (and order) the people who take part; the methods take
    local indices (positions in those arrays).
    """

    def __init__(self, problem: MatchProblem, left_index: IntArray, right_index: IntArray):
        policy = problem.policy
        left, right = problem.left.subset(left_index), problem.right.subset(right_index)
        self.n_left, self.n_right = len(left), len(right)
        # Each weight is an exact fraction (0.4 = 2/5); counting them in steps of 1 / (the least
        # common denominator) makes every weight a whole number of steps, so the objective and the
        # explanation use the weights exactly as the programme set them.
        exact = policy.weights.exact()
        self.weight_steps = math.lcm(*(weight.denominator for weight in exact.values()))
        self.weight_units = {name: int(weight * self.weight_steps) for name, weight in exact.items()}
        self.weights = policy.weights.as_dict()
        self.unit = DENOMINATOR * self.weight_steps
        self.max_score = DENOMINATOR * sum(self.weight_units.values())
        limit = profit_limit(self.n_left, self.n_right)
        if self.max_score > limit:
            raise PolicyError(
                [
                    f"weights: in whole steps of 1/{self.weight_steps} they add up to "
                    f"{sum(self.weight_units.values()):,} steps, too many for exact scores of "
                    f"{self.n_left:,} x {self.n_right:,} people (at most {limit // DENOMINATOR:,}); "
                    "give the weights fewer decimal places or a smaller total"
                ]
            )

        left_parts: list[NDArray[np.float64]] = []
        right_parts: list[NDArray[np.float64]] = []
        self.components: list[_Component] = []

        def add(name: str, x: NDArray[np.float64], y: NDArray[np.float64]) -> None:
            if self.weight_units[name] == 0 or x.shape[1] == 0:
                return
            start = sum(part.shape[1] for part in left_parts)
            left_parts.append(x)
            right_parts.append(y * self.weight_units[name])
            self.components.append(_Component(name, slice(start, start + x.shape[1])))

        add("skills", *_skill_features(left.teach, right.learn))
        add("aspiration", *_equal_features(left.domain, right.aspiration, DENOMINATOR))
        add("cross_department", *_differ_features(left.department, right.department))
        add("cross_location", *_differ_features(left.location, right.location))
        add("level_gap", *_level_features(left.level, right.level, policy.gap_fit, policy.senior_is_left))
        add("availability", *_availability_features(left.availability, right.availability))
        if problem.tree is not None:
            add("network", *_network_features(problem.tree.subtree_size(left.node), self.n_right))
        width = sum(part.shape[1] for part in left_parts)
        self.x = np.hstack(left_parts) if left_parts else np.zeros((self.n_left, 0))
        self.y = np.hstack(right_parts) if right_parts else np.zeros((self.n_right, 0))
        self.x = self.x.reshape(self.n_left, width)
        self.y = self.y.reshape(self.n_right, width)
        # Largest |partial sum| of any pair's product: below 2**24 means float32 is exact.
        abs_x, abs_y = np.abs(self.x), np.abs(self.y)
        self.magnitude = float(
            min(
                (abs_y @ abs_x.max(axis=0, initial=0)).max(initial=0),
                (abs_x @ abs_y.max(axis=0, initial=0)).max(initial=0),
            )
        )

    def sliced(self, rows: IntArray, cols: IntArray) -> Scorer:
        """The same scores for a subset of the people (local indices), for solving a sample."""
        part = copy.copy(self)
        part.x, part.y = self.x[rows], self.y[cols]
        part.n_left, part.n_right = len(rows), len(cols)
        return part

    def score_units(self, left: IntArray, right: IntArray) -> FloatArray:
        """Exact integer scores (as float64) of pairs of local indices. O(pairs x features)."""
        out = np.empty(len(left), dtype=np.float64)
        step = 1 << 18
        for start in range(0, len(left), step):
            li, rj = left[start : start + step], right[start : start + step]
            out[start : start + step] = np.einsum("ij,ij->i", self.x[li], self.y[rj])
        return out

    def breakdown(self, left: IntArray, right: IntArray) -> dict[str, FloatArray]:
        """Each component's value in [0, 1] for the given pairs (0 for unused components)."""
        values = {name: np.zeros(len(left)) for name in COMPONENTS}
        for component in self.components:
            columns = component.columns
            units = np.einsum("ij,ij->i", self.x[left, columns], self.y[right, columns])
            values[component.name] = units / (self.weight_units[component.name] * DENOMINATOR)
        return values


def _skill_features(teach: sps.csr_array, learn: sps.csr_array) -> tuple[FloatArray, FloatArray]:
    """Teaching strength as 0..4, learning wishes as integer shares summing to DENOMINATOR / 4 per person."""
    used = np.flatnonzero((teach.count_nonzero(axis=0) > 0) & (learn.count_nonzero(axis=0) > 0))
    strength = np.rint(teach[:, used].toarray() * 4)
    wish = learn.toarray()
    total = wish.sum(axis=1, keepdims=True)
    share = _largest_remainder(np.divide(wish, total, out=np.zeros_like(wish), where=total > 0) * _SKILL_SHARE)
    return strength, share[:, used]


def _largest_remainder(values: FloatArray) -> FloatArray:
    """Round each row to integers that keep the row's (integer) total."""
    floor = np.floor(values)
    missing = np.rint(values.sum(axis=1) - floor.sum(axis=1)).astype(np.int64)
    if missing.max(initial=0) <= 0:
        return floor
    order = np.argsort(-(values - floor), axis=1, kind="stable")
    bump = np.arange(values.shape[1])[None, :] < missing[:, None]
    rows = np.broadcast_to(np.arange(values.shape[0])[:, None], order.shape)
    floor[rows[bump], order[bump]] += 1
    return floor


def _shared_codes(left: IntArray, right: IntArray) -> IntArray:
    return np.intersect1d(left[left >= 0], right[right >= 0])


def _one_hot(codes: IntArray, vocabulary: IntArray) -> FloatArray:
    return (codes[:, None] == vocabulary[None, :]).astype(np.float64)


def _equal_features(left: IntArray, right: IntArray, value: int) -> tuple[FloatArray, FloatArray]:
    shared = _shared_codes(left, right)
    return _one_hot(left, shared), _one_hot(right, shared) * value


def _differ_features(left: IntArray, right: IntArray) -> tuple[FloatArray, FloatArray]:
    """``[known_i, onehot_i] . [K known_j, -K onehot_j]``: K when both are known and differ."""
    shared = _shared_codes(left, right)
    x = np.hstack([(left >= 0)[:, None].astype(np.float64), _one_hot(left, shared)])
    y = np.hstack([(right >= 0)[:, None] * float(DENOMINATOR), -DENOMINATOR * _one_hot(right, shared)])
    return x, y


def _level_features(
    left: IntArray, right: IntArray, fit: Callable[[int], float], senior_is_left: bool
) -> tuple[FloatArray, FloatArray]:
    """One-hot of the left level against the fit table's row for the right level."""
    left_levels, right_levels = np.unique(left), np.unique(right)
    table = np.array(
        [
            [round(DENOMINATOR * fit(int(a - b) if senior_is_left else int(b - a))) for b in right_levels]
            for a in left_levels
        ],
        dtype=np.float64,
    ).reshape(len(left_levels), len(right_levels))
    x = _one_hot(left, left_levels)
    y = table[:, np.searchsorted(right_levels, right)].T if len(right_levels) else np.zeros((len(right), 0))
    return x, y.reshape(len(right), len(left_levels))


def _availability_features(left: NDArray[np.uint64], right: NDArray[np.uint64]) -> tuple[FloatArray, FloatArray]:
    """The share of each one's slots the other also has, averaged over the two, in 1/DENOMINATOR.

    ``shared / |A| / 2 + shared / |B| / 2`` is bilinear: ``[bits_A * h / |A|, bits_A]`` times
    ``[bits_B, bits_B * h / |B|]`` with ``h = DENOMINATOR / 2``. Each ``h / count`` is rounded
    down, so the value never exceeds 1, and is exact whenever the count divides ``h`` (2,520: any
    count up to 10, and 12, 14, 15, 18, 20, 21, 24, ...): two people with the same slots score 1.
    """
    used = np.flatnonzero(
        _bits(np.bitwise_or.reduce(left, initial=np.uint64(0)) & np.bitwise_or.reduce(right, initial=np.uint64(0)))
    )
    if len(used) == 0:
        return np.zeros((len(left), 0)), np.zeros((len(right), 0))

    def bits_and_scaled(masks: NDArray[np.uint64]) -> tuple[FloatArray, FloatArray]:
        bits = ((masks[:, None] >> used.astype(np.uint64)[None, :]) & np.uint64(1)).astype(np.float64)
        count = np.array([int(m).bit_count() for m in masks], dtype=np.int64)
        factor = np.where(count > 0, _HALF // np.maximum(count, 1), 0).astype(np.float64)
        return bits, bits * factor[:, None]

    left_bits, left_scaled = bits_and_scaled(left)
    right_bits, right_scaled = bits_and_scaled(right)
    return np.hstack([left_scaled, left_bits]), np.hstack([right_bits, right_scaled])


def _bits(mask: np.uint64) -> NDArray[np.bool_]:
    return np.array([(int(mask) >> bit) & 1 for bit in range(64)], dtype=bool)


def _network_features(size: IntArray, n_right: int) -> tuple[FloatArray, FloatArray]:
    """log(1 + people below the sponsor), scaled to [0, DENOMINATOR] over the sponsors at hand."""
    below = np.maximum(size - 1, 0).astype(np.float64)
    top = np.log1p(below.max(initial=0.0))
    reach = np.floor(DENOMINATOR * np.log1p(below) / top) if top > 0 else np.zeros_like(below)
    return reach[:, None], np.ones((n_right, 1))


class FeatureSource:
    """All pairs of eligible people, scored by a :class:`Scorer` and checked by :class:`PairRules`.

    Implements :class:`~twofold.matching.candidates.PairSource`. Rows and columns are scanned in
    level order so that the level-gap rule selects a contiguous range of columns for each block:
    forbidden-by-level pairs are never computed. The few pairs other rules forbid are masked in
    each block from a precomputed sparse list, so scans apply every hard rule exactly.
    """

    def __init__(
        self,
        scorer: Scorer,
        rules: PairRules,
        *,
        block_pairs: int = 1 << 25,
        forbidden: tuple[IntArray, IntArray] | None = None,
    ):
        self.scorer = scorer
        self.rules = rules
        self.block_pairs = block_pairs
        self.row_order = np.argsort(rules.left_level, kind="stable").astype(np.int64)
        self.col_order = np.argsort(rules.right_level, kind="stable").astype(np.int64)
        self.col_levels = rules.right_level[self.col_order]
        self._noise = tie_breakers(scorer.n_left, scorer.n_right)
        # Pairs forbidden by the reporting chain or a pair list (walking every chain once, here or
        # in the source this one restricts), in scan order (row position, column position), so
        # each block masks its few with one scatter.
        self.forbidden = rules.forbidden_pairs() if forbidden is None else forbidden
        left, right = self.forbidden
        row_position = np.empty(self.n_left, dtype=np.int64)
        row_position[self.row_order] = np.arange(self.n_left)
        col_position = np.empty(self.n_right, dtype=np.int64)
        col_position[self.col_order] = np.arange(self.n_right)
        # One sort of combined keys: a two-key lexsort of the millions of chain pairs of a deep
        # organisation took 3 of 15 s.
        width = max(self.n_right, 1)
        keys = np.sort(row_position[left] * width + col_position[right])
        self.forbidden_row = keys // width
        self.forbidden_col = keys % width
        # The same pairs by row (local indices), for sub-blocks of any rows and columns: masking a
        # few listed pairs is far cheaper than testing every pair of a block against the tree.
        self._row_position = row_position
        self._forbidden_start = np.searchsorted(self.forbidden_row, np.arange(self.n_left + 1))
        self._forbidden_partner = self.col_order[self.forbidden_col]
        self._forbidden_ids = np.arange(len(keys), dtype=np.int64)

    @property
    def n_left(self) -> int:
        return self.scorer.n_left

    @property
    def n_right(self) -> int:
        return self.scorer.n_right

    @property
    def score_bound(self) -> float:
        return float(self.scorer.max_score)

    @property
    def integral(self) -> bool:
        return True

    def margin(self, price_bound: float) -> float:
        # Integer features and integer prices: scans are exact (float32 while every partial sum
        # stays below 2**24, float64 otherwise), so no margin is needed.
        return 0.0

    def exact(self, left: IntArray, right: IntArray) -> tuple[FloatArray, BoolArray]:
        return self.scorer.score_units(left, right), self.rules.allowed(left, right)

    def restrict(self, rows: IntArray, cols: IntArray) -> FeatureSource:
        to_row = np.full(self.n_left, -1, dtype=np.int64)
        to_row[rows] = np.arange(len(rows))
        to_col = np.full(self.n_right, -1, dtype=np.int64)
        to_col[cols] = np.arange(len(cols))
        left, right = to_row[self.forbidden[0]], to_col[self.forbidden[1]]
        inside = (left >= 0) & (right >= 0)
        return FeatureSource(
            self.scorer.sliced(rows, cols),
            self.rules.subset(rows, cols),
            block_pairs=self.block_pairs,
            forbidden=(left[inside], right[inside]),
        )

    def subblock(self, rows: IntArray, cols: IntArray) -> tuple[Values, BoolArray]:
        values = self.scorer.x[rows] @ self.scorer.y[cols].T
        allowed = self.rules.level_block(rows, cols)
        # Every other rule's pairs are in the forbidden list: mask those among rows x cols.
        position = self._row_position[rows]
        starts = self._forbidden_start[position]
        counts = self._forbidden_start[position + 1] - starts
        entries = arcs_leaving(self._forbidden_ids, self._forbidden_start, position)
        col_at = np.full(self.n_right, -1, dtype=np.int64)
        col_at[cols] = np.arange(len(cols))
        at = col_at[self._forbidden_partner[entries]]
        block_row = np.repeat(np.arange(len(rows)), counts)
        inside = at >= 0
        allowed[block_row[inside], at[inside]] = False
        values[~allowed] = -np.inf
        return values, allowed

    def scan(self, row_price: FloatArray, col_price: FloatArray, *, jitter: float = 0.0) -> Iterator[Block]:
        x, y = self.scorer.x, self.scorer.y
        rows_all, cols_all = self.row_order, self.col_order
        row_price = row_price if len(row_price) else np.zeros(self.n_left)
        col_price = col_price if len(col_price) else np.zeros(self.n_right)
        exact_prices = jitter == 0 and _integers(row_price) and _integers(col_price)
        price_size = float(np.abs(row_price).max(initial=0) + np.abs(col_price).max(initial=0))
        dtype = np.float32 if (not exact_prices or self.scorer.magnitude + price_size < _EXACT_FLOAT32) else np.float64
        # Prices ride along as two more feature columns: [x, -a, 1] . [y, 1, -b] = s - a - b.
        extra_x = [-row_price[:, None], np.ones((self.n_left, 1))]
        extra_y = [np.ones((self.n_right, 1)), -col_price[:, None]]
        if jitter:
            extra_x.append(self._noise[0])
            extra_y.append(jitter * self._noise[1])
        left = np.hstack([x, *extra_x])[rows_all].astype(dtype)
        right_t = np.ascontiguousarray(np.hstack([y, *extra_y])[cols_all].T.astype(dtype))
        levels = self.rules.left_level[rows_all]
        step = max(1, self.block_pairs // max(self.n_right, 1))
        buffer: Values = np.empty(min(self.block_pairs, step * self.n_right), dtype=dtype)
        for start, stop in _level_runs(levels, step):
            low, high = self.rules.right_level_range(int(levels[start]))
            c0 = int(np.searchsorted(self.col_levels, low, side="left"))
            c1 = int(np.searchsorted(self.col_levels, high, side="right"))
            if c1 <= c0:
                continue
            # One buffer for every block: allocating a fresh 100+ MB array per block costs more
            # than the product itself (page faults), measured 2.5x on this machine.
            values = buffer[: (stop - start) * (c1 - c0)].reshape(stop - start, c1 - c0)
            np.matmul(left[start:stop], right_t[:, c0:c1], out=values)
            f0, f1 = np.searchsorted(self.forbidden_row, [start, stop])
            fr, fc = self.forbidden_row[f0:f1], self.forbidden_col[f0:f1]
            inside = (fc >= c0) & (fc < c1)
            values[fr[inside] - start, fc[inside] - c0] = -np.inf
            yield Block(rows=rows_all[start:stop], cols=cols_all[c0:c1], values=values)


def _integers(values: FloatArray) -> bool:
    return bool(np.all(values == np.round(values)))


def _level_runs(levels: IntArray, step: int) -> Iterator[tuple[int, int]]:
    """Blocks of at most ``step`` consecutive rows that share one level."""
    bounds = np.flatnonzero(np.diff(levels)) + 1
    edges = [0, *bounds.tolist(), len(levels)]
    for begin, end in itertools.pairwise(edges):
        for start in range(begin, end, step):
            yield start, min(start + step, end)
