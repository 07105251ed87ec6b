"""A programme's evidence as one object: what its insights page, its downloads and the board report show.

:func:`programme_report` calls each section function once; the page renders it, the table
downloads pick a table from it by its slug, and ``twofold report`` writes it as PDF, HTML, JSON or
CSV. Nothing here computes a figure: it words what the sections released, so a number hidden on
the page is hidden in every file too.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.text import slugify

from twofold.formula_cells import formula_neutralised
from twofold.insights.evidence import Section, programme_sections
from twofold.insights.sections import (
    AdvocacySection,
    CareersSection,
    FunnelSection,
    advocacy_section,
    careers_section,
    funnel_section,
)
from twofold.insights.selectors import ProgrammeHeadline, programme_headlines
from twofold.insights.tables import Cell, Table
from twofold.privacy import stated_threshold
from twofold.programmes.models import Programme

FORMATS = ("pdf", "html", "json", "csv")
STYLESHEET = Path(__file__).resolve().parent / "static" / "insights" / "report.css"
REPORT_FIELDS = (
    "participants_n",
    "comparison_n",
    "participants_rate",
    "comparison_rate",
    "difference",
    "ci_low",
    "ci_high",
)


@dataclass
class ProgrammeReport:
    programme: Programme
    as_of: date
    department: str | None
    k: int
    headline: ProgrammeHeadline | None
    careers: CareersSection
    reach: FunnelSection
    advocacy: AdvocacySection | None
    sections: list[Section]

    def section(self, key: str) -> Section | None:
        return next((section for section in self.sections if section.key == key), None)

    # --- tables ------------------------------------------------------------------------------------

    def careers_tables(self) -> list[Table]:
        careers = self.careers
        tables = []
        if careers.evidence.counts is not None:
            tables.append(
                Table(
                    "careers-people",
                    "People compared",
                    ("Group", "People", "Promoted", "Left"),
                    tuple((group, c["people"], c["promoted"], c["left"]) for group, c in careers.counts),
                    careers.evidence.counts.note,
                )
            )
        if careers.outcomes:
            tables.append(
                Table(
                    "careers-outcomes",
                    f"Promotion and retention within {careers.evidence.horizon_months} months",
                    ("Outcome", careers.evidence.side.capitalize(), "Comparison group", "Difference", "95 % interval"),
                    tuple(
                        (row.outcome, "Too few to say", "", "", "")
                        if row.too_few
                        else (row.outcome, row.participants, row.comparison, row.estimate, row.interval)
                        for row in careers.outcomes
                    ),
                )
            )
        if careers.curve_rows:
            tables.append(
                Table(
                    "careers-time-to-promotion",
                    "Share promoted by months since the start (Kaplan–Meier)",
                    ("Months", "Participants", "Comparison group"),
                    tuple((row.month, row.participants, row.comparison) for row in careers.curve_rows),
                )
            )
        if careers.balance_rows:
            tables.append(
                Table(
                    "careers-balance",
                    "Standardised mean differences before and after matching",
                    ("Characteristic", "Before matching", "After matching"),
                    tuple(careers.balance_rows),
                )
            )
        return tables

    def reach_tables(self) -> list[Table]:
        reach = self.reach
        tables = [Table("funnel", "The funnel, everyone", ("Step", "People", "Of the step before"), reach.overall_rows)]
        for view in reach.splits:
            rows: list[tuple[Cell, ...]] = [(row.group, *(cell.count for cell in row.cells)) for row in view.table.rows]
            rows.append(("All", *view.table.total))
            ratios: list[tuple[Cell, ...]] = [
                (
                    row.group,
                    *(
                        "" if cell.impact_ratio is None else f"{cell.impact_ratio:.2f}{' ⚑' if cell.flagged else ''}"
                        for cell in row.cells
                    ),
                )
                for row in view.table.rows
            ]
            slug = "equity-" + slugify(view.table.title)[:40]
            tables.append(
                Table(
                    slug,
                    f"{view.table.title}: people at each step",
                    ("Group", *reach.steps),
                    tuple(rows),
                    view.table.note,
                )
            )
            tables.append(
                Table(
                    slug + "-ratios",
                    f"{view.table.title}: adverse-impact ratios",
                    ("Group", *reach.steps),
                    tuple(ratios),
                )
            )
        return tables

    def advocacy_tables(self) -> list[Table]:
        if self.advocacy is None:
            return []
        rows: list[tuple[Cell, ...]] = [(label, n) for label, n in self.advocacy.rows]
        rows.append(("Came through, of known outcomes", self.advocacy.came_through))
        return [Table("advocacy", "Advocacy actions by type", ("Type", "Actions"), tuple(rows))]

    def tables(self) -> list[Table]:
        tables = self.careers_tables() + self.advocacy_tables() + self.reach_tables()
        for section in self.sections:
            tables.extend(section.tables)
        return tables

    def table(self, slug: str) -> Table | None:
        return next((table for table in self.tables() if table.slug == slug), None)

    # --- words and files ---------------------------------------------------------------------------

    def findings(self) -> list[str]:
        lines = []
        evidence = self.careers.evidence
        promotion = self.careers.promotion
        if promotion is None:
            lines.append(f"Careers of {evidence.side}: {evidence.why_not}")
        elif promotion.too_few:
            lines.append(f"Promotion of {evidence.side} against their comparison group: too few to say.")
        else:
            lines.append(
                f"{evidence.side.capitalize()} were promoted within {evidence.horizon_months} months at "
                f"{promotion.participants}, against {promotion.comparison} in the matched comparison group: "
                f"{promotion.estimate} (95 % interval {promotion.interval}). {promotion.reading}"
            )
        knowledge = self.section("knowledge")
        if knowledge is not None:
            gain = knowledge.figures["mean_gain"]
            if gain["estimate"] is None:
                lines.append("Proficiency gain: too few skills recorded to say.")
            else:
                lines.append(
                    f"Skills recorded rose on average by {gain['estimate']:+.2f} points on the 0–4 scale "
                    f"(95 % interval {gain['ci_low']:+.2f} to {gain['ci_high']:+.2f}, {gain['n']} skills)."
                )
        engagement = self.section("engagement")
        if engagement is not None and engagement.figures:
            lines.append(f"{engagement.figures['pairs_started']} pairs started by {self.as_of:%d %b %Y}.")
        return lines

    def as_json(self) -> dict[str, Any]:
        evidence = self.careers.evidence
        comparison = evidence.comparison

        def outcome(which: str) -> dict[str, Any]:
            if comparison is None:
                return {**dict.fromkeys(REPORT_FIELDS), "suppressed": True, "why": evidence.why_not}
            figures = getattr(comparison, which).as_json()
            return {**figures, "horizon_months": comparison.horizon_months, "suppressed": False}

        careers = {"side": evidence.side, "promotion_12m": outcome("promotion"), "retention_12m": outcome("retention")}
        document: dict[str, Any] = {
            "programme": {"id": self.programme.pk, "name": self.programme.name, "kind": self.programme.kind},
            "as_of": self.as_of.isoformat(),
            "department": self.department,
            "smallest_group_shown": self.k,
            "findings": self.findings(),
            "careers": careers,
            "sections": {},
        }
        for section in self.sections:
            document[section.key] = section.figures
        groups = {
            "careers": self.careers_tables(),
            "advocacy": self.advocacy_tables(),
            "reach": self.reach_tables(),
            **{section.key: section.tables for section in self.sections},
        }
        document["sections"] = {
            key: {table.slug: table.as_json() for table in tables} for key, tables in groups.items()
        }
        return document

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([formula_neutralised(f"{self.programme.name}: evidence as of {self.as_of.isoformat()}")])
        for table in self.tables():
            writer.writerow([])
            writer.writerow([formula_neutralised(table.title)])
            writer.writerows(table.plain_rows())
            if table.note:
                writer.writerow([formula_neutralised(table.note)])
        return out.getvalue()

    def as_html(self, *, stylesheet_link: bool = True) -> str:
        """The report as a page; its stylesheet is a static file (the site's CSP allows no inline style)."""
        return render_to_string("insights/report.html", {"report": self, "stylesheet_link": stylesheet_link})

    def as_pdf(self) -> bytes:
        from weasyprint import CSS, HTML

        # WeasyPrint narrates every layout step at INFO; a report command's output is the report.
        logging.getLogger("weasyprint").setLevel(logging.WARNING)
        html = HTML(string=self.as_html(stylesheet_link=False))
        return bytes(html.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))]))


def programme_report(
    programme: Programme,
    *,
    as_of: date,
    department: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ProgrammeReport:
    """Every section of one programme's evidence as of a day, once; ``progress(stage, step, steps)``
    hears of each part as it starts (a snapshot's page shows it)."""
    parts = ("Headline figures", "Careers against the comparison group", "Reach and equity", "Advocacy", "Sections")

    def starting(step: int) -> None:
        if progress is not None:
            progress(parts[step], step + 1, len(parts) + 1)  # and the PDF, when a snapshot makes one

    starting(0)
    headline = next(iter(programme_headlines(Programme.objects.filter(pk=programme.pk))), None)
    starting(1)
    careers = careers_section(programme, as_of=as_of, department=department)
    starting(2)
    reach = funnel_section(programme)
    starting(3)
    advocacy = advocacy_section(programme)
    starting(4)
    return ProgrammeReport(
        programme=programme,
        as_of=as_of,
        department=department,
        k=stated_threshold(),
        headline=headline,
        careers=careers,
        reach=reach,
        advocacy=advocacy,
        sections=programme_sections(programme, as_of=as_of),
    )
