"""What the insights pages show, ready for the templates: tables, charts and their text alternatives.

Figures come from :mod:`twofold.insights.careers` (counts already through :mod:`twofold.privacy`);
this module only words and draws them, so that a template never decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count

from twofold.insights import charts
from twofold.insights.careers import (
    COMPARISON,
    PARTICIPANTS,
    CareersEvidence,
    careers_evidence,
    participant_side,
    programme_start_on,
)
from twofold.insights.comparison import DAYS_PER_MONTH
from twofold.insights.funnel import STEP_LABELS, STEP_NAMES, Funnel, FunnelTable, programme_funnel
from twofold.insights.statistics import Difference
from twofold.privacy import Headcount, Mean
from twofold.programmes.models import Programme
from twofold.relationships.aggregates import advocacy_came_through
from twofold.relationships.models import AdvocacyAction, AdvocacyKind

TABLE_MONTHS = (3, 6, 9, 12, 18, 24)


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def points(value: float | None) -> str:
    return "" if value is None else f"{100 * value:+.1f} pts"


@dataclass(frozen=True)
class OutcomeRow:
    outcome: str
    difference: Difference

    @property
    def too_few(self) -> bool:
        return not self.difference.enough

    @property
    def participants(self) -> str:
        return percent(self.difference.participants_rate)

    @property
    def comparison(self) -> str:
        return percent(self.difference.comparison_rate)

    @property
    def estimate(self) -> str:
        return points(self.difference.difference)

    @property
    def interval(self) -> str:
        d = self.difference
        return "" if d.ci_low is None else f"{points(d.ci_low)} to {points(d.ci_high)}"

    @property
    def reading(self) -> str:
        """One sentence on what the interval allows."""
        d = self.difference
        if d.ci_low is None or d.ci_high is None:
            return "Too few to say."
        if d.ci_low > 0:
            return "Higher among participants than in the comparison group, beyond what chance would explain."
        if d.ci_high < 0:
            return "Lower among participants than in the comparison group, beyond what chance would explain."
        return "No difference that chance could not explain."


@dataclass(frozen=True)
class CurveRow:
    month: int
    participants: str
    comparison: str


@dataclass
class CareersSection:
    evidence: CareersEvidence
    counts: list[tuple[str, dict[str, Headcount]]] = field(default_factory=list)
    outcomes: list[OutcomeRow] = field(default_factory=list)
    curve_rows: list[CurveRow] = field(default_factory=list)
    balance_rows: list[tuple[str, str, str]] = field(default_factory=list)
    rates_chart: charts.Chart | None = None
    curve_chart: charts.Chart | None = None
    balance_chart: charts.Chart | None = None

    @property
    def programme(self) -> Programme:
        return self.evidence.programme

    @property
    def promotion(self) -> OutcomeRow | None:
        return self.outcomes[0] if self.outcomes else None


def careers_section(programme: Programme, *, as_of: date, department: str | None = None) -> CareersSection:
    evidence = careers_evidence(programme, as_of=as_of, department=department)
    section = CareersSection(evidence=evidence)
    if evidence.counts is not None:
        section.counts = [(str(row.key), dict(row.counts)) for row in evidence.counts.rows]
    result = evidence.comparison
    if result is None:
        return section
    months = evidence.horizon_months
    section.outcomes = [
        OutcomeRow(f"Promoted within {months} months", result.promotion),
        OutcomeRow(f"Still employed after {months} months", result.retention),
    ]
    shown = [row for row in section.outcomes if not row.too_few]
    if shown:
        section.rates_chart = charts.rates(
            [
                {"outcome": row.outcome, "group": group, "rate": rate}
                for row in shown
                for group, rate in (
                    (PARTICIPANTS, row.difference.participants_rate),
                    (COMPARISON, row.difference.comparison_rate),
                )
            ],
            alt="; ".join(
                f"{row.outcome}: {evidence.side} {row.participants}, comparison group {row.comparison}" for row in shown
            ),
        )
    followed_days = (as_of - evidence.start).days if evidence.start else 0
    # Whole months, the last one read at the end of follow-up (as the horizon is named).
    followed = round(followed_days / DAYS_PER_MONTH)
    curve: list[dict[str, Any]] = []
    by_month = {}
    for group, points_ in ((PARTICIPANTS, result.participants_curve), (COMPARISON, result.comparison_curve)):
        for point in points_.points:
            month = round(point.day / DAYS_PER_MONTH)
            if month <= followed and (group, month) not in by_month:
                curve.append({"month": month, "share": point.share, "group": group})
                by_month[(group, month)] = point.share
    section.curve_rows = [
        CurveRow(month, percent(by_month.get((PARTICIPANTS, month))), percent(by_month.get((COMPARISON, month))))
        for month in TABLE_MONTHS
        if month <= followed
    ]
    if curve:
        last = section.curve_rows[-1] if section.curve_rows else None
        section.curve_chart = charts.curves(
            curve,
            alt=(
                f"Share promoted by month since the start. After {last.month} months: {evidence.side} "
                f"{last.participants}, comparison group {last.comparison}."
                if last
                else "Share promoted by month since the start."
            ),
        )
    section.balance_rows = [
        (row.covariate, _smd(row.before), _smd(row.after)) for row in result.balance if row.before is not None
    ]
    balance_points = [
        {"covariate": row.covariate, "smd": value, "when": when}
        for row in result.balance
        for when, value in (("Before matching", row.before), ("After matching", row.after))
        if value is not None
    ]
    if balance_points:
        worst = max((abs(row.after) for row in result.balance if row.after is not None), default=0.0)
        section.balance_chart = charts.balance(
            balance_points,
            alt=f"Standardised mean differences before and after matching; the largest after matching is {worst:.2f}.",
        )
    return section


def _smd(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}"


def forest_chart(sections: list[CareersSection]) -> charts.Chart | None:
    rows = [
        {
            "label": f"{section.programme.name} ({section.evidence.side})",
            "difference": 100 * row.difference.difference,
            "ci_low": 100 * row.difference.ci_low,
            "ci_high": 100 * row.difference.ci_high,
        }
        for section in sections
        if (row := section.promotion) is not None
        and row.difference.difference is not None
        and row.difference.ci_low is not None
        and row.difference.ci_high is not None
    ]
    if not rows:
        return None
    return charts.forest(
        rows,
        title="Promotion: participants minus comparison group (percentage points, 95 % interval)",
        alt="; ".join(
            f"{row['label']}: {row['difference']:+.1f} points, "
            f"95 % interval {row['ci_low']:+.1f} to {row['ci_high']:+.1f}"
            for row in rows
        ),
    )


@dataclass(frozen=True)
class SplitView:
    table: FunnelTable
    chart: charts.Chart | None


@dataclass(frozen=True)
class FunnelSection:
    funnel: Funnel
    steps: tuple[str, ...]
    overall_chart: charts.Chart | None
    overall_rows: tuple[tuple[str, Headcount, str], ...]
    splits: tuple[SplitView, ...]


def funnel_section(programme: Programme) -> FunnelSection:
    field_name, side = participant_side(programme)
    funnel = programme_funnel(programme, start=programme_start_on(programme), side=side, field=field_name)
    labels = tuple(STEP_LABELS[name] for name in STEP_NAMES)
    shown = [(label, count.value) for label, count in zip(labels, funnel.overall.total, strict=True) if count.shown]
    overall_chart = (
        charts.funnel(
            [{"step": label, "people": value} for label, value in shown],
            alt="; ".join(f"{label}: {value}" for label, value in shown),
        )
        if shown
        else None
    )
    everyone = funnel.overall.rows[0].cells if funnel.overall.rows else ()
    overall_rows = tuple(
        (label, cell.count, percent(cell.conversion)) for label, cell in zip(labels, everyone, strict=True)
    )
    views = []
    for table in funnel.splits:
        points_ = [
            {"step": label, "share": cell.count.value / row.cells[0].count.value, "group": row.group}
            for row in table.rows
            if row.cells[0].count.value
            for label, cell in zip(labels, row.cells, strict=True)
            if cell.count.value is not None
        ]
        flagged = [
            f"{row.group} at “{label}” ({cell.impact_ratio:.2f})"
            for row in table.rows
            for label, cell in zip(labels, row.cells, strict=True)
            if cell.flagged and cell.impact_ratio is not None
        ]
        alt = f"{table.title}: the share of each group reaching each step. " + (
            "Below four fifths of the best group's rate: " + "; ".join(flagged) + "."
            if flagged
            else "No group falls below four fifths of the best group's rate at any step."
        )
        views.append(
            SplitView(table=table, chart=charts.reach_by_group(points_, alt=alt) if len(table.rows) > 1 else None)
        )
    return FunnelSection(
        funnel=funnel, steps=labels, overall_chart=overall_chart, overall_rows=overall_rows, splits=tuple(views)
    )


@dataclass(frozen=True)
class AdvocacySection:
    """Advocacy actions by type (counts of records, shown exactly) and the share that came through
    (an average over outcomes, through :mod:`twofold.privacy`, as on every page)."""

    rows: tuple[tuple[str, int], ...]
    came_through: Mean
    chart: charts.Chart | None


def advocacy_section(programme: Programme) -> AdvocacySection | None:
    if not programme.is_sponsorship:
        return None
    counts = dict(
        AdvocacyAction.objects.filter(relationship__programme=programme)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("kind", "n")
    )
    rows = tuple((label, counts[kind]) for kind, label in AdvocacyKind.choices if counts.get(kind))
    chart = (
        charts.funnel(
            [{"step": label, "people": n} for label, n in rows],
            alt="Advocacy actions by type: " + "; ".join(f"{label} {n}" for label, n in rows),
            axis_title="Actions",
        )
        if rows
        else None
    )
    return AdvocacySection(rows=rows, came_through=advocacy_came_through([programme.pk])[programme.pk], chart=chart)
