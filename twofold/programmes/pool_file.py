"""A list of people to add to a programme's pool, from a CSV or XLSX file: employee ids and roles.

Read with the people import's reader (:mod:`twofold.people.tabular`) and checked whole before
anything is written: every problem names its row (the header is row 1) and column, and one problem
anywhere means nobody is added. Headers match ignoring case, spaces and punctuation, as in the
people import ("Employee ID", "employee_id"). The roles a file may say: mentor, sponsor (the giving
side), mentee, protégé (the receiving side).
"""

from __future__ import annotations

from django.utils.text import slugify

from twofold.people.hris_presets import normalise_header
from twofold.people.models import Person
from twofold.people.tabular import FileRejected, Problem, read_table_bytes
from twofold.programmes.eligibility import MENTEE, MENTOR, Candidate, EligibilityRules, invitation_problem
from twofold.programmes.models import Enrolment, Programme
from twofold.programmes.selectors import OPEN_ENROLMENT

ACCEPTED_SUFFIXES = (".csv", ".xlsx", ".tsv", ".txt")
MAX_ROWS = 5000
ROLE_WORDS = {
    "mentor": MENTOR,
    "sponsor": MENTOR,
    "mentee": MENTEE,
    "protege": MENTEE,  # "protégé", with or without its accents
}
COLUMNS = {"employeeid": "employee_id", "role": "role"}


def pool_file_read(programme: Programme, data: bytes, *, name: str) -> list[tuple[Person, str]]:
    """The people and roles of the file, in its order, or :class:`FileRejected` naming every problem:
    a missing column, an empty or unknown employee id, an unknown role, someone listed twice, and
    whoever the invitation rule leaves out (already in the programme, not eligible for the role)."""
    if not name.lower().endswith(ACCEPTED_SUFFIXES):
        raise FileRejected([Problem(None, None, f"cannot read '{name}': use a .csv or .xlsx file")])
    table = read_table_bytes(data, name=name)
    found = {normalise_header(column): column for column in table.columns}
    missing = [wanted for key, wanted in COLUMNS.items() if key not in found]
    if missing:
        raise FileRejected(
            [
                Problem(None, None, f"no '{wanted}' column (the header row has: {', '.join(table.columns)})")
                for wanted in missing
            ]
        )
    if len(table) > MAX_ROWS:
        raise FileRejected([Problem(None, None, f"{len(table)} rows; at most {MAX_ROWS} at a time")])
    id_column, role_column = found["employeeid"], found["role"]
    rows = [(number, record[id_column], record[role_column]) for number, record in table.records()]
    people = {
        person.employee_id: person
        for person in Person.objects.filter(employee_id__in=[employee_id for _, employee_id, _ in rows if employee_id])
    }
    open_status = dict(
        Enrolment.objects.filter(
            programme=programme, status__in=OPEN_ENROLMENT, person__in=people.values()
        ).values_list("person_id", "status")
    )
    rules = EligibilityRules.of(programme)
    problems: list[Problem] = []
    entries: list[tuple[Person, str]] = []
    first_row: dict[str, int] = {}
    for number, employee_id, role_text in rows:
        role = ROLE_WORDS.get(slugify(role_text).replace("-", ""))
        if not employee_id:
            problems.append(Problem(number, id_column, "empty: every row needs an employee id"))
        elif employee_id in first_row:
            problems.append(
                Problem(number, id_column, f"{employee_id} is listed already in row {first_row[employee_id]}")
            )
        elif employee_id not in people:
            problems.append(Problem(number, id_column, f"no one in the directory has the employee id {employee_id}"))
        if employee_id and employee_id not in first_row:
            first_row[employee_id] = number
        if role is None:
            problems.append(
                Problem(number, role_column, f"{role_text or 'empty'}: the role is mentor, sponsor, mentee or protégé")
            )
        person = people.get(employee_id)
        if person is None or role is None or first_row.get(employee_id) != number:
            continue
        refusal = invitation_problem(rules, Candidate.of(person), role, previous_status=open_status.get(person.pk))
        if refusal is not None:
            problems.append(Problem(number, id_column, refusal.message))
            continue
        entries.append((person, role))
    if problems:
        raise FileRejected(problems)
    if not entries:
        raise FileRejected([Problem(None, None, "the file lists nobody")])
    return entries
