"""What the people import expects, said once: the column guide on the import page and the template
file to start from are both built from :data:`COLUMN_GUIDE` (and the documentation is checked
against it by the tests)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from twofold.people.hris_presets import PERSON_FIELDS, REQUIRED_FIELDS, RESTRICTED_FIELDS


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    example: str
    # The same column for the example person's manager, the template's first row.
    manager_example: str = ""

    @property
    def required(self) -> bool:
        return self.name in REQUIRED_FIELDS

    @property
    def restricted(self) -> bool:
        return self.name in RESTRICTED_FIELDS


COLUMN_GUIDE = (
    Column("employee_id", "The HRIS's unique id for the person.", "E1001", "E0042"),
    Column(
        "name", "Display name (or first and last name in two columns, with a preset).", "Ada Example", "Sam Example"
    ),
    Column("email", "Work email, unique.", "ada.example@example.org", "sam.example@example.org"),
    Column("title", "Job title, as the HRIS has it.", "Data Analyst", "Head of Finance"),
    Column("level", "Job level as a number, higher is more senior (7, L7 and Level 7 all work).", "4", "7"),
    Column("department", "Department, as the HRIS has it.", "Finance", "Finance"),
    Column("location", "Office or country.", "Leeds", "Leeds"),
    Column("manager_id", "The manager's employee id; empty at the top of the organisation.", "E0042"),
    Column("hire_date", "Date of hire (2024-03-01, or the preset's date format).", "2024-03-01"),
    Column("high_potential", "yes or no, from the talent review (for sponsorship).", "no"),
    Column("active", "active or inactive (yes or no also work); empty means active.", "active", "active"),
    Column("skills_teach", "Skills the person can teach, name:proficiency 0–4, separated by ';'.", "SQL:3; Excel:4"),
    Column("skills_learn", "Skills the person wants to learn, in the same form.", "Generative AI:1"),
    Column("skills", "Skills held without a direction, in the same form.", ""),
    Column("gender", "Self-identified; restricted, org admins only.", ""),
    Column("ethnicity", "Self-identified; restricted, org admins only.", ""),
    Column("birth_year", "Self-identified year of birth; restricted, org admins only.", ""),
    Column("birth_date", "Accepted instead of birth_year: only the year is kept.", ""),
    Column("disability", "Self-identified; restricted, org admins only.", ""),
)
assert tuple(column.name for column in COLUMN_GUIDE) == PERSON_FIELDS, "one guide entry per importable field"


def template_columns(*, with_restricted: bool) -> tuple[Column, ...]:
    """The columns of the template file; the restricted ones only for those who may import them.
    ``birth_date`` is left out: ``birth_year`` says the same with less."""
    return tuple(
        column for column in COLUMN_GUIDE if column.name != "birth_date" and (with_restricted or not column.restricted)
    )


def template_csv(*, with_restricted: bool) -> str:
    """A CSV with Twofold's own column names and two example rows (a manager, then someone reporting
    to them), ready for the generic preset."""
    columns = template_columns(with_restricted=with_restricted)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    writer.writerow([column.manager_example for column in columns])
    writer.writerow([column.example for column in columns])
    return buffer.getvalue()
