"""Reach, funnel and equity of access: how far people get through a programme, by group.

The population of a programme's followed side (protégés in sponsorship, reverse mentors in reverse
mentoring) is everyone eligible for that side today (by the programme's own rules,
:func:`twofold.programmes.eligibility.role_problem`) and anyone who enrolled on it. Each person
reaches a furthest step; a step's count is everyone who reached it or went further.

Every table is split into sibling groups (department, level band, or one self-identified attribute,
with those who gave no answer as a group of their own) and passes
:func:`twofold.privacy.group_table`: restricted attributes leave this module only as its rows.
Conversion and adverse-impact ratios are computed from shown rows only, so a hidden group's figures
cannot be read back from them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from twofold.matchruns.models import MatchRun, MatchRunStatus
from twofold.matchruns.selectors import run_fairness
from twofold.people.models import CareerEvent, CareerEventKind, Person, SelfIdentification
from twofold.privacy import GroupTable, Headcount, group_table
from twofold.programmes.eligibility import MENTEE, MENTOR, Candidate, EligibilityRules, role_problem
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme
from twofold.relationships.models import Relationship, RelationshipState

STEPS: tuple[tuple[str, str], ...] = (
    ("eligible", "Eligible or enrolled"),
    ("invited", "Invited or applied"),
    ("enrolled", "In the pool"),
    ("matched", "Matched"),
    ("accepted", "Paired (accepted)"),
    ("active", "Active or completed"),
    ("completed", "Completed"),
    ("promoted", "Promoted since the start"),
)
# Promotion is not a step of the chain: it is counted among those paired, and compared with them.
PROMOTED = len(STEPS) - 1
PAIRED = 4
STEP_NAMES = tuple(name for name, _ in STEPS)
STEP_LABELS = dict(STEPS)
# The four-fifths rule: a group selected at less than 80 % of the best-selected group's rate.
FOUR_FIFTHS = 0.8
NO_ANSWER = None
LEVEL_BANDS = ((1, 3, "Levels 1–3"), (4, 6, "Levels 4–6"), (7, 8, "Levels 7–8"), (9, 99, "Levels 9 and above"))
GENERATIONS: tuple[tuple[int, int, str], ...] = (
    (0, 1964, "Born before 1965"),
    (1965, 1980, "Born 1965–1980"),
    (1981, 1996, "Born 1981–1996"),
    (1997, 9999, "Born 1997 or later"),
)
ENROLLED = (EnrolmentStatus.ACTIVE, EnrolmentStatus.WAITLISTED)
UNINVITED = (EnrolmentStatus.REFUSED,)


@dataclass(frozen=True)
class StepCell:
    count: Headcount
    conversion: float | None  # of those at the step before, in a shown row
    impact_ratio: float | None  # this group's conversion over the best group's

    @property
    def flagged(self) -> bool:
        return self.impact_ratio is not None and self.impact_ratio < FOUR_FIFTHS


@dataclass(frozen=True)
class FunnelRow:
    group: str
    cells: tuple[StepCell, ...]


@dataclass(frozen=True)
class FunnelTable:
    """One split of the funnel (by department, level band or one attribute), after the privacy rules."""

    title: str
    rows: tuple[FunnelRow, ...]
    total: tuple[Headcount, ...]
    note: str

    @property
    def any_flagged(self) -> bool:
        return any(cell.flagged for row in self.rows for cell in row.cells)


@dataclass(frozen=True)
class Funnel:
    programme: Programme
    side: str
    overall: FunnelTable
    splits: tuple[FunnelTable, ...]
    fairness_runs: tuple[tuple[str, str], ...]  # (the run, its fairness summary)


def band_label(value: int | None, bands: tuple[tuple[int, int, str], ...]) -> str | None:
    if value is None:
        return NO_ANSWER
    return next((label for low, high, label in bands if low <= value <= high), NO_ANSWER)


def _reached(programme: Programme, field: str, role: str, start: date | None) -> tuple[dict[int, int], set[int]]:
    """Each person of the population and the index of the furthest step they reached; and who of
    those paired was promoted since the start."""
    rules = EligibilityRules.of(programme)
    furthest: dict[int, int] = {}
    for pk, name, level, active, flag in Person.objects.filter(active=True).values_list(
        "pk", "name", "level", "active", "high_potential"
    ):
        if role_problem(rules, Candidate(name=name, level=level, active=active, high_potential=flag), role) is None:
            furthest[pk] = 0
    for person_id, status in Enrolment.objects.filter(programme=programme, role=role).values_list(
        "person_id", "status"
    ):
        step = 0 if status in UNINVITED else 2 if status in ENROLLED else 1
        furthest[person_id] = max(furthest.get(person_id, 0), step)
    for person_id, state, started in Relationship.objects.filter(programme=programme).values_list(
        f"{field}_id", "state", "started_at"
    ):
        step = 3
        if started is not None:
            step = 4
        if state in (RelationshipState.ACTIVE, RelationshipState.COMPLETED):
            step = 5
        if state == RelationshipState.COMPLETED:
            step = 6
        furthest[person_id] = max(furthest.get(person_id, 0), step)
    promoted: set[int] = set()
    if start is not None:
        paired = [person_id for person_id, step in furthest.items() if step >= PAIRED]
        promoted = set(
            CareerEvent.objects.filter(
                kind=CareerEventKind.PROMOTION, effective_date__gt=start, person_id__in=paired
            ).values_list("person_id", flat=True)
        )
    return furthest, promoted


def _table(title: str, groups: Mapping[Hashable, Counter[int]]) -> FunnelTable:
    """``groups`` counts, per group, the people whose furthest step is each index, and under
    :data:`PROMOTED` those of them promoted."""
    counts = {
        key: {
            name: reached[PROMOTED]
            if index == PROMOTED
            else sum(n for step, n in reached.items() if index <= step < PROMOTED)
            for index, name in enumerate(STEP_NAMES)
        }
        for key, reached in groups.items()
    }
    table: GroupTable[Hashable] = group_table(counts, size="eligible", totals=STEP_NAMES, subsets=STEP_NAMES[1:])
    conversions: dict[Hashable, list[float | None]] = {}
    for row in table.rows:
        values = [row[name].value for name in STEP_NAMES]
        bases = [None, *values[: PROMOTED - 1], values[PAIRED]]
        conversions[row.key] = [
            (current / base) if base and current is not None else None
            for base, current in zip(bases, values, strict=True)
        ]
    best: list[float | None] = []
    for index in range(len(STEP_NAMES)):
        seen = [rate for rates in conversions.values() if (rate := rates[index]) is not None]
        best.append(max(seen) if seen else None)
    rows = []
    for row in table.rows:
        cells = []
        for index, name in enumerate(STEP_NAMES):
            conversion, top = conversions[row.key][index], best[index]
            ratio = conversion / top if conversion is not None and top else None
            cells.append(StepCell(count=row[name], conversion=conversion, impact_ratio=ratio))
        label = "No answer given" if row.key is NO_ANSWER else str(row.key)
        rows.append(FunnelRow(group=label, cells=tuple(cells)))
    return FunnelTable(
        title=title, rows=tuple(rows), total=tuple(table.total[name] for name in STEP_NAMES), note=table.note
    )


def _split(title: str, reached: tuple[dict[int, int], set[int]], key: Callable[[int], Any]) -> FunnelTable:
    furthest, promoted = reached
    groups: dict[Hashable, Counter[int]] = defaultdict(Counter)
    for person_id, step in furthest.items():
        groups[key(person_id)][step] += 1
        groups[key(person_id)][PROMOTED] += person_id in promoted
    return _table(title, groups)


def programme_funnel(programme: Programme, *, start: date | None, side: str, field: str) -> Funnel:
    """The funnel of one programme's followed side, overall and split every way the issue asks."""
    role = MENTEE if field == "mentee" else MENTOR
    reached = _reached(programme, field, role, start)
    furthest = reached[0]
    people = {
        pk: (department, level)
        for pk, department, level in Person.objects.filter(pk__in=list(furthest)).values_list(
            "pk", "department", "level"
        )
    }
    restricted = {
        row[0]: row[1:]
        for row in SelfIdentification.objects.filter(person_id__in=list(furthest)).values_list(
            "person_id", "gender", "ethnicity", "birth_year", "disability"
        )
    }

    def attribute(index: int) -> Callable[[int], Any]:
        return lambda pk: restricted.get(pk, ("", "", None, ""))[index] or NO_ANSWER

    splits = (
        _split("By department", reached, lambda pk: people[pk][0] or "No department"),
        _split("By level band (today)", reached, lambda pk: band_label(people[pk][1], LEVEL_BANDS)),
        _split("By gender (self-identified)", reached, attribute(0)),
        _split("By ethnicity (self-identified)", reached, attribute(1)),
        _split(
            "By generation (self-identified birth year)",
            reached,
            lambda pk: band_label(restricted.get(pk, ("", "", None, ""))[2], GENERATIONS),
        ),
        _split("By disability (self-identified)", reached, attribute(3)),
    )
    overall = _split("Everyone", reached, lambda pk: "Everyone")
    return Funnel(
        programme=programme,
        side=side,
        overall=overall,
        splits=splits,
        fairness_runs=_fairness_runs(programme),
    )


def _fairness_runs(programme: Programme) -> tuple[tuple[str, str], ...]:
    runs = MatchRun.objects.filter(
        programme=programme, status__in=[MatchRunStatus.PUBLISHED, MatchRunStatus.SUPERSEDED, MatchRunStatus.READY]
    ).order_by("created_at", "pk")
    lines = []
    for run in runs:
        fairness = run_fairness(run)
        if fairness is not None:
            name = f"Run {run.number} ({run.get_status_display().lower()}, {run.created_at:%d %b %Y})"
            lines.append((name, fairness.summary))
    return tuple(lines)
