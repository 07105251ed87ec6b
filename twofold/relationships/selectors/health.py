"""Programme health: the pairs' meeting clock, and aggregates a programme manager may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from twofold.programmes.models import Programme
from twofold.relationships.aggregates import CheckInScores, check_in_scores
from twofold.relationships.models import Concern, Relationship, RelationshipState
from twofold.relationships.selectors.concerns import OPEN_CONCERN_STATES


class PlusDays(Func):
    """``moment + days`` for an integer expression ``days``.

    Django can multiply an integer column into an interval on PostgreSQL but not on SQLite, where
    durations are microsecond counts handled by Django's own ``django_format_dtdelta`` function.
    """

    output_field = DateTimeField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler, connection, template="(%(expressions)s * INTERVAL '1 day')", arg_joiner=" + ", **extra_context
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="django_format_dtdelta('+', %(expressions)s * 86400000000)",
            arg_joiner=", ",
            **extra_context,
        )


# A pair is idle after this many cadences without a held meeting (the health page, the reminders, insights).
IDLE_AFTER_CADENCES = 2


def with_meeting_clock(
    relationships: QuerySet[Relationship], *, programme: Programme, now: datetime | None = None
) -> QuerySet[Relationship]:
    """``relationships`` (of ``programme``) each annotated with its meeting clock.

    ``last_met_at`` (kept on the row by the meeting services): the latest held meeting, None if none
    yet; ``meeting_due_at``: a cadence after that meeting, or after the start; ``idle_from``: twice
    the cadence after it; ``overdue`` and ``idle``: whether ``now`` is past those. The cadence is the
    pair's agreed one, else the programme's. Only active pairs run the clock: read the flags with
    the state.
    """
    now = now or timezone.now()
    cadence: Expression = Coalesce(F("agreement__cadence_days"), Value(programme.cadence_days))
    clock_start = Coalesce(F("last_met_at"), F("started_at"))
    return relationships.annotate(
        meeting_due_at=PlusDays(clock_start, cadence),
        idle_from=PlusDays(clock_start, cadence * Value(IDLE_AFTER_CADENCES, output_field=IntegerField())),
    ).annotate(
        overdue=ExpressionWrapper(Q(meeting_due_at__lt=now), output_field=BooleanField()),
        idle=ExpressionWrapper(Q(idle_from__lt=now), output_field=BooleanField()),
    )


def relationships_meeting_clock(*, programme: Programme, now: datetime | None = None) -> QuerySet[Relationship]:
    """The programme's active relationships, each annotated with its meeting clock (:func:`with_meeting_clock`)."""
    active = Relationship.objects.filter(programme=programme, state=RelationshipState.ACTIVE)
    return with_meeting_clock(active, programme=programme, now=now)


def relationships_behind_on_meetings(*, programme: Programme, now: datetime | None = None) -> QuerySet[Relationship]:
    """The programme's active pairs whose next meeting is overdue, longest overdue first, with both
    people: for the programme managers' health page, which shows who and since when, never a note."""
    now = now or timezone.now()
    return (
        relationships_meeting_clock(programme=programme, now=now)
        .filter(Q(meeting_due_at__lt=now))
        .select_related("mentor", "mentee")
        # What the page shows of each pair: the names and the clock, not every column of three rows.
        .only("pk", "programme_id", "state", "last_met_at", "started_at", "mentor__name", "mentee__name")
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
    active = Q(state=RelationshipState.ACTIVE)
    # One pass: the clock is only read for active pairs (the filters say so), the states for all.
    counts = with_meeting_clock(
        Relationship.objects.filter(programme=programme), programme=programme, now=now
    ).aggregate(
        **{f"state_{value}": Count("pk", filter=Q(state=value)) for value in RelationshipState.values},
        overdue=Count("pk", filter=active & Q(meeting_due_at__lt=now)),
        idle=Count("pk", filter=active & Q(idle_from__lt=now)),
    )
    by_state = {value: counts[f"state_{value}"] for value in RelationshipState.values}
    open_concerns = Concern.objects.filter(relationship__programme=programme, status__in=OPEN_CONCERN_STATES).count()
    return ProgrammeHealth(
        pairs_by_state=by_state,
        active=by_state[RelationshipState.ACTIVE],
        overdue_meetings=counts["overdue"],
        idle=counts["idle"],
        scores=check_in_scores([programme.pk])[programme.pk],
        open_concerns=open_concerns,
    )
