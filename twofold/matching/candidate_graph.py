"""The candidate graph of :mod:`twofold.matching.candidates`: the few allowed pairs the search keeps.

:class:`CandidateGraph` holds them unique, sorted and exactly scored; :func:`initial_candidates`
fills it from one pass over all pairs ranked by estimated reduced score (step 2 of the search), and
:func:`saturate` grows it until its most seats and group-minimum seats are proven the most over
every allowed pair (step 3).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from twofold.matching.flow import Transport, maximum_flow
from twofold.matching.pairs import EMPTY, PairSource, sorted_unique, top_k, top_k_by_column
from twofold.matching.structure import augmenting_pairs

__all__ = ["CandidateGraph", "initial_candidates", "saturate"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


class CandidateGraph:
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


def initial_candidates(
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


def saturate(
    source: PairSource,
    graph: CandidateGraph,
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
