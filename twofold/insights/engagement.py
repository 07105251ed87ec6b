"""Engagement: do the pairs meet, sign their agreement, stay, and feel able to speak openly?

Pairs are counted in sibling groups that split the programme's pairs (by how often they meet
against their agreed cadence, by how soon they first met, by their agreement, by where an active
pair's meeting clock stands, by who ended a pair early), each through
:func:`twofold.privacy.group_table`. Check-in averages come from
:func:`twofold.relationships.aggregates.check_in_scores`, the very figures of the health page and
the overview. Free-text reasons for ending are never shown: only who ended the pair.

``as_of`` reads the records as they stood that day: pairs started by then, meetings held by then.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Min
from django.utils import timezone

from twofold.insights.tables import Table, partition_table
from twofold.people.leavers import LEFT_THE_ORGANISATION
from twofold.privacy import GroupTable, Mean
from twofold.programmes.models import Programme
from twofold.relationships.aggregates import SCORE_FIELDS, SIDES, check_in_scores
from twofold.relationships.history_rows import IMPORTED_END_REASON
from twofold.relationships.models import CheckInPoint, Meeting, MeetingStatus, Relationship, RelationshipState
from twofold.relationships.selectors import IDLE_AFTER_CADENCES

DAYS_PER_MONTH = 30.4375
CADENCE_BANDS = (
    ("met", "At or above the agreed cadence"),
    ("half", "Half the cadence or more"),
    ("below", "Less than half the cadence"),
    ("new", "Started less than one cadence ago"),
)
FIRST_MEETING_BANDS = (
    ("2w", "Within 2 weeks"),
    ("4w", "2 to 4 weeks"),
    ("later", "After 4 weeks"),
    ("none", "No meeting yet"),
    ("unknown", "Not recorded (imported history: a count of meetings only)"),
)
AGREEMENT_BANDS = (("both", "Signed by both"), ("one", "Signed by one"), ("none", "Not signed"))
CLOCK_BANDS = (("on_track", "On track"), ("overdue", "Meeting overdue"), ("idle", "Idle (twice the cadence)"))
ENDED_BY_BANDS = (
    ("mentor", "Ended by the mentor or sponsor"),
    ("mentee", "Ended by the mentee or protégé"),
    ("left", "One of the two left the organisation"),
    ("other", "Ended by a programme manager"),
    ("imported", "Ended early, who ended it not recorded (imported history)"),
)
SIDE_LABELS = {
    ("reverse_mentoring", "mentor"): "Junior reverse mentors",
    ("reverse_mentoring", "mentee"): "Senior mentees",
    ("sponsorship", "mentor"): "Sponsors",
    ("sponsorship", "mentee"): "Protégés",
}
FIELD_LABELS = {
    "satisfaction": "Satisfaction",
    "psychological_safety": "I can speak openly",
    "progress": "Progress",
}


@dataclass(frozen=True)
class ScoreRow:
    point: str
    side: str
    scores: dict[str, Mean]


@dataclass(frozen=True)
class Engagement:
    programme: Programme
    as_of: date
    started: int
    cadence: GroupTable[object]
    tables: tuple[Table, ...]
    scores: tuple[ScoreRow, ...]

    @property
    def scores_table(self) -> Table:
        return Table(
            "checkin-scores",
            "Check-in averages (1–5) by point and side",
            ("Check-in point", "Who answered", *(FIELD_LABELS[name] for name in SCORE_FIELDS)),
            tuple((row.point, row.side, *(row.scores[name] for name in SCORE_FIELDS)) for row in self.scores),
            "Averages are released in whole groups of answers; a cell reads “fewer than k answers” until it has them.",
        )


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def engagement(programme: Programme, *, as_of: date) -> Engagement:
    """The engagement section of one programme as its records stood at the end of ``as_of``."""
    until = _end_of(as_of)
    pairs = list(
        Relationship.objects.filter(programme=programme, started_at__isnull=False, started_at__lt=until).values_list(
            "pk",
            "state",
            "started_at",
            "ended_at",
            "ended_by_id",
            "end_reason",
            "mentor_id",
            "mentee_id",
            "agreement__cadence_days",
            "agreement__mentor_accepted_at",
            "agreement__mentee_accepted_at",
            "meetings_held",
        )
    )
    # Meetings held by the day, per pair: how many, the first and the latest, in one grouped query.
    held = {
        row["relationship_id"]: (row["n"], row["first"], row["last"])
        for row in Meeting.objects.filter(
            relationship__programme=programme, status=MeetingStatus.HELD, starts_at__lt=until
        )
        .values("relationship_id")
        .annotate(n=Count("pk"), first=Min("starts_at"), last=Max("starts_at"))
        .order_by()
    }
    cadence_counts: Counter[str] = Counter()
    first_counts: Counter[str] = Counter()
    agreement_counts: Counter[str] = Counter()
    clock_counts: Counter[str] = Counter()
    ended_counts: Counter[str] = Counter()
    for pk, state, started, ended, ended_by, reason, mentor, mentee, cadence, mentor_ok, mentee_ok, counted in pairs:
        assert started is not None  # filtered on a start
        cadence_days = cadence or programme.cadence_days
        stop = min(ended, until) if ended is not None else until
        days = (stop - started).total_seconds() / 86400
        meetings, first, last = held.get(pk, (0, None, None))
        # A pair imported from another tool (import-relationships) brings a count of meetings, not the
        # meetings themselves: the count stands for them, and when the first was is not known.
        imported = pk not in held and counted > 0
        if imported:
            meetings = counted
        if days < cadence_days:
            cadence_counts["new"] += 1
        else:
            ratio = meetings / (days / cadence_days)
            cadence_counts["met" if ratio >= 1 else "half" if ratio >= 0.5 else "below"] += 1
        if imported:
            first_counts["unknown"] += 1
        elif first is None:
            first_counts["none"] += 1
        else:
            wait = (first - started).days
            first_counts["2w" if wait <= 14 else "4w" if wait <= 28 else "later"] += 1
        signed = sum(moment is not None and moment < until for moment in (mentor_ok, mentee_ok))
        agreement_counts[("none", "one", "both")[signed]] += 1
        if ended is None or ended >= until:  # active on the day
            since = last or started
            gap = (until - since).days
            clock_counts[
                "idle" if gap > IDLE_AFTER_CADENCES * cadence_days else "overdue" if gap > cadence_days else "on_track"
            ] += 1
        if state == RelationshipState.ENDED_EARLY and ended is not None and ended < until:
            if ended_by is None and reason == IMPORTED_END_REASON:
                ended_counts["imported"] += 1
            elif ended_by is None and reason == LEFT_THE_ORGANISATION:
                ended_counts["left"] += 1
            elif ended_by == mentor:
                ended_counts["mentor"] += 1
            elif ended_by == mentee:
                ended_counts["mentee"] += 1
            else:
                ended_counts["other"] += 1
    tables = []
    cadence_table, cadence_released = _partition(
        "meeting-cadence",
        "Pairs by meetings held against their agreed cadence",
        "Meetings held",
        cadence_counts,
        CADENCE_BANDS,
    )
    tables.append(cadence_table)
    for slug, title, heading, counts, bands in (
        (
            "first-meeting",
            "Pairs by time from the start to the first meeting",
            "First meeting",
            first_counts,
            FIRST_MEETING_BANDS,
        ),
        ("agreements", "Pairs by agreement signed", "Agreement", agreement_counts, AGREEMENT_BANDS),
        (
            "meeting-clock",
            "Pairs active on the day, by their meeting clock",
            "Meeting clock",
            clock_counts,
            CLOCK_BANDS,
        ),
        ("early-endings", "Pairs ended early, by who ended them", "Ended by", ended_counts, ENDED_BY_BANDS),
    ):
        tables.append(_partition(slug, title, heading, counts, bands)[0])
    scores = check_in_scores([programme.pk])[programme.pk]
    points = dict(CheckInPoint.choices)
    rows = tuple(
        ScoreRow(points[point], SIDE_LABELS[(programme.kind, side)], by_field)
        for point in CheckInPoint.values
        for side in SIDES
        if (by_field := scores.by_point_side.get((point, side))) is not None
    )
    return Engagement(programme, as_of, len(pairs), cadence_released, tuple(tables), rows)


def _partition(
    slug: str, title: str, heading: str, counts: Counter[str], bands: tuple[tuple[str, str], ...]
) -> tuple[Table, GroupTable[object]]:
    return partition_table(
        slug,
        title,
        counts,
        group_heading=heading,
        count_heading="Pairs",
        labels=dict(bands),
        order=[key for key, _ in bands],
    )
