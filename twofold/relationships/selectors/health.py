"""Programme health: the pairs' meeting clock, and aggregates a programme manager may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from twofold.programmes.models import Programme
from twofold.relationships.aggregates import CheckInScores, check_in_scores
from twofold.relationships.models import Concern, Relationship, RelationshipState
from twofold.relationships.selectors.concerns import OPEN_CONCERN_STATES


def with_meeting_clock(relationships: QuerySet[Relationship], *, now: datetime | None = None) -> QuerySet[Relationship]:
    """``relationships`` each annotated with whether its meeting clock has run out at ``now``.

    The clock is stored on each row (:mod:`twofold.relationships.meeting_clock`): ``last_met_at``,
    the latest held meeting, None if none yet; ``meeting_due_at``, a cadence after that meeting or
    after the start; ``idle_from``, twice the cadence after it. ``overdue`` and ``idle``: whether
    ``now`` is past those. Only active pairs run the clock: read the flags with the state.
    """
    now = now or timezone.now()
    return relationships.annotate(
        overdue=ExpressionWrapper(Q(meeting_due_at__lt=now), output_field=BooleanField()),
        idle=ExpressionWrapper(Q(idle_from__lt=now), output_field=BooleanField()),
    )


def relationships_meeting_clock(*, programme: Programme, now: datetime | None = None) -> QuerySet[Relationship]:
    """The programme's active relationships, each annotated with its meeting clock (:func:`with_meeting_clock`)."""
    active = Relationship.objects.filter(programme=programme, state=RelationshipState.ACTIVE)
    return with_meeting_clock(active, now=now)


def relationships_behind_on_meetings(*, programme: Programme, now: datetime | None = None) -> QuerySet[Relationship]:
    """The programme's active pairs whose next meeting is overdue, longest overdue first, with both
    people: for the programme managers' health page, which shows who and since when, never a note."""
    now = now or timezone.now()
    return (
        relationships_meeting_clock(programme=programme, now=now)
        .filter(Q(meeting_due_at__lt=now))
        .select_related("mentor", "mentee")
        # What the page shows of each pair: the names and the clock, not every column of three rows.
        .only(
            "pk",
            "programme_id",
            "state",
            "last_met_at",
            "started_at",
            "meeting_due_at",
            "idle_from",
            "mentor__name",
            "mentee__name",
        )
        .order_by("meeting_due_at", "pk")
    )


@dataclass(frozen=True)
class ProgrammeHealth:
    """How a programme's pairs are doing, in aggregates a programme manager (or an executive) may see."""

    pairs_by_state: dict[str, int]
    active: int
    overdue_meetings: int
    idle: int
    scores: CheckInScores
    open_concerns: int

    @property
    def check_ins(self) -> int:
        return self.scores.answered


def programme_health(*, programme: Programme, now: datetime | None = None) -> ProgrammeHealth:
    """Pairs by state, meetings overdue (none held within the cadence), idle pairs (none for twice the
    cadence), check-in averages overall and per point (the overview's very figures), open concerns:
    at most three queries, any size (the pairs' figures in one pass over the programme's pairs)."""
    now = now or timezone.now()
    # One pass over the programme's entries of the index that holds the state and the stored clock,
    # a row per state (counting states, never null, rather than ids, so that the index alone
    # answers): the clock is only read for active pairs, the states for all.
    rows = (
        Relationship.objects.filter(programme=programme)
        .values("state")
        .annotate(
            pairs=Count("state"),
            overdue=Count("state", filter=Q(meeting_due_at__lt=now)),
            idle=Count("state", filter=Q(idle_from__lt=now)),
        )
        .order_by()
    )
    counts = {row["state"]: row for row in rows}
    by_state = {value: counts[value]["pairs"] if value in counts else 0 for value in RelationshipState.values}
    active = counts.get(RelationshipState.ACTIVE, {"overdue": 0, "idle": 0})
    open_concerns = Concern.objects.filter(relationship__programme=programme, status__in=OPEN_CONCERN_STATES).count()
    return ProgrammeHealth(
        pairs_by_state=by_state,
        active=by_state[RelationshipState.ACTIVE],
        overdue_meetings=active["overdue"],
        idle=active["idle"],
        scores=check_in_scores([programme.pk])[programme.pk],
        open_concerns=open_concerns,
    )
