"""The bridge from reverse mentoring to sponsorship, and the sponsorship pipeline.

*The bridge*: reverse mentors nominated by their senior mentee, and how far each got: enrolled in
the sponsorship programme (an enrolment in the pool, waitlisted or matched), sponsored (a pair
that started), promoted (after that start). Each person counts once, at the furthest step, so the
steps split the nominees into sibling groups for :func:`twofold.privacy.group_table`; "reached at
least" figures are sums of shown groups, released only when no group is hidden.

*The pipeline*: high-potential people (active) with and without an active sponsor, by level band
and by department. Each (band, with or without) is a group of its own, so a small group of
sponsored people is hidden like any other. *Sponsors' load*: sponsors by their number of active
protégés, as sibling groups.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from twofold.insights.funnel import LEVEL_BANDS, band_label
from twofold.insights.tables import Cell, Table, partition_table
from twofold.people.models import CareerEvent, CareerEventKind, Person
from twofold.privacy import Headcount, group_table
from twofold.programmes.models import EnrolmentStatus, Programme, ProgrammeKind
from twofold.relationships.models import Nomination, Relationship, RelationshipState

BRIDGE_STEPS = (
    ("nominated", "Nominated only"),
    ("enrolled", "Enrolled in sponsorship, not yet sponsored"),
    ("sponsored", "Sponsored, not promoted since"),
    ("promoted", "Sponsored and promoted since"),
)
BRIDGE_REACHED = ("Nominated", "Enrolled", "Sponsored", "Promoted")
IN_PROGRAMME = (EnrolmentStatus.ACTIVE, EnrolmentStatus.WAITLISTED)
WITH, WITHOUT = "With an active sponsor", "Without"
LOAD_BANDS = ((1, "1 protégé"), (2, "2 protégés"), (3, "3 or more protégés"))


@dataclass(frozen=True)
class Bridge:
    table: Table
    reached: tuple[tuple[str, Headcount], ...]  # empty when a group is hidden


def bridge(programme: Programme, *, as_of: date) -> Bridge:
    """The nominees of a reverse-mentoring programme (nominated by its mentees), or those nominated
    into a sponsorship programme, and the furthest step each reached by ``as_of``."""
    nominations = Nomination.objects.filter(created_at__date__lte=as_of)
    if programme.kind == ProgrammeKind.REVERSE_MENTORING:
        nominations = nominations.filter(source__programme=programme)
    else:
        nominations = nominations.filter(programme=programme)
    rows = list(nominations.values_list("nominee_id", "programme_id", "enrolment__status"))
    nominees = {nominee for nominee, _, _ in rows}
    sponsorships = {
        (mentee, programme_id): started.date()  # type: ignore[union-attr]  # filtered on a start
        for mentee, programme_id, started in Relationship.objects.filter(
            mentee_id__in=nominees, started_at__isnull=False, started_at__date__lte=as_of
        ).values_list("mentee_id", "programme_id", "started_at")
    }
    promotions: dict[int, list[date]] = {}
    for person_id, when in CareerEvent.objects.filter(
        person_id__in=nominees, kind=CareerEventKind.PROMOTION, effective_date__lte=as_of
    ).values_list("person_id", "effective_date"):
        promotions.setdefault(person_id, []).append(when)
    furthest: dict[int, int] = {}
    for nominee, target, status in rows:
        step = 1 if status in IN_PROGRAMME else 0
        started = sponsorships.get((nominee, target))
        if started is not None:
            step = 3 if any(when > started for when in promotions.get(nominee, ())) else 2
        furthest[nominee] = max(furthest.get(nominee, 0), step)
    counts = Counter(BRIDGE_STEPS[step][0] for step in furthest.values())
    table, released = partition_table(
        "bridge",
        "Nominated reverse mentors by the furthest step reached",
        counts,
        group_heading="Furthest step",
        count_heading="People",
        labels=dict(BRIDGE_STEPS),
        order=[key for key, _ in BRIDGE_STEPS],
    )
    reached: tuple[tuple[str, Headcount], ...] = ()
    if not released.any_hidden:
        shown = {row.key: row["n"].value or 0 for row in released.rows}
        keys = [key for key, _ in BRIDGE_STEPS]
        reached = tuple(
            (label, Headcount(sum(shown.get(key, 0) for key in keys[index:]), released.k))
            for index, label in enumerate(BRIDGE_REACHED)
        )
    return Bridge(table=table, reached=reached)


@dataclass(frozen=True)
class Pipeline:
    by_band: Table
    by_department: Table
    load: Table
    band_points: tuple[tuple[str, str, int], ...]  # (band, with/without, people) of shown groups


def pipeline(programme: Programme | None, *, as_of: date) -> Pipeline:
    """High-potential people with and without an active sponsor (in any sponsorship programme,
    or in ``programme`` when given), and sponsors' load."""
    pairs = Relationship.objects.filter(programme__kind=ProgrammeKind.SPONSORSHIP, started_at__date__lte=as_of).filter(
        Q(ended_at__isnull=True) | Q(ended_at__date__gt=as_of)
    )
    pairs = pairs.filter(
        state__in=[RelationshipState.ACTIVE, RelationshipState.COMPLETED, RelationshipState.ENDED_EARLY]
    )
    if programme is not None:
        pairs = pairs.filter(programme=programme)
    sponsored = set(pairs.values_list("mentee_id", flat=True))
    people = list(Person.objects.filter(active=True, high_potential=True).values_list("pk", "level", "department"))
    by_band: Counter[tuple[str, str]] = Counter()
    by_department: Counter[tuple[str, str]] = Counter()
    for pk, level, department in people:
        side = WITH if pk in sponsored else WITHOUT
        by_band[(band_label(level, LEVEL_BANDS) or "Unknown level", side)] += 1
        by_department[(department or "No department", side)] += 1
    band_table, points = _split_table(
        "pipeline-levels",
        "High-potential people by level band and sponsor",
        "Level band",
        by_band,
        [label for _, _, label in LEVEL_BANDS] + ["Unknown level"],
    )
    department_table, _ = _split_table(
        "pipeline-departments",
        "High-potential people by department and sponsor",
        "Department",
        by_department,
        sorted({department for department, _ in by_department}),
    )
    loads = Counter(
        min(n, LOAD_BANDS[-1][0]) for n in pairs.values("mentor_id").annotate(n=Count("pk")).values_list("n", flat=True)
    )
    load_table, _ = partition_table(
        "sponsor-load",
        "Sponsors by their number of active protégés",
        loads,
        group_heading="Load",
        count_heading="Sponsors",
        labels=dict(LOAD_BANDS),
        order=[n for n, _ in LOAD_BANDS],
    )
    return Pipeline(by_band=band_table, by_department=department_table, load=load_table, band_points=points)


def _split_table(
    slug: str, title: str, heading: str, counts: Counter[tuple[str, str]], order: list[str]
) -> tuple[Table, tuple[tuple[str, str, int], ...]]:
    keys = [(group, side) for group in order for side in (WITH, WITHOUT) if counts.get((group, side))]
    released = group_table({key: {"people": counts[key]} for key in keys}, size="people")
    shown = {row.key: row["people"] for row in released.rows}
    rows: list[tuple[Cell, ...]] = []
    points: list[tuple[str, str, int]] = []
    hidden = Headcount(None, released.k)
    for group in order:
        if not any((group, side) in counts for side in (WITH, WITHOUT)):
            continue
        with_, without = shown.get((group, WITH), hidden), shown.get((group, WITHOUT), hidden)
        if not with_.shown and not without.shown:
            continue
        rows.append((group, with_, without))
        points.extend((group, side, cell.value) for side, cell in ((WITH, with_), (WITHOUT, without)) if cell.value)
    rows.append(("All", released.total["people"], ""))
    return Table(slug, title, (heading, WITH, WITHOUT), tuple(rows), released.note), tuple(points)
