"""A comparison group for participants: coarsened exact matching with weights, nearest neighbour
where a cell is empty. Pure Python and NumPy over plain dataclasses; no Django.

Everyone is described as they were on the programme's start (the *index date*): job level,
department, tenure band and the high-potential flag. Participants are matched to non-participants
in the same cell of those four; a participant whose cell holds no non-participant takes the
nearest non-participants instead (fewest steps apart, the flag and department weighing most).
Weights make the comparison group look like the participants (the effect on the participants,
"ATT"): in a cell with t participants and c non-participants each non-participant weighs t / c;
a participant matched by nearest neighbour gives weight 1 / m to each of its m nearest. The
comparison group's weights add up to the number of participants.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twofold.insights.statistics import Curve, Difference, difference_in_rates, kaplan_meier, standardised_difference

# Tenure bands in years at the index date: [0, 2), [2, 5), [5, 10), 10 and more.
TENURE_BANDS = (2.0, 5.0, 10.0)
TENURE_BAND_LABELS = ("under 2 years", "2–5 years", "5–10 years", "10 years or more")
# Nearest-neighbour distance: one step per level or tenure band; a department apart costs two, a
# different high-potential flag ten (a flagged participant is compared with flagged people first).
DEPARTMENT_DISTANCE = 2
FLAG_DISTANCE = 10
DAYS_PER_MONTH = 365.25 / 12


def tenure_band(years: float) -> int:
    return int(np.searchsorted(TENURE_BANDS, years, side="right"))


@dataclass(frozen=True)
class Subject:
    """One person at the index date, and what happened to them after it.

    ``promoted_after``/``left_after`` are days from the index date to their first promotion or their
    exit (None if neither happened by the end of follow-up); ``followed`` is the days of follow-up.
    """

    participant: bool
    level: int
    department: str
    tenure_years: float
    high_potential: bool
    followed: float
    promoted_after: float | None = None
    left_after: float | None = None

    @property
    def cell(self) -> tuple[int, str, int, bool]:
        return (self.level, self.department, tenure_band(self.tenure_years), self.high_potential)


@dataclass(frozen=True)
class Matching:
    weights: np.ndarray  # one per subject: 1 for a participant, ≥ 0 for everyone else
    exact: int  # participants matched in their own cell
    nearest: int  # participants matched by nearest neighbour
    comparison_used: int  # non-participants with a weight above 0


def match(subjects: Sequence[Subject]) -> Matching:
    """Weights for a comparison group (see the module's docstring); deterministic."""
    weights = np.zeros(len(subjects))
    cells: dict[tuple[int, str, int, bool], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for index, subject in enumerate(subjects):
        cells[subject.cell][0 if subject.participant else 1].append(index)
    controls = [i for i, subject in enumerate(subjects) if not subject.participant]
    exact = nearest = 0
    orphans: list[int] = []
    for participants, others in cells.values():
        weights[participants] = 1.0
        if not participants:
            continue
        if others:
            weights[others] += len(participants) / len(others)
            exact += len(participants)
        else:
            orphans.extend(participants)
    if controls and orphans:
        levels = np.array([subjects[i].level for i in controls])
        bands = np.array([tenure_band(subjects[i].tenure_years) for i in controls])
        departments = np.array([subjects[i].department for i in controls], dtype=object)
        flags = np.array([subjects[i].high_potential for i in controls])
        for index in orphans:
            subject = subjects[index]
            distance = (
                np.abs(levels - subject.level)
                + np.abs(bands - tenure_band(subject.tenure_years))
                + DEPARTMENT_DISTANCE * (departments != subject.department)
                + FLAG_DISTANCE * (flags != subject.high_potential)
            )
            closest = np.flatnonzero(distance == distance.min())
            weights[np.asarray(controls)[closest]] += 1.0 / closest.size
            nearest += 1
    used = int(sum(1 for i in controls if weights[i] > 0))
    return Matching(weights=weights, exact=exact, nearest=nearest, comparison_used=used)


@dataclass(frozen=True)
class Balance:
    covariate: str
    before: float | None
    after: float | None


def balance(subjects: Sequence[Subject], matching: Matching) -> list[Balance]:
    """Standardised mean differences of each matching covariate, before and after the weights:
    level, tenure in years, the high-potential flag and one row per department."""
    treated = np.array([s.participant for s in subjects], dtype=bool)
    columns: list[tuple[str, np.ndarray]] = [
        ("Job level", np.array([s.level for s in subjects], dtype=float)),
        ("Tenure (years)", np.array([s.tenure_years for s in subjects], dtype=float)),
        ("High potential", np.array([s.high_potential for s in subjects], dtype=float)),
    ]
    for department in sorted({s.department for s in subjects if s.participant}):
        columns.append(
            (f"In {department or 'no department'}", np.array([s.department == department for s in subjects]))
        )
    rows = []
    for name, values in columns:
        before, after = standardised_difference(values, treated, matching.weights)
        rows.append(Balance(covariate=name, before=before, after=after))
    return rows


@dataclass(frozen=True)
class CareersComparison:
    """Careers of participants against their matched comparison group, over ``horizon_days``."""

    horizon_days: float
    matching: Matching
    balance: list[Balance]
    promotion: Difference
    retention: Difference
    participants_curve: Curve
    comparison_curve: Curve
    participants_promoted: int
    comparison_promoted: int
    participants_left: int
    comparison_left: int

    @property
    def horizon_months(self) -> int:
        return round(self.horizon_days / DAYS_PER_MONTH)


def outcomes(subjects: Sequence[Subject], horizon_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Promoted within the horizon; still employed at the horizon (retained)."""
    promoted = np.array(
        [s.promoted_after is not None and s.promoted_after <= horizon_days for s in subjects], dtype=bool
    )
    retained = np.array([not (s.left_after is not None and s.left_after <= horizon_days) for s in subjects], dtype=bool)
    return promoted, retained


def careers_comparison(
    subjects: Sequence[Subject], *, horizon_days: float, curve_days: Sequence[float]
) -> CareersComparison:
    """Match, check balance, and compare promotion and retention within ``horizon_days`` (which the
    caller keeps within everyone's follow-up), with time-to-promotion curves at ``curve_days``."""
    matching = match(subjects)
    treated = np.array([s.participant for s in subjects], dtype=bool)
    promoted, retained = outcomes(subjects, horizon_days)
    # Time to promotion: censored at exit or at the end of follow-up, whichever comes first.
    durations = np.array(
        [
            s.promoted_after
            if s.promoted_after is not None
            else min(s.followed, s.left_after if s.left_after is not None else s.followed)
            for s in subjects
        ],
        dtype=float,
    )
    had_it = np.array([s.promoted_after is not None for s in subjects], dtype=bool)
    in_comparison = (~treated) & (matching.weights > 0)
    return CareersComparison(
        horizon_days=horizon_days,
        matching=matching,
        balance=balance(subjects, matching),
        promotion=difference_in_rates(promoted, treated, matching.weights),
        retention=difference_in_rates(retained, treated, matching.weights),
        participants_curve=kaplan_meier(durations[treated], had_it[treated], at=curve_days),
        comparison_curve=kaplan_meier(
            durations[in_comparison], had_it[in_comparison], matching.weights[in_comparison], at=curve_days
        ),
        participants_promoted=int(promoted[treated].sum()),
        comparison_promoted=int(promoted[in_comparison].sum()),
        participants_left=int((~retained[treated]).sum()),
        comparison_left=int((~retained[in_comparison]).sum()),
    )
