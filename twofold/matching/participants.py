"""The engine's input: two sides of people as arrays, the org tree, a policy and pair lists.

Everything is arrays so that 50,000 people cost megabytes, not a Python object each. Codes
(department, location, aspiration, domain, group) are small integers shared by both sides, ``-1``
meaning unknown; skills are columns of sparse matrices shared by both sides.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sps
from numpy.typing import ArrayLike, NDArray

from twofold.matching import arguments
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
        """Build a side, filling what is not given with "unknown" and checking every value: a
        fractional level or seat count, text where numbers belong or a duplicate id raises
        ``ValueError`` naming the argument."""
        id_array = np.asarray(ids, dtype=object)
        if id_array.ndim != 1:
            raise ValueError(f"ids must be one id per person, not shape {id_array.shape}")
        n = len(id_array)
        repeated = [key for key, count in Counter(id_array.tolist()).items() if count > 1]
        if repeated:
            raise ValueError(f"ids must be unique; {repeated[0]!r} appears more than once")

        def codes(value: ArrayLike | None, name: str, default: int = -1) -> IntArray:
            if value is None:
                return np.full(n, default, dtype=np.int64)
            return arguments.whole_numbers(value, n, name, minimum=None)

        def skills(value: Any, name: str) -> sps.csr_array:
            if value is None:
                return sps.csr_array((n, n_skills), dtype=np.float64)
            matrix = sps.csr_array(value, dtype=np.float64)
            if matrix.shape != (n, n_skills):
                raise ValueError(f"{name} must be people x skills ({n} x {n_skills}), not {matrix.shape}")
            matrix.eliminate_zeros()
            if matrix.nnz and not (
                np.all(np.isfinite(matrix.data)) and matrix.data.min() > 0 and matrix.data.max() <= 1
            ):
                raise ValueError(f"{name} values must be in (0, 1]")
            return matrix

        n_skills = arguments.whole_number(n_skills, "n_skills", minimum=0)
        department_codes = codes(department, "department")
        capacity_array = arguments.whole_numbers(capacity, n, "capacity")
        hipo = (
            np.zeros(n, dtype=bool)
            if high_potential is None
            else arguments.booleans(high_potential, n, "high_potential")
        )
        avail = np.zeros(n, dtype=np.uint64)
        if availability is not None:
            slots = np.asarray(availability)
            if slots.shape != (n,) or slots.dtype.kind not in "iu" or (slots.dtype.kind == "i" and np.any(slots < 0)):
                raise ValueError(f"availability must be one bitmask (a whole number >= 0) per person ({n})")
            avail = slots.astype(np.uint64)
        return cls(
            ids=id_array,
            level=arguments.whole_numbers(level, n, "level", minimum=None),
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
            object.__setattr__(self, name, arguments.index_pairs(getattr(self, name), name, n_left, n_right))
        size = self.tree.size if self.tree is not None else 0
        for side_name, side in (("left", self.left), ("right", self.right)):
            if len(side) and (side.node.max() >= size or side.node.min() < -1):
                raise ValueError(f"{side_name}.node refers outside the reporting tree")
