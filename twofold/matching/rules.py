"""Hard rules between two eligible people, vectorised: no Python loop per pair at any size.

- level gap: the senior's level minus the junior's must lie in the policy's hard bounds;
- reporting chain: neither may be in the other's organisation (two interval tests, Euler tour);
- listed pairs: do-not-pair, previous pairs (unless the policy allows them) and pairs already
  locked (they are kept outside the optimisation and must not be chosen twice) - a sorted array
  of pair keys, looked up by binary search.
"""

from __future__ import annotations

import copy

import numpy as np
from numpy.typing import NDArray

from twofold.matching.participants import MatchProblem, Side
from twofold.matching.policy import Policy

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Why a listed pair is excluded (bit flags, a pair may be listed for several reasons).
DO_NOT_PAIR = 1
PREVIOUS = 2
LOCKED = 4


class PairRules:
    """The hard rules between ``left_index`` and ``right_index`` people of ``problem``.

    Indices passed to the methods are positions in those index arrays ("local" indices).
    """

    def __init__(self, problem: MatchProblem, left_index: IntArray, right_index: IntArray):
        self.policy = problem.policy
        self.n_left, self.n_right = len(left_index), len(right_index)
        self.left_level = problem.left.level[left_index]
        self.right_level = problem.right.level[right_index]
        self.tree = problem.tree
        self.left_node = problem.left.node[left_index]
        self.right_node = problem.right.node[right_index]
        self.sign = 1 if problem.policy.senior_is_left else -1
        # The level rule as a small table over the distinct levels, for whole blocks of pairs.
        levels = np.union1d(self.left_level, self.right_level)
        self.left_code = np.searchsorted(levels, self.left_level)
        self.right_code = np.searchsorted(levels, self.right_level)
        self.level_table = self._level_ok_values(levels[:, None], levels[None, :])

        to_left = np.full(len(problem.left), -1, dtype=np.int64)
        to_left[left_index] = np.arange(self.n_left)
        to_right = np.full(len(problem.right), -1, dtype=np.int64)
        to_right[right_index] = np.arange(self.n_right)
        lists = [(problem.do_not_pair, DO_NOT_PAIR), (problem.locked_pairs, LOCKED)]
        if not problem.policy.allow_previous_pairs:
            lists.append((problem.previous_pairs, PREVIOUS))
        keys: list[IntArray] = []
        flags: list[IntArray] = []
        for pairs, flag in lists:
            left, right = to_left[pairs[:, 0]], to_right[pairs[:, 1]]
            keep = (left >= 0) & (right >= 0)
            keys.append(left[keep] * max(self.n_right, 1) + right[keep])
            flags.append(np.full(int(keep.sum()), flag, dtype=np.int64))
        all_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        all_flags = np.concatenate(flags) if flags else np.zeros(0, dtype=np.int64)
        self.keys, inverse = np.unique(all_keys, return_inverse=True)
        self.flags = np.zeros(len(self.keys), dtype=np.int64)
        np.bitwise_or.at(self.flags, inverse, all_flags)

    def subset(self, rows: IntArray, cols: IntArray) -> PairRules:
        """The same rules among a subset of the people (local indices), for solving a sample."""
        part = copy.copy(self)
        part.n_left, part.n_right = len(rows), len(cols)
        part.left_level, part.right_level = self.left_level[rows], self.right_level[cols]
        part.left_node, part.right_node = self.left_node[rows], self.right_node[cols]
        part.left_code, part.right_code = self.left_code[rows], self.right_code[cols]
        to_row = np.full(self.n_left, -1, dtype=np.int64)
        to_row[rows] = np.arange(len(rows))
        to_col = np.full(self.n_right, -1, dtype=np.int64)
        to_col[cols] = np.arange(len(cols))
        left = to_row[self.keys // max(self.n_right, 1)]
        right = to_col[self.keys % max(self.n_right, 1)]
        keep = (left >= 0) & (right >= 0)
        keys = left[keep] * max(len(cols), 1) + right[keep]
        order = np.argsort(keys)
        part.keys, part.flags = keys[order], self.flags[keep][order]
        return part

    def forbidden_pairs(self) -> tuple[IntArray, IntArray]:
        """Every level-compatible pair that another rule forbids, as local (left, right) arrays.

        The chain pairs come from walking each person's managers (sum of depths, not n_left x
        n_right), the listed ones from the pair lists: a sparse mask for whole-matrix scans.
        """
        left: IntArray = self.keys // max(self.n_right, 1)
        right: IntArray = self.keys % max(self.n_right, 1)
        if self.tree is not None:
            chain_left, chain_right = self.tree.chain_pairs(self.left_node, self.right_node)
            left = np.concatenate([left, chain_left])
            right = np.concatenate([right, chain_right])
        keep = self.level_ok(left, right)
        return left[keep], right[keep]

    def gap(self, left: IntArray, right: IntArray) -> IntArray:
        """Senior's level minus junior's, elementwise."""
        return self.sign * (self.left_level[left] - self.right_level[right])

    def _level_ok_values(self, left_level: IntArray, right_level: IntArray) -> BoolArray:
        gap = self.sign * (left_level - right_level)
        ok = gap >= self.policy.min_level_gap
        if self.policy.max_level_gap is not None:
            ok &= gap <= self.policy.max_level_gap
        return np.asarray(ok, dtype=bool)

    def level_ok(self, left: IntArray, right: IntArray) -> BoolArray:
        return self.level_table[self.left_code[left], self.right_code[right]]

    def level_block(self, rows: IntArray, cols: IntArray) -> BoolArray:
        """:meth:`level_ok` for every pair of ``rows`` x ``cols``, via the level table."""
        return self.level_table[self.left_code[rows]][:, self.right_code[cols]]

    def right_level_range(self, left_level: int) -> tuple[float, float]:
        """Inclusive range of right-side levels a left person at ``left_level`` may pair with."""
        low_gap = self.policy.min_level_gap
        high_gap = np.inf if self.policy.max_level_gap is None else self.policy.max_level_gap
        if self.sign > 0:  # sponsor (left) senior: left - right in [low, high]
            return left_level - high_gap, left_level - low_gap
        return left_level + low_gap, left_level + high_gap

    def left_level_range(self, right_level: int) -> tuple[float, float]:
        """Inclusive range of left-side levels a right person at ``right_level`` may pair with."""
        low_gap = self.policy.min_level_gap
        high_gap = np.inf if self.policy.max_level_gap is None else self.policy.max_level_gap
        if self.sign > 0:  # sponsor (left) senior: left - right in [low, high]
            return right_level + low_gap, right_level + high_gap
        return right_level - high_gap, right_level - low_gap

    def same_chain(self, left: IntArray, right: IntArray) -> BoolArray:
        if self.tree is None:
            return np.zeros(np.broadcast(left, right).shape, dtype=bool)
        return self.tree.same_chain(self.left_node[left], self.right_node[right])

    def listed(self, left: IntArray, right: IntArray) -> IntArray:
        """Bit flags (:data:`DO_NOT_PAIR`, :data:`PREVIOUS`, :data:`LOCKED`) per pair; 0 = not listed."""
        left, right = np.broadcast_arrays(np.asarray(left), np.asarray(right))
        if len(self.keys) == 0:
            return np.zeros(left.shape, dtype=np.int64)
        keys = left.astype(np.int64) * max(self.n_right, 1) + right
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.flags[at], 0)

    def allowed(self, left: IntArray, right: IntArray) -> BoolArray:
        """Every hard rule at once, elementwise over pairs of local indices."""
        return self.level_ok(left, right) & ~self.same_chain(left, right) & (self.listed(left, right) == 0)

    def allowed_block(self, rows: IntArray, cols: IntArray) -> BoolArray:
        """:meth:`allowed` for every pair of ``rows`` x ``cols``, as a 2-D mask."""
        ok = self.level_block(rows, cols)
        if self.tree is not None:
            ok &= ~self.same_chain(rows[:, None], cols[None, :])
        if len(self.keys):
            ok &= self.listed(rows[:, None], cols[None, :]) == 0
        return ok


def eligibility(side: Side, policy: Policy, *, left: bool) -> tuple[BoolArray, list[str | None]]:
    """Who on a side may take part, and for everyone else the reason in words. O(n).

    Left (mentors, sponsors): level within ``left_levels`` and, for sponsors, at least the
    influence level. Right (mentees, protégés): level within ``right_levels`` and, when the policy
    requires it, flagged high potential. Everyone needs at least one seat.
    """
    n = len(side)
    ok = np.ones(n, dtype=bool)
    reasons: list[str | None] = [None] * n
    role = (
        ("mentor" if policy.kind == "reverse-mentoring" else "sponsor")
        if left
        else ("mentee" if policy.kind == "reverse-mentoring" else "protégé")
    )

    def fail(mask: BoolArray, text: str) -> None:
        for index in np.flatnonzero(mask & ok):
            reasons[index] = text.format(level=int(side.level[index]))
        ok[mask] = False

    levels = policy.left_levels if left else policy.right_levels
    if levels is not None:
        low, high = levels
        fail(
            (side.level < low) | (side.level > high),
            f"not eligible: level {{level}} is outside the {role} range {low}-{high}",
        )
    if left and policy.influence_level is not None:
        fail(
            side.level < policy.influence_level,
            f"not eligible: level {{level}} is below the influence level {policy.influence_level}",
        )
    if not left and policy.require_high_potential:
        fail(~side.high_potential, "not eligible: not flagged high potential")
    fail(side.capacity <= 0, "not eligible: no seats (capacity 0)")
    return ok, reasons
