"""Importing past relationships: years of programmes kept in another tool, brought in so that their
outcomes count in the insights from day one (``twofold import-relationships FILE``).

The import is the people import's sibling: the same reader and row problems
(:mod:`twofold.people.tabular`), the same record of every run, refused or not
(:func:`~twofold.people.import_services.import_record_new`), all or nothing, and a dry run that
says what would change. Who may run it is asked of ``accounts.permissions``
(``relationships.import``: org admins and the command line). A programme the file names that does
not exist is created through :func:`~twofold.programmes.services.programme_create` and moved along
its states as the dates say (running while any of its pairs is, else closed).

The pairs themselves are history, not proposals: the rules a match run or a proposal applies today
(eligibility, seats, the level gap as levels stand now) do not judge them. What holds for every
pair, past or present, is checked here: both people in the directory, two different people, never
within one reporting line (:meth:`~twofold.people.models.Person.in_reporting_line_with`, the rule
proposals use), dates in order and agreeing with how the pair ended, one open pair per mentee in a
programme, one role per person in a programme, and the programme's kind. Re-importing the same
file changes nothing: a pair is the same pair when its programme, mentor, mentee and start date are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts import permissions
from twofold.people.import_services import (
    ImportFile,
    ImportNotPermitted,
    import_record_new,
    import_record_save,
    import_recorded,
)
from twofold.people.models import ImportKind
from twofold.people.tabular import FileRejected, Problem, read_file_bytes, read_table_bytes
from twofold.programmes.models import Enrolment, EnrolmentRole, Programme, ProgrammeState
from twofold.programmes.services import programme_create, programme_defaults, programme_transition
from twofold.relationships.history_rows import IMPORTED_END_REASON, ParsedHistory, PastPair, parse_history
from twofold.relationships.meeting_clock import meeting_clock_refresh
from twofold.relationships.models import OPEN_STATES, Answer, Relationship, RelationshipState

# The existing programmes past pairs may join: those that have had pairs.
TAKES_HISTORY = (ProgrammeState.MATCHING, ProgrammeState.RUNNING, ProgrammeState.CLOSED)
# The states a new programme passes through to reach running, one allowed edge at a time.
TO_RUNNING = (ProgrammeState.ENROLLING, ProgrammeState.MATCHING, ProgrammeState.RUNNING)
MAX_DURATION_MONTHS = 120


@dataclass
class HistoryImportResult:
    rows: int
    created: int
    unchanged: int
    dry_run: bool = False
    # Names of the programmes the file created (or, on a dry run, would), with the state each has.
    programmes_created: dict[str, str] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)


@dataclass
class _Plan:
    fresh: list[PastPair]
    unchanged: int
    existing: dict[str, Programme]  # by casefolded name
    new: dict[str, list[PastPair]]  # by casefolded name, the rows of programmes to create


def relationships_history_import_file(
    path: str | Path, *, actor: Any, dry_run: bool = False, today: date | None = None
) -> HistoryImportResult:
    """Import past pairs from a CSV or XLSX file, all or nothing.

    Raises :class:`~twofold.people.import_services.ImportNotPermitted` when ``actor`` may not, and
    :class:`~twofold.people.tabular.FileRejected` listing every problem (row and column); in both
    cases nothing is written but the import's record.
    """
    path = Path(path)
    data = read_file_bytes(path)
    record = import_record_new(
        ImportKind.RELATIONSHIPS, actor=actor, file=ImportFile.of(data, name=path.name), dry_run=dry_run
    )
    with import_recorded(record):
        try:
            permissions.authorize(actor, "relationships.import")
        except permissions.NotPermitted as refusal:
            raise ImportNotPermitted(
                "Past relationships are imported by org admins.", action="relationships.import"
            ) from refusal
        table = read_table_bytes(data, name=path.name)
        today = today or timezone.localdate()
        parsed = parse_history(table, today=today)
        with transaction.atomic():
            # The good rows are checked against what is recorded even when others are bad: one run
            # names every problem in the file.
            plan, problems = _plan(parsed)
            if parsed.problems or problems:
                raise FileRejected(parsed.problems + problems)
            result = HistoryImportResult(
                rows=len(parsed.pairs),
                created=len(plan.fresh),
                unchanged=plan.unchanged,
                dry_run=dry_run,
                programmes_created={rows[0].programme: _state_of(rows) for rows in plan.new.values()},
                by_state=dict(Counter(pair.state for pair in plan.fresh)),
            )
            if not dry_run:
                _write(plan, actor=actor, today=today)
            import_record_save(record, rows=result.rows, created=result.created)
        return result


def _state_of(rows: list[PastPair]) -> str:
    return (
        ProgrammeState.RUNNING
        if any(pair.state == RelationshipState.ACTIVE for pair in rows)
        else ProgrammeState.CLOSED
    )


def _plan(parsed: ParsedHistory) -> tuple[_Plan, list[Problem]]:
    """The rows against the programmes, enrolments and pairs already recorded, and every problem found."""
    problems: list[Problem] = []

    def problem(pair: PastPair, field_name: str, message: str) -> None:
        problems.append(Problem(pair.row, parsed.column(field_name), message, row_label=parsed.row_label))

    names = {pair.programme.casefold() for pair in parsed.pairs}
    found: dict[str, list[Programme]] = defaultdict(list)
    for programme in Programme.objects.all().only("pk", "name", "kind", "state"):
        if programme.name.casefold() in names:
            found[programme.name.casefold()].append(programme)
    existing: dict[str, Programme] = {}
    new: dict[str, list[PastPair]] = defaultdict(list)
    usable: list[PastPair] = []
    kind_in_file: dict[str, tuple[str, int]] = {}
    for pair in parsed.pairs:
        name = pair.programme.casefold()
        programmes = found.get(name, [])
        if len(programmes) > 1:
            problem(pair, "programme", f"{len(programmes)} programmes are called {pair.programme!r}: rename one first")
            continue
        if programmes:
            programme = programmes[0]
            if programme.kind != pair.kind:
                problem(
                    pair,
                    "kind",
                    f"{programme.name!r} is a {programme.get_kind_display().lower()} programme; this row says "
                    f"{_kind_label(pair.kind)}",
                )
                continue
            if programme.state not in TAKES_HISTORY:
                problem(
                    pair,
                    "programme",
                    f"{programme.name!r} is {programme.get_state_display().lower()} and has had no pairs yet; "
                    "import its past pairs under another name",
                )
                continue
            if programme.state == ProgrammeState.CLOSED and pair.state == RelationshipState.ACTIVE:
                problem(pair, "end_state", f"{programme.name!r} is closed: none of its pairs can still be active")
                continue
            existing[name] = programme
        else:
            first = kind_in_file.setdefault(name, (pair.kind, pair.row))
            if first[0] != pair.kind:
                problem(
                    pair,
                    "kind",
                    f"row {first[1]} gives {pair.programme!r} as {_kind_label(first[0])}, this row as "
                    f"{_kind_label(pair.kind)}",
                )
                continue
            new[name].append(pair)
        usable.append(pair)

    known = _known_pairs(existing, usable)
    roles = _known_roles(existing, usable)
    open_mentees: dict[tuple[str, int], int] = {}
    for (programme_name, _mentor, mentee, _started), (state, _ended, _meetings) in known.items():
        if state in OPEN_STATES:
            open_mentees[(programme_name, mentee)] = 0  # row 0: recorded before this import
    fresh: list[PastPair] = []
    unchanged = 0
    for pair in usable:
        name = pair.programme.casefold()
        recorded = known.get(pair.key)
        if recorded is not None:
            state, ended, meetings = recorded
            if (state, ended, meetings) == (pair.state, pair.ended_on, pair.meetings_held):
                unchanged += 1
            else:
                problem(
                    pair,
                    "end_state",
                    f"this pair is already recorded ({state.replace('_', ' ')}"
                    f"{f', ended {ended}' if ended else ''}, {meetings} meetings); Twofold keeps what it has",
                )
            continue
        role_problem = False
        for person, role in ((pair.mentor, EnrolmentRole.MENTOR), (pair.mentee, EnrolmentRole.MENTEE)):
            earlier = roles.setdefault((name, person.pk), (role, pair.row))
            if earlier[0] != role:
                where = f"on row {earlier[1]}" if earlier[1] else "already"
                field_name = "mentor_employee_id" if role == EnrolmentRole.MENTOR else "mentee_employee_id"
                problem(
                    pair,
                    field_name,
                    f"{person.employee_id} is {where} a {_role_label(earlier[0])} in {pair.programme!r}: one role per "
                    "person in a programme",
                )
                role_problem = True
        if role_problem:
            continue
        if pair.state == RelationshipState.ACTIVE:
            other = open_mentees.setdefault((name, pair.mentee.pk), pair.row)
            if other != pair.row:
                where = f"row {other}" if other else "a pair already recorded"
                problem(
                    pair,
                    "end_state",
                    f"{pair.mentee.employee_id} already has an active pair in {pair.programme!r} ({where}): "
                    "one at a time",
                )
                continue
        fresh.append(pair)
    return _Plan(fresh=fresh, unchanged=unchanged, existing=existing, new=dict(new)), problems


def _kind_label(kind: str) -> str:
    return kind.replace("_", " ")


def _role_label(role: str) -> str:
    return "mentor or sponsor" if role == EnrolmentRole.MENTOR else "mentee or protégé"


def _known_pairs(
    existing: dict[str, Programme], pairs: list[PastPair]
) -> dict[tuple[str, int, int, date], tuple[str, date | None, int]]:
    """The pairs already recorded in the programmes the file names, by the key of a row."""
    by_pk = {programme.pk: name for name, programme in existing.items()}
    people = {pair.mentor.pk for pair in pairs} | {pair.mentee.pk for pair in pairs}
    known: dict[tuple[str, int, int, date], tuple[str, date | None, int]] = {}
    for programme_id, mentor, mentee, started, ended, state, meetings in Relationship.objects.filter(
        programme_id__in=list(by_pk), mentee_id__in=people
    ).values_list("programme_id", "mentor_id", "mentee_id", "started_at", "ended_at", "state", "meetings_held"):
        day = timezone.localdate(started) if started is not None else None
        if day is None and state not in OPEN_STATES:
            continue  # a proposal declined or expired: never a pair
        key = (by_pk[programme_id], mentor, mentee, day or date.min)
        known[key] = (state, timezone.localdate(ended) if ended is not None else None, meetings)
    return known


def _known_roles(existing: dict[str, Programme], pairs: list[PastPair]) -> dict[tuple[str, int], tuple[str, int]]:
    """Each person's role in the programmes the file names, as enrolled already (row 0)."""
    by_pk = {programme.pk: name for name, programme in existing.items()}
    people = {pair.mentor.pk for pair in pairs} | {pair.mentee.pk for pair in pairs}
    return {
        (by_pk[programme_id], person_id): (role, 0)
        for programme_id, person_id, role in Enrolment.objects.filter(
            programme_id__in=list(by_pk), person_id__in=people
        ).values_list("programme_id", "person_id", "role")
    }


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + (1 if end.day > start.day else 0)


def _create_programme(rows: list[PastPair], *, actor: Any, today: date) -> Programme:
    """A programme the file names and Twofold has not heard of: running while any pair is, else
    closed, its window from the first start to the last end (or today)."""
    first, kind = rows[0], rows[0].kind
    starts_on = min(pair.started_on for pair in rows)
    state = _state_of(rows)
    if state == ProgrammeState.CLOSED:
        ends_on = max(pair.ended_on or pair.started_on for pair in rows)
    else:
        ends_on = max([today, *(pair.ended_on or today for pair in rows)])
    duration = max(programme_defaults(kind)["duration_months"], _months_between(starts_on, ends_on))
    programme = programme_create(
        actor=actor,
        name=first.programme,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        duration_months=min(duration, MAX_DURATION_MONTHS),
        description="Imported from earlier records.",
    )
    for to_state in TO_RUNNING:
        programme = programme_transition(actor=actor, programme=programme, to_state=to_state)
    if state == ProgrammeState.CLOSED:
        programme = programme_transition(actor=actor, programme=programme, to_state=ProgrammeState.CLOSED)
    return programme


def _write(plan: _Plan, *, actor: Any, today: date) -> None:
    programmes = dict(plan.existing)
    for name, rows in plan.new.items():
        programmes[name] = _create_programme(rows, actor=actor, today=today)
    enrolments = _enrolments(plan.fresh, programmes)
    Relationship.objects.bulk_create(
        [
            Relationship(
                programme=programmes[pair.programme.casefold()],
                mentor=pair.mentor,
                mentee=pair.mentee,
                mentor_enrolment=enrolments[(programmes[pair.programme.casefold()].pk, pair.mentor.pk)],
                mentee_enrolment=enrolments[(programmes[pair.programme.casefold()].pk, pair.mentee.pk)],
                state=pair.state,
                mentor_answer=Answer.ACCEPTED,
                mentee_answer=Answer.ACCEPTED,
                proposed_at=_at(pair.started_on, 9),
                started_at=_at(pair.started_on, 9),
                ended_at=_at(pair.ended_on, 17) if pair.ended_on else None,
                end_reason=IMPORTED_END_REASON if pair.state == RelationshipState.ENDED_EARLY else "",
                meetings_held=pair.meetings_held,
            )
            for pair in plan.fresh
        ]
    )
    # Rows made in bulk are not saved one by one: their meeting clock is written here (each has a
    # start, so none has a clock yet; pairs already there keep theirs).
    meeting_clock_refresh(
        Relationship.objects.filter(
            programme__in=list(programmes.values()), started_at__isnull=False, meeting_due_at__isnull=True
        )
    )


def _enrolments(pairs: list[PastPair], programmes: dict[str, Programme]) -> dict[tuple[int, int], Enrolment]:
    """Each person's enrolment in each programme, made where missing: the pool the pairs came from.
    A mentor's enrolment counts their active pairs as taken seats, with room for them all."""
    wanted: dict[tuple[int, int], str] = {}
    active_seats: Counter[tuple[int, int]] = Counter()
    for pair in pairs:
        programme = programmes[pair.programme.casefold()]
        wanted[(programme.pk, pair.mentor.pk)] = EnrolmentRole.MENTOR
        wanted[(programme.pk, pair.mentee.pk)] = EnrolmentRole.MENTEE
        if pair.state == RelationshipState.ACTIVE:
            active_seats[(programme.pk, pair.mentor.pk)] += 1
    capacity = {programme.pk: programme.capacity for programme in programmes.values()}
    found = {
        (enrolment.programme_id, enrolment.person_id): enrolment
        for enrolment in Enrolment.objects.select_for_update().filter(
            programme_id__in=list(capacity), person_id__in={person for _, person in wanted}
        )
    }
    for key, enrolment in found.items():
        if active_seats[key]:
            enrolment.seats_taken += active_seats[key]
            enrolment.capacity = max(enrolment.capacity, enrolment.seats_taken)
            enrolment.save(update_fields=["seats_taken", "capacity", "updated_at"])
    missing = [key for key in wanted if key not in found]
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                programme_id=programme_id,
                person_id=person_id,
                role=wanted[(programme_id, person_id)],
                capacity=max(capacity[programme_id], active_seats[(programme_id, person_id)])
                if wanted[(programme_id, person_id)] == EnrolmentRole.MENTOR
                else 1,
                seats_taken=active_seats[(programme_id, person_id)],
            )
            for programme_id, person_id in missing
        ]
    )
    made = Enrolment.objects.filter(programme_id__in=list(capacity), person_id__in={person for _, person in wanted})
    return {(enrolment.programme_id, enrolment.person_id): enrolment for enrolment in made}
