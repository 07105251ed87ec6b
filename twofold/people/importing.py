"""Turning rows of an HRIS export into checked person records, before anything is written.

``parse_people`` reads every row and ``check_people`` checks the rows against each other and the
directory as it stands (duplicates, unknown managers, manager cycles). Both collect every problem
rather than stopping at the first, so one run of the import tells the user all there is to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from twofold.people.hris_presets import RESTRICTED_FIELDS, SKILL_FIELDS, ColumnMapping
from twofold.people.models import MAX_LEVEL, MAX_PROFICIENCY, MIN_LEVEL
from twofold.people.tabular import Problem, Table
from twofold.plain_text import control_character_problem

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
LEVEL_PATTERN = re.compile(r"^(?:level|lvl|grade|band|l|g|p|ic|m)?[\s\-_]*(\d{1,3})(?:\.0+)?$", re.IGNORECASE)
TRUE_WORDS = {"1", "true", "yes", "y", "x", "t", "on", "hipo", "high potential"}
FALSE_WORDS = {"", "0", "false", "no", "n", "f", "off", "-"}
ACTIVE_WORDS = {"active", "employed", "a", "on leave", "leave", "garden leave", "hired", "current"}
INACTIVE_WORDS = {"inactive", "terminated", "i", "t", "leaver", "exited", "former", "withdrawn", "deceased"}
NO_MANAGER_WORDS = {"", "none", "null", "n/a", "na", "-"}
# Proficiency assumed when a skill cell gives none (e.g. "Python" rather than "Python:3").
DEFAULT_PROFICIENCY = {"skills_teach": 3, "skills_learn": 1, "skills": 2}
MIN_BIRTH_YEAR = 1900
MAX_FIELD_LENGTH = {
    "employee_id": 64,
    "name": 200,
    "email": 254,
    "title": 200,
    "department": 120,
    "location": 120,
    "gender": 100,
    "ethnicity": 100,
    "disability": 100,
}


@dataclass(frozen=True)
class SkillEntry:
    name: str
    proficiency: int
    can_teach: bool
    wants_to_learn: bool


@dataclass
class PersonRecord:
    """One row, parsed. ``values`` holds only the fields the file has a column for."""

    row: int
    employee_id: str
    values: dict[str, Any] = field(default_factory=dict)
    skills: dict[str, SkillEntry] | None = None
    attributes: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return str(self.values.get("name", ""))


def parse_level(text: str) -> int:
    match = LEVEL_PATTERN.match(text.strip())
    if not match or not MIN_LEVEL <= int(match.group(1)) <= MAX_LEVEL:
        raise ValueError(f"level {text!r} is not a whole number from {MIN_LEVEL} to {MAX_LEVEL} (e.g. 4 or L4)")
    return int(match.group(1))


def parse_flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not yes or no (use yes/no, true/false or 1/0)")


def parse_active(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ACTIVE_WORDS or lowered == "":
        return True
    if lowered in INACTIVE_WORDS:
        return False
    try:
        return parse_flag(lowered)
    except ValueError:
        raise ValueError(f"{text!r} is not a status Twofold knows (use active or inactive, or yes/no)") from None


def date_parser(formats: Iterable[str], *, today: date) -> Callable[[str], date | None]:
    extra = tuple(formats)
    latest = today + timedelta(days=366)

    def parse(text: str) -> date | None:
        text = text.strip()
        if not text:
            return None
        value: date | None = None
        try:
            value = date.fromisoformat(text[:10])
        except ValueError:
            for pattern in extra:
                try:
                    value = datetime.strptime(text, pattern).date()
                    break
                except ValueError:
                    continue
        if value is None:
            hint = " or ".join(["YYYY-MM-DD", *extra])
            raise ValueError(f"{text!r} is not a date ({hint})")
        if value.year < MIN_BIRTH_YEAR or value > latest:
            raise ValueError(f"{text!r} is outside the plausible range {MIN_BIRTH_YEAR}–{latest.year}")
        return value

    return parse


def parse_skill_cell(text: str, column: str) -> list[tuple[str, int]]:
    """``"Python:3; Data analysis:2"`` → ``[("Python", 3), ("Data analysis", 2)]``."""
    entries = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, separator, proficiency_text = part.rpartition(":")
        if not separator:
            name, proficiency = part, DEFAULT_PROFICIENCY[column]
        else:
            name = name.strip()
            try:
                proficiency = int(proficiency_text.strip())
            except ValueError:
                raise ValueError(
                    f"skill {part!r}: proficiency {proficiency_text.strip()!r} is not a whole number 0–4"
                ) from None
            if not 0 <= proficiency <= MAX_PROFICIENCY:
                raise ValueError(f"skill {part!r}: proficiency must be 0–{MAX_PROFICIENCY}")
        if not name:
            raise ValueError(f"{part!r} has no skill name (write skill:proficiency; …)")
        if len(name) > 100:
            raise ValueError(f"skill name {name[:30]!r}… is longer than 100 characters")
        if control := control_character_problem(name):
            raise ValueError(f"skill name {name!r} {control}")
        entries.append((name, proficiency))
    return entries


@dataclass
class ParsedPeople:
    records: list[PersonRecord]
    problems: list[Problem]
    mapping: ColumnMapping
    row_label: str = "row"


def parse_people(
    table: Table,
    mapping: ColumnMapping,
    *,
    today: date,
    on_row: Callable[[int], None] | None = None,
) -> ParsedPeople:
    """Parse every row with ``mapping``; a bad cell becomes a :class:`Problem` naming its column."""
    index = {column: position for position, column in enumerate(table.columns)}
    parse_date = date_parser(mapping.date_formats, today=today)
    no_manager = NO_MANAGER_WORDS | {value.lower() for value in mapping.no_manager_values}
    label = table.row_label
    problems: list[Problem] = []
    records: list[PersonRecord] = []
    sources = {name: [index[column] for column in columns] for name, columns in mapping.fields.items()}
    single = {name: positions[0] for name, positions in sources.items() if len(positions) == 1}

    def cell(cells: list[str], field_name: str) -> str:
        position = single.get(field_name)
        if position is not None:
            return cells[position]
        return " ".join(part for part in (cells[position] for position in sources[field_name]) if part)

    skill_fields = [name for name in SKILL_FIELDS if name in sources]
    restricted_fields = [name for name in RESTRICTED_FIELDS if name in sources]
    for count, (row, cells) in enumerate(table.rows, start=1):
        if on_row is not None and count % 1000 == 0:
            on_row(1000)

        def problem(field_name: str, message: str, row: int = row) -> None:
            problems.append(Problem(row, mapping.source_label(field_name), message, row_label=label))

        employee_id = cell(cells, "employee_id")
        if not employee_id:
            problem("employee_id", "employee id is empty")
        elif len(employee_id) > MAX_FIELD_LENGTH["employee_id"]:
            problem("employee_id", "employee id is longer than 64 characters")
        elif control := control_character_problem(employee_id):
            problem("employee_id", control)
        record = PersonRecord(row=row, employee_id=employee_id)
        values = record.values
        for field_name in ("name", "title", "department", "location"):
            if field_name in sources:
                text = cell(cells, field_name)
                if len(text) > MAX_FIELD_LENGTH[field_name]:
                    problem(field_name, f"longer than {MAX_FIELD_LENGTH[field_name]} characters")
                elif control := control_character_problem(text):
                    problem(field_name, control)
                values[field_name] = text
        if not values.get("name"):
            problem("name", "name is empty")
        email = cell(cells, "email").lower()
        if not email:
            problem("email", "email is empty")
        elif control := control_character_problem(email):
            problem("email", control)
        elif not EMAIL_PATTERN.match(email) or len(email) > MAX_FIELD_LENGTH["email"]:
            problem("email", f"{email!r} is not an email address")
        values["email"] = email
        try:
            values["level"] = parse_level(cell(cells, "level"))
        except ValueError as error:
            problem("level", str(error))
        if "manager_id" in sources:
            manager = cell(cells, "manager_id")
            if control := control_character_problem(manager):
                problem("manager_id", control)
                manager = ""  # already refused: not looked up as an unknown manager as well
            values["manager"] = None if manager.lower() in no_manager else manager
        if "hire_date" in sources:
            try:
                values["hire_date"] = parse_date(cell(cells, "hire_date"))
            except ValueError as error:
                problem("hire_date", str(error))
        for field_name, parser in (("high_potential", parse_flag), ("active", parse_active)):
            if field_name in sources:
                try:
                    values[field_name] = parser(cell(cells, field_name))
                except ValueError as error:
                    problem(field_name, str(error))
        if skill_fields:
            record.skills = {}
            for field_name in skill_fields:
                try:
                    entries = parse_skill_cell(cell(cells, field_name), field_name)
                except ValueError as error:
                    problem(field_name, str(error))
                    continue
                for name, proficiency in entries:
                    key = name.casefold()
                    previous = record.skills.get(key)
                    if previous is not None and previous.proficiency != proficiency:
                        problem(
                            field_name,
                            f"skill {name!r} has proficiency {proficiency} here but "
                            f"{previous.proficiency} in another skills column",
                        )
                        continue
                    record.skills[key] = SkillEntry(
                        name=previous.name if previous else name,
                        proficiency=proficiency,
                        can_teach=(previous is not None and previous.can_teach) or field_name == "skills_teach",
                        wants_to_learn=(previous is not None and previous.wants_to_learn)
                        or field_name == "skills_learn",
                    )
        if restricted_fields:
            attributes: dict[str, Any] = {}
            for field_name in restricted_fields:
                text = cell(cells, field_name)
                if field_name in ("birth_year", "birth_date"):
                    try:
                        attributes["birth_year"] = _parse_birth_year(text, field_name, parse_date, today)
                    except ValueError as error:
                        problem(field_name, str(error))
                else:
                    if len(text) > MAX_FIELD_LENGTH[field_name]:
                        problem(field_name, f"longer than {MAX_FIELD_LENGTH[field_name]} characters")
                    elif control := control_character_problem(text):
                        problem(field_name, control)
                    attributes[field_name] = text
            record.attributes = attributes
        records.append(record)
    return ParsedPeople(records=records, problems=problems, mapping=mapping, row_label=label)


def _parse_birth_year(text: str, field_name: str, parse_date: Callable[[str], date | None], today: date) -> int | None:
    text = text.strip()
    if not text:
        return None
    if field_name == "birth_date":
        born = parse_date(text)
        year = born.year if born else None
    else:
        if not text.isdigit():
            raise ValueError(f"birth year {text!r} is not a year such as 1990")
        year = int(text)
    if year is not None and not MIN_BIRTH_YEAR <= year <= today.year - 14:
        raise ValueError(f"birth year {year} is not plausible for an employee")
    return year


@dataclass(frozen=True)
class ExistingPerson:
    """What the check needs to know about someone already in the directory."""

    employee_id: str
    name: str
    email: str
    manager: str | None
    active: bool


def check_people(
    parsed: ParsedPeople,
    existing: dict[str, ExistingPerson],
    *,
    full: bool,
) -> list[Problem]:
    """Check rows against each other and the directory: duplicates, managers, cycles."""
    mapping = parsed.mapping
    label = parsed.row_label
    problems: list[Problem] = []
    first_row_of_id: dict[str, int] = {}
    first_row_of_email: dict[str, int] = {}
    in_file: dict[str, PersonRecord] = {}
    for record in parsed.records:
        if not record.employee_id:
            continue
        earlier = first_row_of_id.get(record.employee_id)
        if earlier is not None:
            problems.append(
                Problem(
                    record.row,
                    mapping.source_label("employee_id"),
                    f"duplicate employee id {record.employee_id!r} (also on {label} {earlier})",
                    row_label=label,
                )
            )
            continue
        first_row_of_id[record.employee_id] = record.row
        in_file[record.employee_id] = record
        email = record.values.get("email")
        if email:
            earlier_email = first_row_of_email.get(email)
            if earlier_email is not None:
                problems.append(
                    Problem(
                        record.row,
                        mapping.source_label("email"),
                        f"duplicate email {email!r} (also on {label} {earlier_email})",
                        row_label=label,
                    )
                )
            else:
                first_row_of_email[email] = record.row

    # An email already used by somebody who keeps it after this import.
    email_owner = {person.email: person for person in existing.values() if person.employee_id not in in_file}
    for record in in_file.values():
        owner = email_owner.get(record.values.get("email", ""))
        if owner is not None:
            problems.append(
                Problem(
                    record.row,
                    mapping.source_label("email"),
                    f"email {owner.email!r} already belongs to {owner.employee_id} ({owner.name})",
                    row_label=label,
                )
            )

    # The management graph as it will be after the import.
    managers: dict[str, str | None] = {}
    names: dict[str, str] = {}
    for employee_id, person in existing.items():
        managers[employee_id] = person.manager
        names[employee_id] = person.name
    manager_column = mapping.has("manager_id")
    for employee_id, record in in_file.items():
        names[employee_id] = record.name
        if manager_column:
            managers[employee_id] = record.values.get("manager")
        elif employee_id not in existing:
            managers[employee_id] = None
    if manager_column:
        for employee_id, record in in_file.items():
            manager = record.values.get("manager")
            if manager is None or manager == employee_id:
                continue
            if manager in in_file:
                continue
            if manager not in existing:
                message = f"unknown manager id {manager!r}: nobody in the file or the directory has it"
            elif full:
                message = (
                    f"manager {manager!r} ({existing[manager].name}) is not in the file; with --full "
                    "everyone missing from the file is deactivated"
                )
            else:
                continue
            problems.append(Problem(record.row, mapping.source_label("manager_id"), message, row_label=label))
    for cycle in find_manager_cycles(managers):
        rows = [in_file[member].row for member in cycle if member in in_file]
        described = " → ".join(f"{member} ({names.get(member, '?')})" for member in [*cycle, cycle[0]])
        message = (
            f"{cycle[0]} ({names.get(cycle[0], '?')}) is their own manager"
            if len(cycle) == 1
            else f"manager cycle: {described}"
        )
        problems.append(
            Problem(min(rows) if rows else None, mapping.source_label("manager_id"), message, row_label=label)
        )
    return problems


def find_manager_cycles(managers: dict[str, str | None]) -> list[list[str]]:
    """Every cycle in a manager graph, each listed once starting from its smallest id. O(n)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    cycles: list[list[str]] = []
    for start in managers:
        if start in state:
            continue
        path: list[str] = []
        position: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in managers and node not in state:
            state[node] = 1
            position[node] = len(path)
            path.append(node)
            node = managers[node]
        if node is not None and state.get(node) == 1:
            cycle = path[position[node] :]
            smallest = cycle.index(min(cycle))
            cycles.append(cycle[smallest:] + cycle[:smallest])
        for member in path:
            state[member] = 2
    return sorted(cycles)
