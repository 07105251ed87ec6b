"""Reading past relationships (another tool's history) from a CSV or XLSX file, before anything is written.

Each row is one pair: its programme (by name) and kind, the mentor's and the mentee's employee ids,
when it started and ended, how it ended, and how many meetings it held. Headers are matched as the
career-events import matches them (:func:`twofold.people.hris_presets.match_named_columns`), and
every problem is collected with its row and column (:class:`twofold.people.tabular.Problem`), so
one run tells the user all there is to fix. :func:`parse_history` checks each row on its own and
against the directory; :mod:`twofold.relationships.services.history` checks the rows against the
programmes and pairs already recorded, and writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from twofold.people.hris_presets import match_named_columns, normalise_header
from twofold.people.importing import date_parser
from twofold.people.models import Person
from twofold.people.tabular import Problem, Table
from twofold.plain_text import control_character_problem
from twofold.programmes.models import ProgrammeKind
from twofold.relationships.models import RelationshipState

HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "programme": ("programme", "program", "programme_name", "program_name", "cohort"),
    "kind": ("kind", "programme_kind", "program_kind", "programme_type", "type"),
    "mentor_employee_id": (
        "mentor_employee_id",
        "mentor_id",
        "mentor",
        "sponsor_employee_id",
        "sponsor_id",
        "sponsor",
    ),
    "mentee_employee_id": (
        "mentee_employee_id",
        "mentee_id",
        "mentee",
        "protege_employee_id",
        "protege_id",
        "protege",
    ),
    "started_on": ("started_on", "start_date", "started", "start"),
    "ended_on": ("ended_on", "end_date", "ended", "end"),
    "end_state": ("end_state", "state", "status", "outcome"),
    "meetings_held": ("meetings_held", "meetings", "meeting_count"),
}
REQUIRED_HISTORY_COLUMNS = ("programme", "kind", "mentor_employee_id", "mentee_employee_id", "started_on", "end_state")
KIND_WORDS = {
    "reversementoring": ProgrammeKind.REVERSE_MENTORING,
    "reverse": ProgrammeKind.REVERSE_MENTORING,
    "sponsorship": ProgrammeKind.SPONSORSHIP,
    "sponsor": ProgrammeKind.SPONSORSHIP,
}
END_STATE_WORDS = {
    "completed": RelationshipState.COMPLETED,
    "complete": RelationshipState.COMPLETED,
    "endedearly": RelationshipState.ENDED_EARLY,
    "active": RelationshipState.ACTIVE,
    "running": RelationshipState.ACTIVE,
}
MAX_MEETINGS = 1000
# Why an imported pair ended early, as far as Twofold knows; the insights count these apart.
IMPORTED_END_REASON = "Ended early (imported from earlier records)."
MAX_NAME = 200


@dataclass(frozen=True)
class PastPair:
    """One row, parsed and checked on its own: the people are in the directory, not the same person,
    not in one reporting line; the dates in order and agreeing with how the pair ended."""

    row: int
    programme: str
    kind: str
    mentor: Person
    mentee: Person
    started_on: date
    ended_on: date | None
    state: str
    meetings_held: int

    @property
    def key(self) -> tuple[str, int, int, date]:
        """What makes a row the same pair on a second import."""
        return (self.programme.casefold(), self.mentor.pk, self.mentee.pk, self.started_on)


@dataclass
class ParsedHistory:
    pairs: list[PastPair]
    problems: list[Problem]
    columns: dict[str, str]
    row_label: str = "row"

    def column(self, field_name: str) -> str:
        """The file's own name for a field's column, to name in a problem."""
        return self.columns.get(field_name, field_name)


def parse_history(table: Table, *, today: date) -> ParsedHistory:
    """Rows → :class:`PastPair` objects, with every problem found, by row and column."""
    columns, problems = match_named_columns(table.columns, HISTORY_COLUMNS, required=REQUIRED_HISTORY_COLUMNS)
    parsed = ParsedHistory(pairs=[], problems=problems, columns=columns, row_label=table.row_label)
    if problems:
        return parsed
    ids = {
        record[columns[name]] for _, record in table.records() for name in ("mentor_employee_id", "mentee_employee_id")
    }
    people = {person.employee_id: person for person in Person.objects.filter(employee_id__in=ids - {""})}
    parse_date = date_parser((), today=today)
    seen: dict[tuple[str, int, int, date], int] = {}
    for row, record in table.records():
        pair = _parse_row(parsed, row, record, people, parse_date, today)
        if pair is None:
            continue
        earlier = seen.get(pair.key)
        if earlier is not None:
            _problem(parsed, row, "started_on", f"the same pair starting on {pair.started_on} is also on row {earlier}")
            continue
        seen[pair.key] = row
        parsed.pairs.append(pair)
    return parsed


def _problem(parsed: ParsedHistory, row: int, field_name: str, message: str) -> None:
    parsed.problems.append(Problem(row, parsed.column(field_name), message, row_label=parsed.row_label))


def _parse_row(
    parsed: ParsedHistory,
    row: int,
    record: dict[str, str],
    people: dict[str, Person],
    parse_date: Callable[[str], date | None],
    today: date,
) -> PastPair | None:
    before = len(parsed.problems)

    def cell(field_name: str) -> str:
        column = parsed.columns.get(field_name)
        return record[column] if column else ""

    def problem(field_name: str, message: str) -> None:
        _problem(parsed, row, field_name, message)

    for field_name in HISTORY_COLUMNS:
        control = control_character_problem(cell(field_name))
        if control:
            problem(field_name, control)
    name = cell("programme")
    if not name:
        problem("programme", "the programme's name is empty")
    elif len(name) > MAX_NAME:
        problem("programme", f"longer than {MAX_NAME} characters")
    kind = KIND_WORDS.get(normalise_header(cell("kind")))
    if kind is None:
        problem("kind", f"{cell('kind')!r} is not a programme kind (reverse-mentoring or sponsorship)")
    found: dict[str, Person] = {}
    for field_name in ("mentor_employee_id", "mentee_employee_id"):
        employee_id = cell(field_name)
        if not employee_id:
            problem(field_name, "employee id is empty")
        elif employee_id not in people:
            problem(field_name, f"unknown employee id {employee_id!r}: import the person first (import-people)")
        else:
            found[field_name] = people[employee_id]
    mentor, mentee = found.get("mentor_employee_id"), found.get("mentee_employee_id")
    if mentor is not None and mentee is not None:
        if mentor.pk == mentee.pk:
            problem("mentee_employee_id", f"{mentee.employee_id} cannot be their own mentor")
        elif mentor.in_reporting_line_with(mentee):
            problem(
                "mentee_employee_id",
                f"{mentor.employee_id} ({mentor.name}) and {mentee.employee_id} ({mentee.name}) are in one reporting "
                "line, where Twofold never pairs people",
            )
    dates: dict[str, date | None] = {}
    for field_name in ("started_on", "ended_on"):
        try:
            value = parse_date(cell(field_name))
        except ValueError as error:
            problem(field_name, str(error))
            continue
        dates[field_name] = value
        if value is not None and value > today:
            problem(field_name, f"{value} is after today: only past and running pairs are imported")
    started, ended = dates.get("started_on"), dates.get("ended_on")
    if "started_on" in dates and started is None:
        problem("started_on", "the start date is empty")
    if started is not None and ended is not None and ended < started:
        problem("ended_on", f"the pair ends ({ended}) before it starts ({started})")
    state = END_STATE_WORDS.get(normalise_header(cell("end_state")))
    if state is None:
        problem("end_state", f"{cell('end_state')!r} is not an end state (completed, ended_early or active)")
    elif state == RelationshipState.ACTIVE and ended is not None:
        problem("end_state", f"an active pair has no end date, but ended_on is {ended}")
    elif state != RelationshipState.ACTIVE and "ended_on" in dates and ended is None:
        problem(
            "ended_on",
            f"a pair that {'completed' if state == RelationshipState.COMPLETED else 'ended early'} "
            "needs the date it ended",
        )
    elif state == RelationshipState.ACTIVE and mentor is not None and mentee is not None:
        for person in (mentor, mentee):
            if not person.active:
                problem(
                    "end_state", f"{person.employee_id} ({person.name}) has left: their pair cannot still be active"
                )
    meetings_text = cell("meetings_held")
    meetings = 0
    if meetings_text:
        if not meetings_text.isdigit():
            problem("meetings_held", f"{meetings_text!r} is not a whole number of meetings")
        elif int(meetings_text) > MAX_MEETINGS:
            problem("meetings_held", f"more than {MAX_MEETINGS} meetings is not a believable count")
        else:
            meetings = int(meetings_text)
    if len(parsed.problems) > before:
        return None
    assert kind is not None and mentor is not None and mentee is not None and started is not None and state
    return PastPair(
        row=row,
        programme=name,
        kind=kind,
        mentor=mentor,
        mentee=mentee,
        started_on=started,
        ended_on=ended,
        state=state,
        meetings_held=meetings,
    )
