"""A table of released figures, as every page, download and report shows it.

A :class:`Table` holds only what :mod:`twofold.privacy` released: its cells are counts
(:class:`~twofold.privacy.Headcount`), averages (:class:`~twofold.privacy.Mean`), labels and
figures derived from shown counts. The page, the CSV and XLSX downloads, and the report (HTML, PDF,
JSON, CSV) all read the same object, so a figure hidden in one is hidden in all of them: a hidden
count is "fewer than k" on the page and in the files, ``null`` with ``"suppressed": true`` in JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twofold.formula_cells import formula_neutralised
from twofold.privacy import GroupTable, Headcount, Mean, group_table

Cell = Headcount | Mean | str | int | float | None


def share(part: Headcount, whole: Headcount) -> str:
    """A shown count as a share of a shown total, or nothing when either is hidden."""
    if part.value is None or not whole.value:
        return ""
    return f"{100 * part.value / whole.value:.0f} %"


def cell_text(cell: Cell) -> str:
    if isinstance(cell, Headcount):
        return cell.display
    if isinstance(cell, Mean):
        return cell.display
    if cell is None:
        return ""
    if isinstance(cell, float):
        return f"{cell:.2f}"
    return str(cell)


def cell_json(cell: Cell) -> Any:
    if isinstance(cell, (Headcount, Mean)):
        return cell.as_json()
    return cell


def cell_plain(cell: Cell) -> str | int | float:
    """A cell as a spreadsheet takes it: shown numbers as numbers, the rest as (formula-safe) text."""
    if isinstance(cell, Headcount) and cell.value is not None:
        return cell.value
    if isinstance(cell, Mean) and cell.value is not None:
        return round(cell.value, 4)
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return cell
    return formula_neutralised(cell_text(cell))


@dataclass(frozen=True)
class Table:
    """One table of a section: ``slug`` names its downloads; the first column heads the rows."""

    slug: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    @property
    def hidden(self) -> bool:
        return any(isinstance(cell, Headcount) and not cell.shown for row in self.rows for cell in row)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [[cell_json(cell) for cell in row] for row in self.rows],
            "note": self.note,
        }

    def plain_rows(self) -> list[list[str | int | float]]:
        header: list[str | int | float] = [formula_neutralised(column) for column in self.columns]
        return [header] + [[cell_plain(cell) for cell in row] for row in self.rows]

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerows(self.plain_rows())
        if self.note:
            writer.writerow([formula_neutralised(self.note)])
        return out.getvalue()

    def as_xlsx(self) -> bytes:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=self.slug[:31])
        for row in self.plain_rows():
            # A string cell is text in openpyxl only when it does not start with "=": neutralised above.
            sheet.append(row)
        if self.note:
            sheet.append([formula_neutralised(self.note)])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def partition_table(
    slug: str,
    title: str,
    counts: Mapping[Any, int],
    *,
    group_heading: str,
    count_heading: str,
    labels: Mapping[Hashable, str] | None = None,
    order: Sequence[Hashable] | None = None,
) -> tuple[Table, GroupTable[Hashable]]:
    """Sibling groups that split one population (pairs by how often they meet, people by their
    furthest step), each a count and its share of the total, after :func:`twofold.privacy.group_table`."""
    keys = list(order) if order is not None else list(counts)
    released = group_table({key: {"n": counts.get(key, 0)} for key in keys}, size="n")
    total = released.total["n"]
    rows: list[tuple[Cell, ...]] = [
        ((labels or {}).get(row.key, str(row.key)), row["n"], share(row["n"], total)) for row in released.rows
    ]
    rows.append(("All", total, ""))
    return Table(slug, title, (group_heading, count_heading, "Share"), tuple(rows), released.note), released
