"""Spreadsheet mode: match people straight from a file, without a database.

``twofold match-csv PEOPLE.csv --kind reverse-mentoring --out PAIRS.csv`` reads a CSV, XLSX or JSON
file of people (one row each, participants and the managers that link them), checks every cell,
runs the matching engine and writes two files: the pairs with their scores and score breakdown,
and the people left without a partner with the reason (text cells written so that no spreadsheet
runs them as formulas, as the people export does). A bad file is refused as a whole with
every problem named by row and column, exactly like the people import. Columns are documented in
``docs/match-csv.md``.
"""

from __future__ import annotations

import csv
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from twofold.formula_cells import formula_neutralised
from twofold.matching import (
    COMPONENTS,
    MatchResult,
    PersonRecord,
    Policy,
    PolicyError,
    Roster,
    RosterError,
    TreeError,
    build_problem,
    default_policy,
    match,
    policy_from_mapping,
    roster_problems,
)
from twofold.people.tabular import FileRejected, Problem, read_table

KINDS = ("reverse-mentoring", "sponsorship")
ROLES = {
    "reverse-mentoring": {"mentor": "mentor", "mentee": "mentee"},
    "sponsorship": {"sponsor": "sponsor", "protege": "protege", "protégé": "protege"},
}
SIDE_WORDS = {"reverse-mentoring": ("mentor", "mentee"), "sponsorship": ("sponsor", "protege")}
REQUIRED = ("employee_id", "role", "level")
KNOWN = (
    "employee_id",
    "manager_id",
    "role",
    "level",
    "department",
    "location",
    "capacity",
    "skills_teach",
    "skills_learn",
    "high_potential",
    "group",
    "aspiration",
    "domain",
    "availability",
    "do_not_pair",
    "previous_partners",
    "locked_partners",
)
TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}
LIST_COLUMNS = ("do_not_pair", "previous_partners", "locked_partners")


@dataclass
class SpreadsheetMatch:
    """What one spreadsheet run produced, and where it wrote it."""

    result: MatchResult
    roster: Roster
    pairs_path: Path
    unmatched_path: Path
    rows: int
    ignored_columns: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def unmatched_path_for(out: Path) -> Path:
    """``PAIRS.csv`` -> ``PAIRS.unmatched.csv``: the second file sits beside the first."""
    return out.with_name(f"{out.stem}.unmatched{out.suffix or '.csv'}")


def load_policy(kind: str, policy_file: str | Path | None) -> Policy:
    """The kind's default policy, overridden by a TOML policy file if one is given.

    Raises :class:`~twofold.matching.PolicyError` naming every bad key.
    """
    if kind not in KINDS:
        raise PolicyError([f"unknown programme kind '{kind}' (use {' or '.join(KINDS)})"])
    if policy_file is None:
        return default_policy(kind)
    path = Path(policy_file)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError([f"{path}: no such file"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PolicyError([f"{path}: not a valid TOML file ({error})"]) from None
    return policy_from_mapping(kind, data)


def match_spreadsheet(
    people_file: str | Path, *, kind: str, out: str | Path, policy_file: str | Path | None = None
) -> SpreadsheetMatch:
    """Read, check, match and write. Raises :class:`FileRejected` (every bad row and column) or
    :class:`~twofold.matching.PolicyError`; writes nothing unless the whole file is good."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    policy = load_policy(kind, policy_file)
    sheet = read_people(people_file, kind)
    seconds["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    roster = _build(sheet, policy)
    seconds["prepare"] = time.perf_counter() - clock
    clock = time.perf_counter()
    result = match(roster.problem)
    seconds["match"] = time.perf_counter() - clock
    clock = time.perf_counter()
    pairs_path = Path(out)
    unmatched_path = unmatched_path_for(pairs_path)
    write_pairs(result, pairs_path, kind)
    write_unmatched(result, unmatched_path, kind)
    seconds["write"] = time.perf_counter() - clock
    return SpreadsheetMatch(
        result=result,
        roster=roster,
        pairs_path=pairs_path,
        unmatched_path=unmatched_path,
        rows=len(sheet.records),
        ignored_columns=sheet.ignored,
        seconds=seconds,
    )


@dataclass
class PeopleSheet:
    """The people read from a file: records, the columns ignored, each employee id's row number,
    and what a row is called in this format ("row", or "record" in JSON)."""

    records: list[PersonRecord]
    ignored: list[str]
    rows: dict[str, int]
    row_label: str


def read_people(people_file: str | Path, kind: str) -> PeopleSheet:
    """People from the file, the columns ignored, and each employee id's row number.

    Every problem is collected before anything is refused: a missing column, an empty or duplicate
    employee id, a level or capacity that is not a whole number, an unknown role, a
    skill without a proficiency 0-4, a manager or listed partner who is not in the file.
    """
    # A CSV row with fewer cells than the header is refused by the reader, as in every import.
    table = read_table(people_file)
    label = table.row_label
    columns = {column.strip().casefold(): column for column in table.columns}
    problems: list[Problem] = []
    for column in REQUIRED:
        if column not in columns:
            problems.append(Problem(None, column, f"the file has no '{column}' column", row_label=label))
    if problems:
        raise FileRejected(problems)
    ignored = [original for key, original in columns.items() if key not in KNOWN]
    roles = ROLES[kind]
    records: list[PersonRecord] = []
    row_of: dict[str, int] = {}
    names = {key: columns.get(key) for key in KNOWN}
    # Cells by position, not through a dict or a function call per cell: a column the file does not
    # have reads the empty cell appended to every row (a 300,000-row file reads several times faster).
    absent = len(table.columns)
    at = {key: (table.columns.index(name) if name is not None else absent) for key, name in names.items()}
    id_at, manager_at, role_at, level_at = at["employee_id"], at["manager_id"], at["role"], at["level"]
    list_at = [(key, at[key]) for key in LIST_COLUMNS]

    for number, values in table.rows:
        values.append("")
        employee_id = values[id_at]
        if not employee_id:
            problems.append(Problem(number, names["employee_id"], "is empty", row_label=label))
            continue
        if employee_id in row_of:
            problems.append(
                Problem(
                    number,
                    names["employee_id"],
                    f"'{employee_id}' already appears on {label} {row_of[employee_id]}",
                    row_label=label,
                )
            )
            continue
        row_of[employee_id] = number
        role_text = values[role_at].casefold()
        role = roles.get(role_text)
        if role_text and role is None:
            expected = " or ".join(sorted({*roles} - {"protégé"}))
            problems.append(
                Problem(
                    number,
                    names["role"],
                    f"'{role_text}' is not a {kind} role (use {expected}, or leave empty)",
                    row_label=label,
                )
            )
        record = PersonRecord(employee_id=employee_id, level=0, manager_id=values[manager_at] or None, role=role)
        records.append(record)
        level_text = values[level_at]
        if role is None and not level_text:
            continue  # outside the programme: only their place in the tree matters
        record.level = _whole(level_text, number, names["level"], label, problems, minimum=None) or 0
        if role is None:
            continue
        record.department = values[at["department"]]
        record.location = values[at["location"]]
        capacity_text = values[at["capacity"]]
        if capacity_text:
            record.capacity = _whole(capacity_text, number, names["capacity"], label, problems, minimum=0)
        record.teach = _skills(values[at["skills_teach"]], number, names["skills_teach"], label, problems)
        record.learn = _skills(values[at["skills_learn"]], number, names["skills_learn"], label, problems)
        flag = values[at["high_potential"]].casefold()
        if flag in TRUE:
            record.high_potential = True
        elif flag not in FALSE:
            problems.append(Problem(number, names["high_potential"], f"'{flag}' is not yes or no", row_label=label))
        record.group = values[at["group"]]
        record.aspiration = values[at["aspiration"]]
        record.domain = values[at["domain"]]
        record.availability = _items(values[at["availability"]])
        for key, position in list_at:
            text = values[position]
            if text:
                setattr(record, key, _items(text))

    for record in records:
        number = row_of[record.employee_id]
        if record.manager_id and record.manager_id not in row_of:
            problems.append(
                Problem(
                    number,
                    names["manager_id"],
                    f"manager '{record.manager_id}' is not in the file; add a row for them (role empty) "
                    "so that reporting chains are known",
                    row_label=label,
                )
            )
        for key in LIST_COLUMNS:
            for other in getattr(record, key):
                if other not in row_of:
                    problems.append(Problem(number, names[key], f"'{other}' is not in the file", row_label=label))
    if problems:
        # What the engine would refuse too (more than 64 availability slots) is named in the same
        # run, not in the next one.
        raise FileRejected([*problems, *_engine_problems(roster_problems(records, kind), row_of, label)])
    return PeopleSheet(records=records, ignored=ignored, rows=row_of, row_label=label)


def _build(sheet: PeopleSheet, policy: Policy) -> Roster:
    """The engine's problem; tree and pair-list problems become row errors. A loop of managers is
    reported at the row of its first person, naming everyone in it with their row."""
    rows, label = sheet.rows, sheet.row_label
    try:
        return build_problem(sheet.records, policy)
    except TreeError as error:
        # The engine stops at a broken tree; what else it refuses is named in the same run.
        others = _engine_problems(roster_problems(sheet.records, policy.kind), rows, label)
        if not error.cycles:
            raise FileRejected([*(Problem(None, "manager_id", text) for text in error.problems), *others]) from None
        problems = []
        for cycle in error.cycles:
            named = [f"'{who}' ({label} {rows[who]})" for who in cycle]
            if len(named) == 1:
                text = f"{named[0]} is their own manager; fix their manager_id"
            else:
                steps = [f"{named[0]} reports to {named[1]}"]
                steps += [f"{who} to {named[(at + 1) % len(named)]}" for at, who in enumerate(named) if at]
                text = (
                    f"these {len(named)} people manage each other in a loop: {', '.join(steps)}; "
                    "fix the manager of one of them"
                )
            problems.append(Problem(rows[cycle[0]], "manager_id", text, row_label=label))
        raise FileRejected([*problems, *others]) from None
    except RosterError as error:
        raise FileRejected(_engine_problems(error.problems, rows, label)) from None


def _engine_problems(problems: list[tuple[str | None, str]], rows: dict[str, int], label: str) -> list[Problem]:
    """The engine's problems with the records, each at its person's row (None: about the file)."""
    return [
        Problem(None if who is None else rows.get(who), None, message, row_label=label) for who, message in problems
    ]


def _whole(
    text: str, number: int, column: str | None, label: str, problems: list[Problem], *, minimum: int | None
) -> int | None:
    try:
        value = int(text)
    except ValueError:
        problems.append(Problem(number, column, f"'{text}' is not a whole number", row_label=label))
        return None
    if minimum is not None and value < minimum:
        problems.append(Problem(number, column, f"must be at least {minimum}", row_label=label))
        return None
    return value


def _items(text: str) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(item.strip() for item in text.split(";") if item.strip())


_PROFICIENCY = {str(level): level for level in range(5)}


def _skills(text: str, number: int, column: str | None, label: str, problems: list[Problem]) -> dict[str, int]:
    """``skill:proficiency;...`` with proficiency 0-4."""
    skills: dict[str, int] = {}
    if not text:
        return skills
    for item in _items(text):
        name, separator, level = item.rpartition(":")
        name = name.strip()
        proficiency = _PROFICIENCY.get(level)
        if proficiency is not None and name:
            skills[name] = proficiency  # the usual case, "SQL:3"
            continue
        if not separator or not name:
            problems.append(
                Problem(number, column, f"'{item}' needs a proficiency from 0 to 4, e.g. '{item}:3'", row_label=label)
            )
            continue
        if level.strip() not in {"0", "1", "2", "3", "4"}:
            problems.append(
                Problem(
                    number,
                    column,
                    f"proficiency of '{name}' must be 0, 1, 2, 3 or 4, not '{level.strip()}'",
                    row_label=label,
                )
            )
            continue
        skills[name] = int(level)
    return skills


def write_pairs(result: MatchResult, path: Path, kind: str) -> None:
    """One row per pair: both ids, the score, each weighted component's points, whether locked."""
    left_word, right_word = SIDE_WORDS[kind]
    components = [name for name in COMPONENTS if name in result.weights]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"{left_word}_id", f"{right_word}_id", "score", *components, "locked"])
        for pair in result.pairs:
            writer.writerow(
                [
                    formula_neutralised(pair.left_id),
                    formula_neutralised(pair.right_id),
                    f"{pair.score:.4f}",
                    *(f"{pair.breakdown.get(name, 0.0):.4f}" for name in components),
                    "yes" if pair.locked else "no",
                ]
            )


def write_unmatched(result: MatchResult, path: Path, kind: str) -> None:
    """One row per person without a partner: id, role, reason code and the reason in words."""
    words = dict(zip(("left", "right"), SIDE_WORDS[kind], strict=True))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employee_id", "role", "reason", "explanation"])
        for person in result.unmatched:
            cells = (person.id, words[person.side], person.reason.value, person.text)
            writer.writerow([formula_neutralised(text) for text in cells])


def describe(outcome: SpreadsheetMatch, kind: str) -> str:
    """The terminal summary of a run."""
    result = outcome.result
    stats = result.stats
    left_word, right_word = SIDE_WORDS[kind]
    proof = "proven optimal" if stats.certified else f"within {stats.gap_bound:.3%} of the optimum (proven bound)"
    lines = [
        f"{outcome.rows} people read; {stats.eligible_left} eligible {left_word}s, "
        f"{stats.eligible_right} eligible {right_word}s.",
        f"{len(result.pairs)} pairs, total score {result.total:.2f}, {proof}; "
        f"{len(result.unmatched)} people without a partner.",
        f"Pairs: {outcome.pairs_path}",
        f"Unmatched, with reasons: {outcome.unmatched_path}",
    ]
    fairness = result.fairness
    if fairness is not None:
        lines.append(f"Fairness: {fairness.message}.")
        for group in fairness.groups:
            lines.append(
                f"  {group.group}: {group.matched} matched, minimum {group.minimum}; "
                f"{group.eligible} eligible ({group.share:.1%} of all {fairness.eligible} eligible)"
            )
        if fairness.without_group:
            lines.append(
                f"  no group given: {fairness.without_group} eligible, counted in every share's total and in no minimum"
            )
    if outcome.ignored_columns:
        lines.append(f"Columns not used: {', '.join(outcome.ignored_columns)}.")
    timing = ", ".join(f"{name} {value:.1f}s" for name, value in outcome.seconds.items())
    lines.append(f"Time: {timing}.")
    return "\n".join(lines)
