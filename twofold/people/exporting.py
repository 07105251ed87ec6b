"""Writing the directory to CSV, XLSX or JSON in the layout ``import-people`` reads back.

CSV and XLSX cells are written so that no spreadsheet runs them as formulas (see ``formula_cells``);
JSON is data for programs, not spreadsheets, and is written as stored.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from twofold.formula_cells import formula_neutralised

EXPORT_FORMATS = (".csv", ".xlsx", ".json")


def write_rows(path: str | Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` to ``path`` in the format its suffix names; returns the number of rows."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"cannot write '{path.name}': use a .csv, .xlsx or .json file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({column: _spreadsheet_value(row.get(column, "")) for column in columns})
                count += 1
    elif suffix == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("People")
        sheet.append(columns)
        for row in rows:
            cells = []
            for column in columns:
                value = _spreadsheet_value(row.get(column, ""))
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    # openpyxl stores any text starting with "=" as a live formula; a string cell never runs.
                    cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
            count += 1
        workbook.save(path)
    else:
        records = [{column: row.get(column, "") for column in columns} for row in rows]
        count = len(records)
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return count


def _spreadsheet_value(value: Any) -> Any:
    return formula_neutralised(value) if isinstance(value, str) else value
