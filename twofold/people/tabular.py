"""Reading people-shaped tables from CSV, XLSX and JSON files, with errors a user can act on.

Every problem names the row (as a spreadsheet shows it: the header is row 1) or the JSON record,
the column, and the reason. Files are read whole before anything is written anywhere, so a bad
file never leaves half an import behind. A CSV row with fewer cells than the header is refused
by its row and the columns it lacks, in every import: never read as if the missing cells were
empty. A CSV or XLSX cell quoted against formula injection (``'=…``, as ``export-people`` writes
it) is read back without the quote.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import charset_normalizer

from twofold.formula_cells import formula_restored

SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".json")

_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file. ``row`` is None for problems with the file as a whole."""

    row: int | None
    column: str | None
    message: str
    row_label: str = field(default="row", compare=False)
    # The columns a problem is about when it is about several (those a short row leaves out).
    columns: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class FileRejected(Exception):
    """The input cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Table:
    """A file's header and data rows, every cell as a stripped string ("" when empty)."""

    source: str
    format: str
    columns: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str | None = None
    row_label: str = "row"

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in self.rows:
            yield number, dict(zip(self.columns, cells, strict=True))


def read_table(path: str | Path) -> Table:
    """Read a CSV, XLSX or JSON file into a :class:`Table`, or raise :class:`FileRejected`."""
    path = Path(path)
    return read_table_bytes(read_file_bytes(path), name=path.name)


def read_file_bytes(path: Path) -> bytes:
    """A file's bytes, or :class:`FileRejected` saying why there are none."""
    if not path.exists():
        raise FileRejected([Problem(None, None, f"{path}: no such file")])
    if path.is_dir():
        raise FileRejected([Problem(None, None, f"{path}: is a folder, not a file")])
    return path.read_bytes()


def read_table_bytes(data: bytes, *, name: str) -> Table:
    """Read an uploaded or in-memory file; ``name`` decides the format by its suffix."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise FileRejected(
            [Problem(None, None, "the old Excel .xls format is not supported; save the sheet as .xlsx or CSV")]
        )
    if suffix not in SUPPORTED_SUFFIXES:
        raise FileRejected([Problem(None, None, f"cannot read '{name}': use a .csv, .xlsx or .json file")])
    if not data.strip():
        raise FileRejected([Problem(None, None, "the file is empty")])
    if suffix == ".xlsx":
        return _read_xlsx(data, name)
    if suffix == ".json":
        return _read_json(data, name)
    return _read_csv(data, name, tab_separated=suffix == ".tsv")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode as UTF-8 (with or without BOM) or Windows-1252; refuse other encodings by name."""
    for bom, encoding_name in _BOMS:
        if data.startswith(bom):
            raise FileRejected(
                [Problem(None, None, f"the file is encoded as {encoding_name}; save it as UTF-8 and try again")]
            )
    if b"\x00" in data[:4096]:
        raise FileRejected(
            [
                Problem(
                    None,
                    None,
                    "the file contains NUL bytes: it looks like UTF-16 text or a binary file; "
                    "save it as UTF-8 CSV and try again",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    if not _looks_single_byte_latin(data):
        guess = charset_normalizer.from_bytes(data[:200_000]).best()
        named = f"as {guess.encoding.replace('_', '-').upper()}" if guess else "in a multi-byte encoding"
        raise FileRejected(
            [
                Problem(
                    None,
                    None,
                    f"the file looks encoded {named}, which is not supported; "
                    "save it as UTF-8 (or Windows-1252) and try again",
                )
            ]
        )
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.start + 1].hex()
        utf8_line = data[: utf8_error.start].count(b"\n") + 1
        raise FileRejected(
            [
                Problem(
                    line,
                    None,
                    f"the file is neither UTF-8 (invalid byte on line {utf8_line}) nor Windows-1252 "
                    f"(byte 0x{bad} cannot be decoded); save it as UTF-8 and try again",
                    row_label="line",
                )
            ]
        ) from None


def _looks_single_byte_latin(data: bytes) -> bool:
    """Does the non-ASCII text look like accented letters in Latin words (Müller, Núñez)?

    In Windows-1252 text a non-ASCII byte mostly stands alone between ASCII letters. Multi-byte
    encodings (Shift_JIS, GBK, Big5, EUC-KR) and non-Latin alphabets (Cyrillic, Greek, Arabic) put
    non-ASCII bytes in runs, which Windows-1252 would happily turn into nonsense.
    """
    in_runs = total = run = 0
    for byte in data[:200_000]:
        if byte >= 0x80:
            run += 1
            continue
        if run:
            total += run
            in_runs += run if run >= 2 else 0
            run = 0
    if run:
        total += run
        in_runs += run if run >= 2 else 0
    return total < 4 or in_runs / total <= 0.5


def _read_csv(data: bytes, name: str, *, tab_separated: bool) -> Table:
    text, encoding = decode_text(data)
    delimiter = "\t" if tab_separated else _header_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    # A cell quoted against formula injection starts with a quote: a file without any quote needs
    # no per-cell check (a 300,000-row file reads in half the time).
    quoted = "'" in text
    try:
        for number, cells in enumerate(reader, start=1):
            stripped = [cell.strip() for cell in cells]
            if quoted:
                stripped = [formula_restored(cell) for cell in stripped]
            if not any(stripped):
                continue
            if header is None:
                header = stripped
                continue
            if len(stripped) > len(header):
                extra = stripped[len(header) :]
                if any(extra):
                    problems.append(
                        Problem(
                            number,
                            None,
                            f"has {len(stripped)} cells but the header has {len(header)} columns",
                        )
                    )
                    continue
                stripped = stripped[: len(header)]
            elif len(stripped) < len(header):
                problems.append(_short_row(number, len(stripped), header))
                continue
            rows.append((number, stripped))
    except csv.Error as error:
        problems.append(Problem(reader.line_num, None, f"cannot be read as CSV: {error}", row_label="line"))
    return _finish(name, "csv", header, rows, problems, encoding)


def _short_row(number: int, given: int, header: list[str]) -> Problem:
    """A CSV row with fewer cells than the header is refused, never padded: a lost separator or a
    line break inside a cell would shift the values after it into the wrong columns, and a row
    whose export left out its empty last cells would empty what is recorded in those columns.
    (XLSX and JSON cells keep their columns: a cell left out there is empty.)"""
    missing = tuple(column or f"#{index}" for index, column in enumerate(header[given:], start=given + 1))
    named = ", ".join(f"'{column}'" for column in missing)
    return Problem(
        number,
        None,
        f"has {given} of the {len(header)} columns; missing {named}. A cell was lost or a line break split "
        "the row: give every row all the header's columns (empty ones too)",
        columns=missing,
    )


_DELIMITERS = (",", ";", "\t", "|")


def _header_delimiter(text: str) -> str:
    """The separator of a CSV file, read from its header (the first record with any text): the one
    of comma, semicolon, tab and bar that splits it into the most cells, the first of them on a tie,
    a comma when none splits it (one column).

    The header is read as a CSV record, so a quoted cell may hold separators and line breaks; only
    a carriage return or line feed outside quotes ends it (not U+2028 and the other breaks of
    ``str.splitlines``). The header decides, not the rows: a row with a cell too few (which must be
    refused by its number), or a list of skills such as ``AI:3;SQL:2`` in a comma-separated file,
    cannot change how the header splits into columns.
    """
    start = text[:65536]
    counts = [_first_record_separators(start, delimiter) for delimiter in _DELIMITERS]
    return _DELIMITERS[counts.index(max(counts))] if max(counts) else ","


def _first_record_separators(text: str, delimiter: str) -> int:
    """How many times ``delimiter`` separates the cells of the first record with any text."""
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if "".join(cells).strip(" \t,;|\"'"):
                return len(cells) - 1
    except csv.Error:
        pass
    return 0


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ";".join(_cell_text(item) for item in value)
    return str(value).strip()


def _read_xlsx(data: bytes, name: str) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRejected(
            [Problem(None, None, f"'{name}' is not a readable XLSX workbook ({error.__class__.__name__})")]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [formula_restored(_cell_text(value)) for value in values]
            if not any(cells):
                continue
            if header is None:
                while cells and not cells[-1]:
                    cells.pop()
                header = cells
                continue
            cells = (cells + [""] * len(header))[: max(len(header), len(cells))]
            if len(cells) > len(header) and any(cells[len(header) :]):
                raise FileRejected(
                    [Problem(number, None, f"has values beyond the last of the {len(header)} header columns")]
                )
            rows.append((number, cells[: len(header)]))
    finally:
        workbook.close()
    return _finish(name, "xlsx", header, rows, [], None)


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in record.items():
        column = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{column}."))
        else:
            flat[column] = _cell_text(value)
    return flat


def _read_json(data: bytes, name: str) -> Table:
    text, encoding = decode_text(data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileRejected([Problem(error.lineno, None, f"is not valid JSON: {error.msg}", row_label="line")]) from None
    # Accept a bare list, or an object wrapping one list (e.g. {"people": [...]}, Workday's
    # {"Report_Entry": [...]}, HiBob's {"employees": [...]}).
    if isinstance(document, dict):
        lists = [value for value in document.values() if isinstance(value, list)]
        if len(lists) != 1:
            raise FileRejected(
                [Problem(None, None, "the JSON must be a list of records, or an object holding one such list")]
            )
        document = lists[0]
    if not isinstance(document, list):
        raise FileRejected([Problem(None, None, "the JSON must be a list of records")])
    problems: list[Problem] = []
    flat_records: list[tuple[int, dict[str, str]]] = []
    columns: dict[str, None] = {}
    for number, record in enumerate(document, start=1):
        if not isinstance(record, dict):
            problems.append(Problem(number, None, "is not an object", row_label="record"))
            continue
        flat = _flatten(record)
        columns.update(dict.fromkeys(flat))
        flat_records.append((number, flat))
    header = list(columns)
    rows = [(number, [flat.get(column, "") for column in header]) for number, flat in flat_records]
    if not document:
        raise FileRejected([Problem(None, None, "the file holds no records")])
    table = _finish(name, "json", header or None, rows, problems, encoding)
    table.row_label = "record"
    return table


def _finish(
    name: str,
    file_format: str,
    header: list[str] | None,
    rows: list[tuple[int, list[str]]],
    problems: list[Problem],
    encoding: str | None,
) -> Table:
    if header is None:
        raise FileRejected([*problems, Problem(None, None, "the file is empty")])
    seen: dict[str, int] = {}
    for index, column in enumerate(header, start=1):
        if not column:
            if any(cells[index - 1] for _, cells in rows if index - 1 < len(cells)):
                problems.append(Problem(1, f"#{index}", "this column has values but no header"))
            continue
        key = column.casefold()
        if key in seen:
            problems.append(Problem(1, column, f"appears twice in the header (columns {seen[key]} and {index})"))
        else:
            seen[key] = index
    if not rows and not problems:
        problems.append(Problem(None, None, "the file has a header row but no data rows"))
    if problems:
        raise FileRejected(problems)
    return Table(source=name, format=file_format, columns=header, rows=rows, encoding=encoding)
