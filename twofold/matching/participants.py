"""The engine's input: two sides of people as arrays, the org tree, a policy and pair lists.

Everything is arrays so that 50,000 people cost megabytes, not a Python object each. Codes
(department, location, aspiration, domain, group) are small integers shared by both sides, ``-1``
meaning unknown; skills are columns of sparse matrices shared by both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sps
from numpy.typing import ArrayLike, NDArray

from twofold.matching.policy import Policy
from twofold.matching.tree import ReportingTree

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Side:
    """One side of a programme: mentors or sponsors (left), mentees or protégés (right).

    ``teach[i, s]`` is how well person i can teach skill s, in (0, 1] (proficiency / 4; absent =
    cannot teach); ``learn[i, s]`` is how much i wants to learn s, in (0, 1] (1 - proficiency / 5,
    so a novice's wish weighs most; absent = no wish). ``availability`` is a bitmask of time slots
    (0 = unknown). ``domain`` is where a sponsor can open doors (their department unless given);
    ``aspiration`` is the domain a protégé aims for. ``node`` is the person's index in the
    problem's reporting tree (-1 = not in it).
    """

    ids: NDArray[Any]
    level: IntArray
    capacity: IntArray
    department: IntArray
    location: IntArray
    teach: sps.csr_array
    learn: sps.csr_array
    availability: NDArray[np.uint64]
    aspiration: IntArray
    domain: IntArray
    node: IntArray
    group: IntArray
    high_potential: BoolArray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_skills(self) -> int:
        return int(self.teach.shape[1])

    @classmethod
    def create(
        cls,
        ids: ArrayLike,
        *,
        level: ArrayLike,
        n_skills: int = 0,
        capacity: ArrayLike | int = 1,
        department: ArrayLike | None = None,
        location: ArrayLike | None = None,
        teach: Any = None,
        learn: Any = None,
        availability: ArrayLike | None = None,
        aspiration: ArrayLike | None = None,
        domain: ArrayLike | None = None,
        node: ArrayLike | None = None,
        group: ArrayLike | None = None,
        high_potential: ArrayLike | None = None,
    ) -> Side:
        """Build a side, filling what is not given with "unknown" and checking every shape."""
        id_array = np.asarray(ids, dtype=object)
        n = len(id_array)

        def codes(value: ArrayLike | None, name: str, default: int = -1) -> IntArray:
            if value is None:
                return np.full(n, default, dtype=np.int64)
            array = np.asarray(value)
            if array.ndim == 0:
                array = np.full(n, array)
            if array.shape != (n,):
                raise ValueError(f"{name} must have one entry per person ({n}), not shape {array.shape}")
            return array.astype(np.int64)

        def skills(value: Any, name: str) -> sps.csr_array:
            if value is None:
                return sps.csr_array((n, n_skills), dtype=np.float64)
            matrix = sps.csr_array(value, dtype=np.float64)
            if matrix.shape != (n, n_skills):
                raise ValueError(f"{name} must be people x skills ({n} x {n_skills}), not {matrix.shape}")
            matrix.eliminate_zeros()
            if matrix.nnz and (matrix.data.min() < 0 or matrix.data.max() > 1):
                raise ValueError(f"{name} values must be in (0, 1]")
            return matrix

        department_codes = codes(department, "department")
        capacity_array = codes(capacity, "capacity", 1)
        if np.any(capacity_array < 0):
            raise ValueError("capacity must be >= 0")
        hipo = np.zeros(n, dtype=bool) if high_potential is None else np.asarray(high_potential, dtype=bool)
        if hipo.shape != (n,):
            raise ValueError(f"high_potential must have one entry per person ({n})")
        avail = np.zeros(n, dtype=np.uint64) if availability is None else np.asarray(availability, dtype=np.uint64)
        if avail.shape != (n,):
            raise ValueError(f"availability must have one entry per person ({n})")
        return cls(
            ids=id_array,
            level=codes(level, "level"),
            capacity=capacity_array,
            department=department_codes,
            location=codes(location, "location"),
            teach=skills(teach, "teach"),
            learn=skills(learn, "learn"),
            availability=avail,
            aspiration=codes(aspiration, "aspiration"),
            domain=department_codes.copy() if domain is None else codes(domain, "domain"),
            node=codes(node, "node"),
            group=codes(group, "group"),
            high_potential=hipo,
        )

    def subset(self, index: NDArray[np.integer]) -> Side:
        """The people at ``index``, in that order."""
        index = np.asarray(index, dtype=np.int64)
        return replace(
            self,
            ids=self.ids[index],
            level=self.level[index],
            capacity=self.capacity[index],
            department=self.department[index],
            location=self.location[index],
            teach=self.teach[index],
            learn=self.learn[index],
            availability=self.availability[index],
            aspiration=self.aspiration[index],
            domain=self.domain[index],
            node=self.node[index],
            group=self.group[index],
            high_potential=self.high_potential[index],
        )


def pair_array(pairs: ArrayLike | None, name: str, n_left: int, n_right: int) -> IntArray:
    """Validate an (m, 2) array of (left index, right index) pairs."""
    if pairs is None:
        return np.zeros((0, 2), dtype=np.int64)
    array = np.asarray(pairs, dtype=np.int64)
    if array.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{name} must be an (m, 2) array of (left, right) indices")
    if array[:, 0].min() < 0 or array[:, 0].max() >= n_left or array[:, 1].min() < 0 or array[:, 1].max() >= n_right:
        raise ValueError(f"{name} has an index out of range")
    return array


@dataclass(frozen=True)
class MatchProblem:
    """Everything one match run needs.

    ``do_not_pair`` pairs are never proposed; ``previous_pairs`` neither, unless the policy allows
    them; ``locked_pairs`` are kept as they are (a programme manager's decision, or existing
    relationships in a re-match) and use up seats. Names (``skills``, ``groups``, ...) are only
    used to explain results.
    """

    left: Side
    right: Side
    policy: Policy
    tree: ReportingTree | None = None
    skills: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    do_not_pair: IntArray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    previous_pairs: IntArray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    locked_pairs: IntArray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))

    def __post_init__(self) -> None:
        if self.left.n_skills != self.right.n_skills:
            raise ValueError("both sides must use the same skill columns")
        n_left, n_right = len(self.left), len(self.right)
        for name in ("do_not_pair", "previous_pairs", "locked_pairs"):
            object.__setattr__(self, name, pair_array(getattr(self, name), name, n_left, n_right))
        size = self.tree.size if self.tree is not None else 0
        for side_name, side in (("left", self.left), ("right", self.right)):
            if len(side) and (side.node.max() >= size or side.node.min() < -1):
                raise ValueError(f"{side_name}.node refers outside the reporting tree")
