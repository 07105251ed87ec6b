"""Fair access to sponsors: every group's share of matched protégés at least its share of eligible
protégés, minus a tolerance.

The minimums become lower bounds on arcs of the matching's flow network (one node per group
between the protégés and the sink, see :mod:`twofold.matching.flow`), so they are met exactly
whenever they can be, at the best total score; when they cannot all be met, the solver meets as
many minimum seats as possible and this module says which groups fall short. Groups are disjoint
(one label per protégé): overlapping groups would make the problem NP-hard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class GroupOutcome:
    """One group: how many protégés were eligible, its share of *all* eligible protégés (those
    without a group count in the total), its minimum and what it got."""

    group: str
    eligible: int
    share: float
    minimum: int
    matched: int

    @property
    def met(self) -> bool:
        return self.matched >= self.minimum


@dataclass(frozen=True)
class FairnessReport:
    """The fairness target of one run. ``eligible`` is the number of eligible protégés, with a group
    or without, whom each group's ``share`` is taken of; ``seats`` the number of matched protégés
    the minimums are taken of; ``feasible`` is False when some minimum could not be met
    (``message`` says which)."""

    tolerance: float
    seats: int
    groups: tuple[GroupOutcome, ...]
    feasible: bool
    message: str
    eligible: int

    @property
    def without_group(self) -> int:
        """Eligible protégés in no group: they count in every share's total, in no group's minimum."""
        return self.eligible - sum(outcome.eligible for outcome in self.groups)


def group_shares(eligible: IntArray, population: int) -> FloatArray:
    """Each group's share of all ``population`` eligible protégés, those without a group included.

    The one computation of a share: the minimums use it and the report prints it.
    """
    return eligible.astype(np.float64) / max(population, 1)


def group_minimums(group: IntArray, n_groups: int, seats: int, tolerance: float) -> tuple[IntArray, IntArray]:
    """Eligible count and minimum matched count per group code. O(n).

    ``group`` holds the group code of each eligible protégé (-1 = none given; such protégés count
    in the eligible total but belong to no group). The minimum of group g is
    ``floor((share_g - tolerance) * seats)``, never below 0: whole people, rounded down so that the
    minimums of all groups always fit in the seats together (rounding up can ask for more seats
    than there are).
    """
    labelled = group[group >= 0]
    eligible = np.bincount(labelled, minlength=n_groups).astype(np.int64)
    share = group_shares(eligible, len(group))
    minimum = np.zeros(n_groups, dtype=np.int64)
    for code in range(n_groups):
        # A hair above the exact product, so 11.9999999999 is read as 12, not 11.
        minimum[code] = max(0, math.floor((share[code] - tolerance) * seats + 1e-9))
    return eligible, np.minimum(minimum, eligible)


def fairness_report(
    names: tuple[str, ...],
    eligible: IntArray,
    minimum: IntArray,
    matched: IntArray,
    seats: int,
    tolerance: float,
    *,
    population: int,
) -> FairnessReport:
    """Assemble the per-group outcome and a one-line verdict. ``population`` is the number of
    eligible protégés, with a group or without: the same total the minimums were computed from."""
    share = group_shares(eligible, population)
    groups = tuple(
        GroupOutcome(
            group=str(names[code]) if code < len(names) else str(code),
            eligible=int(eligible[code]),
            share=float(share[code]),
            minimum=int(minimum[code]),
            matched=int(matched[code]),
        )
        for code in range(len(eligible))
    )
    short = [outcome for outcome in groups if not outcome.met]
    if short:
        message = "the minimums cannot all be met: " + "; ".join(
            f"{g.group} has {g.matched} of the {g.minimum} required" for g in short
        )
    else:
        message = f"every group has at least its share of the {seats} sponsored protégés, less {tolerance:.0%}"
    return FairnessReport(
        tolerance=tolerance, seats=seats, groups=groups, feasible=not short, message=message, eligible=population
    )
