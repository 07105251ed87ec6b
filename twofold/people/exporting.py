"""Writing the directory to CSV, XLSX or JSON in the layout ``import-people`` reads back."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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
                writer.writerow(row)
                count += 1
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("People")
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(column, "") for column in columns])
            count += 1
        workbook.save(path)
    else:
        records = [{column: row.get(column, "") for column in columns} for row in rows]
        count = len(records)
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return count
