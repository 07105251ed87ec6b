"""Careers of a programme's participants against a matched comparison group, read from the database.

Who counts as a participant: in sponsorship the protégés, in reverse mentoring the junior reverse
mentors, of every pair that started. The index date is the programme's start (its ``starts_on``,
else its first pair's start). The comparison pool is everyone employed on that date (hired on or
before it, not yet left) who was never on that side of a programme of the same kind. Everyone is
described as on the index date: the level is read back through their career events (the level a
later promotion or level change started from), tenure from the hire date; department and the
high-potential flag are today's, as the directory keeps no history of them.

Every count of people shown passes :func:`twofold.privacy.group_table`; when either group is
hidden there, no estimate built on it is released either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from twofold.insights.comparison import DAYS_PER_MONTH, CareersComparison, Subject, careers_comparison
from twofold.people.models import CareerEvent, CareerEventKind, Person
from twofold.privacy import GroupTable, group_table
from twofold.programmes.models import Programme, ProgrammeKind
from twofold.relationships.models import Relationship

# Promotion and retention are read within a year of the start, or within the follow-up so far.
HORIZON_MONTHS = 12
CURVE_MONTHS = 24
PARTICIPANTS, COMPARISON = "Participants", "Matched comparison group"


@dataclass(frozen=True)
class CareersEvidence:
    """One programme's careers section: ``comparison`` is None when nothing may or can be said,
    and ``why_not`` then says why in a sentence."""

    programme: Programme
    side: str
    start: date | None
    as_of: date
    counts: GroupTable[str] | None
    comparison: CareersComparison | None
    why_not: str

    @property
    def horizon_months(self) -> int:
        return self.comparison.horizon_months if self.comparison else 0


def participant_side(programme: Programme) -> tuple[str, str]:
    """The relationship field of the participants whose careers are followed, and their name."""
    if programme.kind == ProgrammeKind.SPONSORSHIP:
        return "mentee", "protégés"
    return "mentor", "reverse mentors"


def programme_start_on(programme: Programme) -> date | None:
    """The index date: the programme's ``starts_on``, else the day its first pair started."""
    if programme.starts_on:
        return programme.starts_on
    first = (
        Relationship.objects.filter(programme=programme, started_at__isnull=False)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return first.date() if first else None


@dataclass(frozen=True)
class _Pairs:
    """Who took part on the followed side, and who may not serve as a comparison, in one query."""

    participants: set[int]
    taken: set[int]
    first_start: date | None


def _pairs(programme: Programme, field: str) -> _Pairs:
    rows = Relationship.objects.filter(
        Q(programme__kind=programme.kind, started_at__isnull=False) | Q(programme=programme)
    ).values_list("programme_id", "mentor_id", "mentee_id", "started_at")
    participants: set[int] = set()
    taken: set[int] = set()
    starts = []
    for programme_id, mentor_id, mentee_id, started_at in rows:
        followed = mentee_id if field == "mentee" else mentor_id
        if started_at is not None:
            taken.add(followed)
        if programme_id == programme.pk:
            # Anyone in this programme, on either side, is no fair comparison for it.
            taken.update((mentor_id, mentee_id))
            if started_at is not None:
                participants.add(followed)
                starts.append(started_at.date())
    return _Pairs(participants, taken, min(starts) if starts else None)


def careers_evidence(programme: Programme, *, as_of: date, department: str | None = None) -> CareersEvidence:
    """The careers section of one programme as of a date, for everyone or one department."""
    field, side = participant_side(programme)
    pairs = _pairs(programme, field)
    start = programme.starts_on or pairs.first_start

    def nothing(why: str) -> CareersEvidence:
        return CareersEvidence(programme, side, start, as_of, None, None, why)

    if start is None or start >= as_of:
        return nothing("The programme has not started yet.")
    # A year, or the whole follow-up so far when it is shorter (the same window for both groups).
    horizon = min(HORIZON_MONTHS * DAYS_PER_MONTH, float((as_of - start).days))
    if horizon < DAYS_PER_MONTH:
        return nothing("Less than a month has passed since the programme started.")
    subjects = _subjects(pairs, start, as_of, department)
    participants = [s for s in subjects if s.participant]
    followed = float((as_of - start).days)
    # Month by month, the last month read on the last day of follow-up.
    curve_days = [min(m * DAYS_PER_MONTH, followed) for m in range(0, CURVE_MONTHS + 1)]
    result = careers_comparison(subjects, horizon_days=horizon, curve_days=curve_days)
    used = result.matching.weights > 0
    comparison_people = sum(1 for s, u in zip(subjects, used, strict=True) if u and not s.participant)
    counts = group_table(
        {
            PARTICIPANTS: {
                "people": len(participants),
                "promoted": result.participants_promoted,
                "left": result.participants_left,
            },
            COMPARISON: {
                "people": comparison_people,
                "promoted": result.comparison_promoted,
                "left": result.comparison_left,
            },
        },
        size="people",
        totals=("people", "promoted", "left"),
        subsets=("promoted", "left"),
    )
    if not participants:
        where = f"in {department}" if department is not None else "yet"
        return CareersEvidence(programme, side, start, as_of, counts, None, f"No {side} {where}.")
    if len(counts.rows) < 2:
        return CareersEvidence(
            programme, side, start, as_of, counts, None, "Too few people to compare without pointing at someone."
        )
    return CareersEvidence(programme, side, start, as_of, counts, result, "")


def _subjects(pairs: _Pairs, start: date, as_of: date, department: str | None) -> list[Subject]:
    participant_ids, taken = pairs.participants, pairs.taken
    people = Person.objects.filter(hire_date__isnull=False, hire_date__lte=start)
    if department is not None:
        people = people.filter(department=department)
    rows = list(people.values_list("pk", "level", "department", "hire_date", "high_potential", "active"))
    ids = [row[0] for row in rows]
    promoted, left, level_then = _careers_after(ids, start, as_of)
    subjects = []
    for pk, level, dept, hired, flag, active in rows:
        participant = pk in participant_ids
        if (pk in taken and not participant) or (pk in left and left[pk] <= start):
            continue
        if not active and pk not in left:
            continue  # left on a date nobody recorded: neither group can follow them
        subjects.append(
            Subject(
                participant=participant,
                level=level_then.get(pk, level),
                department=dept,
                tenure_years=(start - hired).days / 365.25 if hired else 0.0,
                high_potential=flag,
                followed=float((as_of - start).days),
                promoted_after=_days(promoted.get(pk), start),
                left_after=_days(left.get(pk), start),
            )
        )
    return subjects


def _days(when: date | None, start: date) -> float | None:
    return None if when is None else float((when - start).days)


def _careers_after(
    ids: Iterable[int], start: date, as_of: date
) -> tuple[dict[int, date], dict[int, date], dict[int, int]]:
    """First promotion after the start, the exit (any exit on or before the end of follow-up;
    an exit on or before the start removes the person), and the level held on the start date."""
    promoted: dict[int, date] = {}
    left: dict[int, date] = {}
    level_then: dict[int, int] = {}
    wanted = set(ids)
    events = (
        CareerEvent.objects.filter(effective_date__lte=as_of)
        .filter(
            Q(kind=CareerEventKind.EXIT)
            | Q(kind__in=[CareerEventKind.PROMOTION, CareerEventKind.LEVEL_CHANGE], effective_date__gt=start)
        )
        .order_by("effective_date", "pk")
        .values_list("person_id", "kind", "effective_date", "from_level")
    )
    for person_id, kind, when, from_level in events:
        if person_id not in wanted:
            continue
        if kind == CareerEventKind.EXIT:
            left[person_id] = when  # the latest exit on record wins (a rehire and a second exit)
            continue
        if from_level is not None:
            level_then.setdefault(person_id, from_level)
        if kind == CareerEventKind.PROMOTION:
            promoted.setdefault(person_id, when)
    return promoted, left, level_then
