"""Sections 2, 3, 6 and 7 of a programme's evidence (engagement, knowledge transfer, the bridge,
the pipeline), worded and drawn once for the page, the downloads and the report.

Each :class:`Section` carries charts (with their text alternatives), the tables beside them (the
same figures), notes on what was withheld, and the JSON figures the report adds. The figures come
from :mod:`engagement`, :mod:`knowledge` and :mod:`pipeline`, already through the privacy module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from twofold.insights import charts
from twofold.insights.engagement import FIELD_LABELS, engagement
from twofold.insights.knowledge import knowledge
from twofold.insights.pipeline import bridge, pipeline
from twofold.insights.tables import Table
from twofold.privacy import Headcount
from twofold.programmes.models import Programme


@dataclass(frozen=True)
class Block:
    """A table and the chart that draws it (None when nothing in it may be drawn)."""

    table: Table
    chart: charts.Chart | None


@dataclass
class Section:
    key: str
    title: str
    intro: str
    blocks: list[Block] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    empty: str = ""

    def add(self, table: Table, chart: charts.Chart | None = None) -> None:
        self.blocks.append(Block(table, chart))

    @property
    def tables(self) -> list[Table]:
        return [block.table for block in self.blocks]

    @property
    def notes(self) -> list[str]:
        return [table.note for table in self.tables if table.note]


def _bars(table: Table, *, axis_title: str) -> charts.Chart | None:
    """A bar per shown group of a partition table (the "All" row left out)."""
    shown = [
        (row[0], cell.value)
        for row in table.rows
        if row[0] != "All" and isinstance(cell := row[1], Headcount) and cell.value
    ]
    if not shown:
        return None
    return charts.funnel(
        [{"step": str(label), "people": value} for label, value in shown],
        alt=f"{table.title}: " + "; ".join(f"{label} {value}" for label, value in shown),
        axis_title=axis_title,
    )


def engagement_section(programme: Programme, *, as_of: date) -> Section:
    found = engagement(programme, as_of=as_of)
    section = Section(
        "engagement",
        "Engagement",
        "How often pairs meet against the cadence they agreed, how soon they first met, whether they signed "
        "their agreement, which active pairs have gone quiet, who ended pairs early, and how each side answers "
        "the check-ins.",
    )
    if not found.started:
        section.empty = "No pair has started yet."
        return section
    for table in found.tables:
        section.add(table, _bars(table, axis_title="Pairs"))
    scores = found.scores_table
    points = [
        {"question": f"{row.point}: {FIELD_LABELS[name]}", "average": mean.value, "side": row.side}
        for row in found.scores
        for name in ("satisfaction", "psychological_safety")
        if (mean := row.scores[name]).value is not None
    ]
    section.add(
        scores,
        charts.grouped(
            points,
            category="question",
            value="average",
            group="side",
            axis_title="Average answer (1–5)",
            alt="Check-in averages by point and side: "
            + "; ".join(f"{p['question']}, {p['side']} {p['average']:.1f}" for p in points),
        )
        if points
        else None,
    )
    section.figures = {
        "pairs_started": found.started,
        "check_ins": {
            f"{row.point} / {row.side}": {name: mean.as_json() for name, mean in row.scores.items()}
            for row in found.scores
        },
    }
    return section


def knowledge_section(programme: Programme, *, as_of: date) -> Section:
    found = knowledge(programme, as_of=as_of)
    section = Section(
        "knowledge",
        "Knowledge transfer",
        "Which skills moved between the two sides and which way (upward: from the junior to the senior), the "
        "average gain in proficiency with its 95 % interval, and how much of the senior population now holds "
        "each digital skill at working level.",
    )
    gain = found.mean_gain
    section.add(
        found.gain_table,
        charts.forest(
            [
                {"label": label, "difference": i.estimate, "ci_low": i.ci_low, "ci_high": i.ci_high}
                for label, i in (("All skills", gain), *found.gain_by_direction)
                if i.enough
            ],
            title="Mean proficiency gain (points on 0–4, 95 % interval)",
            alt=f"Mean proficiency gain {gain.estimate:+.2f} points, 95 % interval {gain.ci_low:+.2f} to "
            f"{gain.ci_high:+.2f}, over {gain.n} skills recorded.",
        )
        if gain.enough and gain.estimate is not None and gain.ci_low is not None and gain.ci_high is not None
        else None,
    )
    skill_rows = found.skill_rows
    section.add(
        found.by_skill,
        charts.grouped(
            [
                {"skill": name, "records": cell.value, "direction": way}
                for name, up, down in skill_rows
                for way, cell in (("Upward", up), ("Downward", down))
                if cell.value
            ],
            category="skill",
            value="records",
            group="direction",
            axis_title="Skills recorded",
            alt="Skills moved by skill: "
            + "; ".join(f"{name} {up.value} upward, {down.value} downward" for name, up, down in skill_rows),
        )
        if skill_rows
        else None,
    )
    section.add(found.by_category)
    fluency = [p for p in found.fluency_points if p.people.value and p.before.value is not None]
    section.add(
        found.fluency,
        charts.grouped(
            [
                {"skill": p.skill, "share": cell.value / p.people.value, "when": when}
                for p in fluency
                for when, cell in (("Before", p.before), ("Now", p.after))
                if cell.value is not None and p.people.value
            ],
            category="skill",
            value="share",
            group="when",
            percent=True,
            axis_title="Share of senior people at working level",
            alt="Digital fluency of leadership: "
            + "; ".join(
                f"{p.skill} {p.before.value} before, {p.after.value} now, of {p.people.value}" for p in fluency
            ),
        )
        if fluency
        else None,
    )
    section.figures = {
        "mean_gain": gain.as_json(),
        "mean_gain_by_direction": {label.lower(): i.as_json() for label, i in found.gain_by_direction},
    }
    return section


def bridge_section(programme: Programme, *, as_of: date) -> Section:
    found = bridge(programme, as_of=as_of)
    section = Section(
        "bridge",
        "The bridge to sponsorship",
        "Reverse mentors nominated by their senior mentee for sponsorship, and how far each got: enrolled, "
        "sponsored, promoted since.",
    )
    section.add(found.table)
    if found.reached:
        section.add(
            Table("bridge-reached", "Reached at least each step", ("Step", "People"), tuple(found.reached)),
            charts.funnel(
                [{"step": label, "people": count.value} for label, count in found.reached],
                alt="The bridge: " + "; ".join(f"{label} {count.value}" for label, count in found.reached),
            ),
        )
    section.figures = {"reached": {label.lower(): count.as_json() for label, count in found.reached}}
    return section


def pipeline_section(programme: Programme | None, *, as_of: date) -> Section:
    found = pipeline(programme, as_of=as_of)
    section = Section(
        "pipeline",
        "The leadership pipeline",
        "High-potential people with and without an active sponsor"
        + (" in this programme" if programme is not None else "")
        + ", by level band and department; and how many protégés each sponsor carries.",
    )
    section.add(
        found.by_band,
        charts.grouped(
            [{"band": band, "people": n, "side": side} for band, side, n in found.band_points],
            category="band",
            value="people",
            group="side",
            axis_title="High-potential people",
            alt="High-potential people by level band: "
            + "; ".join(f"{band}, {side.lower()}: {n}" for band, side, n in found.band_points),
        )
        if found.band_points
        else None,
    )
    section.add(found.by_department)
    section.add(found.load, _bars(found.load, axis_title="Sponsors"))
    return section


def programme_sections(programme: Programme, *, as_of: date) -> list[Section]:
    """Sections 2, 3, 6 and 7 that apply to a programme, in the issue's order."""
    sections = [engagement_section(programme, as_of=as_of)]
    if not programme.is_sponsorship:
        sections.append(knowledge_section(programme, as_of=as_of))
    sections.append(bridge_section(programme, as_of=as_of))
    if programme.is_sponsorship:
        sections.append(pipeline_section(programme, as_of=as_of))
    return sections
