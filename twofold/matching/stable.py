"""Stable matching when participants rank each other: deferred acceptance with capacities.

When mentors and mentees (or sponsors and protégés) each rank the people they would accept, the
programme may prefer a *stable* matching - no two people who would both rather be with each other
than with (one of) their partners - to the best total score. :func:`stable_match` runs
Gale and Shapley's deferred acceptance with seats on both sides, either side proposing; the result
is the proposing side's optimal stable matching (for one-seat proposers, the classic
hospitals/residents setting; with seats on both sides it is pairwise stable). :func:`blocking_pairs`
checks any matching against the rankings.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sps
from numpy.typing import ArrayLike, NDArray

from twofold.matching import arguments

IntArray = NDArray[np.int64]
Preferences = Sequence[Sequence[int]]


@dataclass(frozen=True)
class StableMatching:
    """Pairs as an (m, 2) array of (left, right), sorted; ``proposals`` made along the way."""

    pairs: IntArray
    proposals: int
    proposing: Literal["left", "right"]


def stable_match(
    left_preferences: Preferences,
    right_preferences: Preferences,
    *,
    left_capacity: ArrayLike | None = None,
    right_capacity: ArrayLike | None = None,
    proposing: Literal["left", "right"] = "left",
) -> StableMatching:
    """Deferred acceptance. ``left_preferences[i]`` lists the right people i accepts, best first
    (and likewise for the right). A pair can only form when each lists the other.

    Each proposer proposes down their list while they have a free seat; each receiver holds the
    best proposals up to their seats and rejects the rest. Deterministic. O(total list length x
    log seats).
    """
    left_preferences, right_preferences = _preferences(left_preferences, right_preferences)
    left_cap = _capacity(left_capacity, len(left_preferences), "left_capacity")
    right_cap = _capacity(right_capacity, len(right_preferences), "right_capacity")
    if proposing == "left":
        held, proposals = _deferred_acceptance(left_preferences, right_preferences, left_cap, right_cap)
        pairs = [(p, q) for q, proposers in enumerate(held) for p in proposers]
    elif proposing == "right":
        held, proposals = _deferred_acceptance(right_preferences, left_preferences, right_cap, left_cap)
        pairs = [(q, p) for q, proposers in enumerate(held) for p in proposers]
    else:
        raise ValueError("proposing must be 'left' or 'right'")
    array = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    return StableMatching(pairs=array, proposals=proposals, proposing=proposing)


def blocking_pairs(
    pairs: ArrayLike,
    left_preferences: Preferences,
    right_preferences: Preferences,
    *,
    left_capacity: ArrayLike | None = None,
    right_capacity: ArrayLike | None = None,
) -> list[tuple[int, int]]:
    """Every (left, right) pair that blocks ``pairs``: both list each other, they are not paired,
    and each has a free seat or would rather have the other than their worst current partner.
    O(total list length)."""
    left_preferences, right_preferences = _preferences(left_preferences, right_preferences)
    left_cap = _capacity(left_capacity, len(left_preferences), "left_capacity")
    right_cap = _capacity(right_capacity, len(right_preferences), "right_capacity")
    pair_array = arguments.index_pairs(pairs, "pairs", len(left_preferences), len(right_preferences))
    left_rank = [{q: r for r, q in enumerate(prefs)} for prefs in left_preferences]
    right_rank = [{p: r for r, p in enumerate(prefs)} for prefs in right_preferences]
    partners_left: list[set[int]] = [set() for _ in left_preferences]
    partners_right: list[set[int]] = [set() for _ in right_preferences]
    for p, q in pair_array.tolist():
        partners_left[p].add(q)
        partners_right[q].add(p)

    def worst(ranks: dict[int, int], partners: set[int]) -> int:
        return max((ranks.get(x, len(ranks)) for x in partners), default=-1)

    left_worst = [worst(left_rank[p], partners_left[p]) for p in range(len(left_preferences))]
    right_worst = [worst(right_rank[q], partners_right[q]) for q in range(len(right_preferences))]
    blocking = []
    for p, prefs in enumerate(left_preferences):
        for rank, q in enumerate(prefs):
            if q in partners_left[p] or p not in right_rank[q]:
                continue
            left_wants = len(partners_left[p]) < left_cap[p] or rank < left_worst[p]
            right_wants = len(partners_right[q]) < right_cap[q] or right_rank[q][p] < right_worst[q]
            if left_wants and right_wants:
                blocking.append((p, q))
    return blocking


def is_stable(
    pairs: ArrayLike,
    left_preferences: Preferences,
    right_preferences: Preferences,
    *,
    left_capacity: ArrayLike | None = None,
    right_capacity: ArrayLike | None = None,
) -> bool:
    """True when no pair blocks ``pairs`` (see :func:`blocking_pairs`)."""
    return not blocking_pairs(
        pairs, left_preferences, right_preferences, left_capacity=left_capacity, right_capacity=right_capacity
    )


def preferences_from_scores(scores: ArrayLike) -> tuple[list[list[int]], list[list[int]]]:
    """Rankings both ways from a score matrix (NaN = unacceptable), best score first; ties go to
    the lower index so that the rankings are deterministic. O(n m log m).

    Like :func:`~twofold.matching.assign`, a masked entry of a NumPy masked array and an absent
    entry of a SciPy sparse matrix are unacceptable too.
    """
    checked = arguments.score_matrix(scores)
    if sps.issparse(checked):
        coo = sps.coo_array(checked)
        matrix = np.full(coo.shape, np.nan)
        matrix[coo.row, coo.col] = coo.data
    else:
        matrix = np.asarray(checked, dtype=np.float64)
    allowed = ~np.isnan(matrix)
    filled = np.where(allowed, matrix, -np.inf)
    left = []
    for row in range(matrix.shape[0]):
        order = np.lexsort((np.arange(matrix.shape[1]), -filled[row]))
        left.append([int(j) for j in order if allowed[row, j]])
    right = []
    for col in range(matrix.shape[1]):
        order = np.lexsort((np.arange(matrix.shape[0]), -filled[:, col]))
        right.append([int(i) for i in order if allowed[i, col]])
    return left, right


def _deferred_acceptance(
    proposer_prefs: Preferences, receiver_prefs: Preferences, proposer_cap: IntArray, receiver_cap: IntArray
) -> tuple[list[list[int]], int]:
    receiver_rank = [{p: r for r, p in enumerate(prefs)} for prefs in receiver_prefs]
    # Each receiver's held proposals as a max-heap on rank (negated), so the worst is on top.
    held: list[list[tuple[int, int]]] = [[] for _ in receiver_prefs]
    next_choice = [0] * len(proposer_prefs)
    seats_used = [0] * len(proposer_prefs)
    queue = deque(p for p in range(len(proposer_prefs)) if proposer_cap[p] > 0)
    proposals = 0
    while queue:
        p = queue.popleft()
        prefs = proposer_prefs[p]
        while seats_used[p] < proposer_cap[p] and next_choice[p] < len(prefs):
            q = prefs[next_choice[p]]
            next_choice[p] += 1
            rank = receiver_rank[q].get(p)
            if rank is None or receiver_cap[q] == 0:
                continue
            proposals += 1
            heap = held[q]
            if len(heap) < receiver_cap[q]:
                heapq.heappush(heap, (-rank, p))
                seats_used[p] += 1
            elif rank < -heap[0][0]:
                _, rejected = heapq.heapreplace(heap, (-rank, p))
                seats_used[p] += 1
                seats_used[rejected] -= 1
                queue.append(rejected)
    return [sorted(p for _, p in heap) for heap in held], proposals


def _capacity(value: ArrayLike | None, n: int, name: str) -> IntArray:
    return arguments.whole_numbers(1 if value is None else value, n, name)


def _preferences(left: Preferences, right: Preferences) -> tuple[list[list[int]], list[list[int]]]:
    """Both rankings as lists of ints, after checking each names people of the other side once."""
    for name, preferences in (("left_preferences", left), ("right_preferences", right)):
        if isinstance(preferences, str | bytes) or not isinstance(preferences, Sequence | np.ndarray):
            raise ValueError(f"{name} must be a list with one list of indices per person")
    return _ranking(left, len(right), "left_preferences"), _ranking(right, len(left), "right_preferences")


def _ranking(preferences: Preferences, n_other: int, name: str) -> list[list[int]]:
    out = []
    for person, prefs in enumerate(preferences):
        if isinstance(prefs, str | bytes) or not isinstance(prefs, Sequence | np.ndarray):
            raise ValueError(f"{name}[{person}] must be a list of indices, not {prefs!r}")
        indices = []
        for other in prefs:
            if not arguments.is_whole(other):
                raise ValueError(f"{name}[{person}] must hold whole-number indices, not {other!r}")
            if not 0 <= other < n_other:
                raise ValueError(f"{name}[{person}] names someone out of range: {other!r} (there are {n_other})")
            indices.append(int(other))
        if len(set(indices)) != len(indices):
            raise ValueError(f"{name}[{person}] lists someone twice")
        out.append(indices)
    return out
