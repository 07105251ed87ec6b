"""Reading career events (promotions, level and role changes, exits) from an HRIS file."""

from __future__ import annotations

from datetime import date

from twofold.people.hris_presets import match_named_columns, normalise_header
from twofold.people.importing import date_parser, parse_level
from twofold.people.models import CareerEvent, CareerEventKind
from twofold.people.tabular import Problem, Table
from twofold.plain_text import control_character_problem

EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_id": (
        "employee_id",
        "Employee #",
        "Employee number",
        "workerID",
        "USERID",
        "employee_id_in_company",
    ),
    "kind": ("kind", "event", "event_type", "type", "change_type"),
    "effective_date": ("effective_date", "date", "event_date"),
    "from_level": ("from_level", "previous_level", "old_level"),
    "to_level": ("to_level", "new_level", "level"),
    "from_title": ("from_title", "previous_title", "old_title"),
    "to_title": ("to_title", "new_title", "title"),
    "note": ("note", "notes", "comment", "reason"),
}
REQUIRED_EVENT_COLUMNS = ("employee_id", "kind", "effective_date")
KIND_WORDS = {
    "hire": CareerEventKind.HIRE,
    "hired": CareerEventKind.HIRE,
    "promotion": CareerEventKind.PROMOTION,
    "promoted": CareerEventKind.PROMOTION,
    "levelchange": CareerEventKind.LEVEL_CHANGE,
    "regrade": CareerEventKind.LEVEL_CHANGE,
    "rolechange": CareerEventKind.ROLE_CHANGE,
    "transfer": CareerEventKind.ROLE_CHANGE,
    "lateralmove": CareerEventKind.ROLE_CHANGE,
    "exit": CareerEventKind.EXIT,
    "termination": CareerEventKind.EXIT,
    "leaver": CareerEventKind.EXIT,
    "resignation": CareerEventKind.EXIT,
}


def parse_career_events(
    table: Table, employee_pks: dict[str, int], *, today: date
) -> tuple[list[CareerEvent], list[Problem]]:
    """Rows → unsaved :class:`CareerEvent` objects, or every problem with its row and column."""
    label = table.row_label
    columns, problems = match_named_columns(table.columns, EVENT_COLUMNS, required=REQUIRED_EVENT_COLUMNS)
    if problems:
        return [], problems
    parse_date = date_parser((), today=today)
    events: list[CareerEvent] = []
    seen: dict[tuple[str, str, date], int] = {}
    for row, record in table.records():

        def cell(field_name: str, record: dict[str, str] = record) -> str:
            column = columns.get(field_name)
            return record[column] if column else ""

        def problem(field_name: str, message: str, row: int = row) -> None:
            problems.append(Problem(row, columns.get(field_name, field_name), message, row_label=label))

        employee_id = cell("employee_id")
        person_id = employee_pks.get(employee_id)
        # A note is free text from the HRIS and may run over several lines; everything else is one line.
        for field_name in ("employee_id", "from_title", "to_title", "note"):
            control = control_character_problem(cell(field_name), allow_line_breaks=field_name == "note")
            if control:
                problem(field_name, control)
        if not employee_id:
            problem("employee_id", "employee id is empty")
        elif person_id is None:
            problem("employee_id", f"unknown employee id {employee_id!r}: import the person first")
        kind = KIND_WORDS.get(normalise_header(cell("kind")))
        if kind is None:
            problem(
                "kind",
                f"{cell('kind')!r} is not an event kind (promotion, level change, role change, exit, hire)",
            )
        try:
            effective = parse_date(cell("effective_date"))
            if effective is None:
                problem("effective_date", "date is empty")
        except ValueError as error:
            effective = None
            problem("effective_date", str(error))
        levels: dict[str, int | None] = {}
        for field_name in ("from_level", "to_level"):
            text = cell(field_name)
            try:
                levels[field_name] = parse_level(text) if text else None
            except ValueError as error:
                problem(field_name, str(error))
        before, after = levels.get("from_level"), levels.get("to_level")
        if kind == CareerEventKind.PROMOTION and before is not None and after is not None and after <= before:
            problem("to_level", "a promotion must raise the level")
        if employee_id and kind and effective:
            key = (employee_id, kind, effective)
            if key in seen:
                problem(
                    "effective_date",
                    f"the same event for {employee_id} on {effective} is also on {label} {seen[key]}",
                )
            seen[key] = row
        if person_id is not None and kind is not None and effective is not None:
            events.append(
                CareerEvent(
                    person_id=person_id,
                    kind=kind,
                    effective_date=effective,
                    from_level=levels.get("from_level"),
                    to_level=levels.get("to_level"),
                    from_title=cell("from_title")[:200],
                    to_title=cell("to_title")[:200],
                    note=cell("note")[:500],
                )
            )
    return events, problems
