"""How the column names of common HRIS exports map onto Twofold's people fields.

A preset lists, for each Twofold field, the headers that HRIS uses for it; headers are compared
ignoring case, spaces and punctuation, so "Supervisor EID" and "supervisor_e_id" both match. A
source given as a tuple joins several columns with a space (first and last name into a name).
A TOML mapping file (``--mapping``) names the columns of any other layout, optionally on top of a
preset.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from twofold.people.tabular import FileRejected, Problem

Source = str | tuple[str, ...]

# Twofold's own field names, in export order. ``birth_date`` is accepted only to derive the birth
# year: the full date is never stored.
PERSON_FIELDS = (
    "employee_id",
    "name",
    "email",
    "title",
    "level",
    "department",
    "location",
    "manager_id",
    "hire_date",
    "high_potential",
    "active",
    "skills_teach",
    "skills_learn",
    "skills",
    "gender",
    "ethnicity",
    "birth_year",
    "birth_date",
    "disability",
)
REQUIRED_FIELDS = ("employee_id", "name", "email", "level")
SKILL_FIELDS = ("skills_teach", "skills_learn", "skills")
RESTRICTED_FIELDS = ("gender", "ethnicity", "birth_year", "birth_date", "disability")


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    sources: dict[str, tuple[Source, ...]]
    date_formats: tuple[str, ...] = ()
    # Values some HRIS write in the manager column to mean "nobody".
    no_manager_values: tuple[str, ...] = ()


def _generic_sources() -> dict[str, tuple[Source, ...]]:
    sources: dict[str, tuple[Source, ...]] = {name: (name,) for name in PERSON_FIELDS}
    sources["name"] = ("name", "full_name", ("first_name", "last_name"))
    sources["manager_id"] = ("manager_id", "manager_employee_id")
    sources["level"] = ("level", "job_level", "grade")
    return sources


PRESETS: dict[str, Preset] = {
    "generic": Preset(
        name="generic",
        description="Twofold's own column names (what `twofold export-people` writes).",
        sources=_generic_sources(),
    ),
    "bamboohr": Preset(
        name="bamboohr",
        description="A BambooHR custom report exported as CSV or XLSX.",
        sources={
            "employee_id": ("Employee #", "Employee number", "EEID"),
            "name": ("Display name", ("First Name", "Last Name")),
            "email": ("Work Email", "Email"),
            "title": ("Job Title",),
            "level": ("Job Level", "Pay Grade", "Level"),
            "department": ("Department",),
            "location": ("Location",),
            "manager_id": ("Supervisor EID", "Supervisor E ID", "Reporting to EID"),
            "hire_date": ("Hire Date", "Original Hire Date"),
            "high_potential": ("High Potential",),
            "active": ("Status",),
            "skills_teach": ("Skills Teach",),
            "skills_learn": ("Skills Learn",),
            "skills": ("Skills",),
            "gender": ("Gender",),
            "ethnicity": ("Ethnicity",),
            "birth_date": ("Birth Date", "Date of Birth"),
            "disability": ("Disability",),
        },
        date_formats=("%m/%d/%Y",),
    ),
    "workday": Preset(
        name="workday",
        description="A Workday custom report (RaaS) in CSV, XLSX or JSON (Report_Entry).",
        sources={
            "employee_id": ("workerID", "Employee_ID", "Worker_ID"),
            "name": (
                "preferredName",
                "Worker",
                ("firstName", "lastName"),
                ("Legal_First_Name", "Legal_Last_Name"),
            ),
            "email": ("primaryWorkEmail", "Email_-_Primary_Work", "workEmail"),
            "title": ("businessTitle", "Business_Title"),
            "level": ("jobLevel", "Job_Level", "managementLevel", "Management_Level"),
            "department": ("supervisoryOrganization", "Supervisory_Organization", "department", "costCenter"),
            "location": ("location", "Location", "workLocation"),
            "manager_id": ("managerID", "Manager_ID", "managerWorkerID"),
            "hire_date": ("hireDate", "Hire_Date"),
            "high_potential": ("highPotential", "High_Potential"),
            "active": ("active", "Active_Status", "workerStatus"),
            "skills_teach": ("skillsTeach",),
            "skills_learn": ("skillsLearn",),
            "skills": ("skills",),
            "gender": ("gender", "Gender"),
            "ethnicity": ("ethnicity", "Ethnicity"),
            "birth_date": ("dateOfBirth", "Date_of_Birth"),
            "disability": ("disabilityStatus", "Disability_Status"),
        },
    ),
    "successfactors": Preset(
        name="successfactors",
        description="An SAP SuccessFactors user data file (USERID, MANAGER, STATUS ...).",
        sources={
            "employee_id": ("USERID", "EMPID"),
            "name": (("FIRSTNAME", "LASTNAME"),),
            "email": ("EMAIL",),
            "title": ("TITLE",),
            "level": ("JOBLEVEL", "PAYGRADE", "CUSTOM01"),
            "department": ("DEPARTMENT", "DIVISION"),
            "location": ("LOCATION",),
            "manager_id": ("MANAGER",),
            "hire_date": ("HIREDATE",),
            "high_potential": ("HIGHPOTENTIAL",),
            "active": ("STATUS",),
            "skills_teach": ("SKILLSTEACH",),
            "skills_learn": ("SKILLSLEARN",),
            "skills": ("SKILLS",),
            "gender": ("GENDER",),
            "ethnicity": ("ETHNICITY",),
            "birth_year": ("BIRTHYEAR",),
            "disability": ("DISABILITY",),
        },
        date_formats=("%m/%d/%Y",),
        no_manager_values=("NO_MANAGER",),
    ),
    "hibob": Preset(
        name="hibob",
        description="A HiBob people export (CSV/XLSX, or the JSON of its people API).",
        sources={
            "employee_id": ("employee_id_in_company", "work.employeeIdInCompany"),
            "name": ("display_name", "displayName", ("first_name", "surname"), ("firstName", "surname")),
            "email": ("email",),
            "title": ("work_title", "work.title", "job_title"),
            "level": ("job_level", "work.custom.level", "level", "grade"),
            "department": ("department", "work.department"),
            "location": ("site", "work.site"),
            "manager_id": ("reports_to_id_in_company", "work.reportsTo.employeeIdInCompany"),
            "hire_date": ("start_date", "work.startDate"),
            "high_potential": ("high_potential",),
            "active": ("lifecycle_status", "internal.lifecycleStatus", "status"),
            "skills_teach": ("skills_teach",),
            "skills_learn": ("skills_learn",),
            "skills": ("skills",),
            "gender": ("gender", "personal.gender"),
            "ethnicity": ("ethnicity",),
            "birth_date": ("date_of_birth", "personal.birthDate"),
            "disability": ("disability",),
        },
        date_formats=("%d/%m/%Y",),
    ),
}


def normalise_header(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.casefold())


def match_named_columns(
    columns: Iterable[str], aliases: Mapping[str, tuple[str, ...]], *, required: Iterable[str]
) -> tuple[dict[str, str], list[Problem]]:
    """Each field's column in a file of fixed fields (career events, past relationships): the first of
    its ``aliases`` the header has, compared as :func:`normalise_header` does (case, spaces and
    punctuation aside). A missing ``required`` field is a problem of the header row."""
    by_normalised = {normalise_header(column): column for column in columns}
    found: dict[str, str] = {}
    for field_name, names in aliases.items():
        for alias in names:
            column = by_normalised.get(normalise_header(alias))
            if column is not None:
                found[field_name] = column
                break
    problems = [
        Problem(1, None, f"required column '{field_name}' is missing (expected {' or '.join(aliases[field_name])})")
        for field_name in required
        if field_name not in found
    ]
    return found, problems


@dataclass
class ColumnMapping:
    """Which column(s) of a particular file feed each Twofold field."""

    fields: dict[str, tuple[str, ...]]
    date_formats: tuple[str, ...] = ()
    no_manager_values: tuple[str, ...] = ()
    ignored_columns: list[str] = field(default_factory=list)

    def source_label(self, field_name: str) -> str:
        """The file's own column name(s) for a field, to name in error messages."""
        columns = self.fields.get(field_name)
        return " + ".join(columns) if columns else field_name

    def has(self, field_name: str) -> bool:
        return field_name in self.fields


def load_mapping_file(path: str | Path) -> tuple[str | None, dict[str, Source], tuple[str, ...]]:
    """Read a ``--mapping`` TOML file: an optional ``preset``, ``date_formats`` and ``[columns]``."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileRejected([Problem(None, None, f"mapping file {path}: no such file")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise FileRejected([Problem(None, None, f"mapping file {path} is not valid TOML: {error}")]) from None
    problems = []
    preset = document.get("preset")
    if preset is not None and preset not in PRESETS:
        problems.append(
            Problem(
                None,
                "preset",
                f"mapping file {path}: unknown preset {preset!r}; use one of {', '.join(PRESETS)}",
            )
        )
    columns = document.get("columns", {})
    mapping: dict[str, Source] = {}
    if not isinstance(columns, dict):
        problems.append(Problem(None, "columns", f"mapping file {path}: [columns] must be a table"))
        columns = {}
    for field_name, source in columns.items():
        if field_name not in PERSON_FIELDS:
            problems.append(
                Problem(
                    None,
                    field_name,
                    f"mapping file {path}: unknown field; fields are {', '.join(PERSON_FIELDS)}",
                )
            )
        elif isinstance(source, str):
            mapping[field_name] = source
        elif isinstance(source, list) and source and all(isinstance(part, str) for part in source):
            mapping[field_name] = tuple(source)
        else:
            problems.append(
                Problem(None, field_name, f"mapping file {path}: give a column name or a list of column names")
            )
    date_formats = document.get("date_formats", [])
    if not isinstance(date_formats, list) or not all(isinstance(item, str) for item in date_formats):
        problems.append(Problem(None, "date_formats", f"mapping file {path}: date_formats must be a list of strings"))
        date_formats = []
    if problems:
        raise FileRejected(problems)
    return preset, mapping, tuple(date_formats)


def resolve_mapping(
    columns: list[str],
    *,
    preset: str = "generic",
    mapping_file: str | Path | None = None,
) -> ColumnMapping:
    """Match a file's header against a preset (and a mapping file), naming every missing column."""
    overrides: dict[str, Source] = {}
    extra_formats: tuple[str, ...] = ()
    if mapping_file is not None:
        file_preset, overrides, extra_formats = load_mapping_file(mapping_file)
        if file_preset:
            preset = file_preset
    if preset not in PRESETS:
        raise FileRejected([Problem(None, None, f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")])
    chosen = PRESETS[preset]
    by_normalised = {normalise_header(column): column for column in columns}
    problems: list[Problem] = []
    fields: dict[str, tuple[str, ...]] = {}

    def find(source: Source) -> tuple[str, ...] | None:
        parts = (source,) if isinstance(source, str) else source
        found = tuple(by_normalised.get(normalise_header(part)) for part in parts)
        return found if all(found) else None  # type: ignore[return-value]

    for field_name in PERSON_FIELDS:
        if field_name in overrides:
            found = find(overrides[field_name])
            if found is None:
                wanted = overrides[field_name]
                named = wanted if isinstance(wanted, str) else " + ".join(wanted)
                problems.append(
                    Problem(
                        1,
                        named,
                        f"the mapping names this column for '{field_name}', but the file has no such column",
                    )
                )
            else:
                fields[field_name] = found
            continue
        for source in chosen.sources.get(field_name, ()):
            found = find(source)
            if found is not None:
                fields[field_name] = found
                break
    for field_name in REQUIRED_FIELDS:
        if field_name not in fields and field_name not in overrides:
            expected = " or ".join(
                source if isinstance(source, str) else " + ".join(source)
                for source in chosen.sources.get(field_name, (field_name,))
            )
            problems.append(Problem(1, None, f"required column for '{field_name}' is missing (expected {expected})"))
    if "birth_year" in fields and "birth_date" in fields:
        del fields["birth_date"]
    if problems:
        raise FileRejected(problems)
    used = {column for sources in fields.values() for column in sources}
    return ColumnMapping(
        fields=fields,
        date_formats=extra_formats + chosen.date_formats,
        no_manager_values=chosen.no_manager_values,
        ignored_columns=[column for column in columns if column and column not in used],
    )
