"""The programme managers' pairs list: every pair of a programme, searchable, filtered by state and by
what needs a manager (behind on meetings, idle, an open concern, a fit check waiting), sorted and
paged; and the same rows as CSV, safe to open in a spreadsheet.

What a manager sees of a pair here is what the health page already shows them (who, since when,
how many meetings held) and that a concern or a check-in waits: never a note, a concern's text or a
check-in answer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OrderBy, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from twofold.formula_cells import formula_neutralised
from twofold.programmes.models import Programme
from twofold.relationships.models import CheckIn, CheckInPoint, Concern, Relationship, RelationshipState
from twofold.relationships.selectors import OPEN_CONCERN_STATES, relationship_planned_end, with_meeting_clock

# What the list can be narrowed to, beside the state: (label, condition on the annotated rows).
SHOW: dict[str, tuple[str, Q | None]] = {
    "": ("All pairs", None),
    "behind": ("Behind on meetings", Q(state=RelationshipState.ACTIVE, overdue=True)),
    "idle": ("Idle (twice the rhythm without a meeting)", Q(state=RelationshipState.ACTIVE, idle=True)),
    "concern": ("With an open concern", Q(open_concern=True)),
    "check_in": ("Fit check waiting", Q(fit_check_waiting=True)),
    # Participant choice: a mentee asked a partner, who has not answered yet.
    "requests": ("Requests waiting for an answer", Q(state=RelationshipState.PROPOSED, requested_by_mentee=True)),
}
# Each sort's keys: field paths of Relationship, "-" for descending, the primary key last (so every
# position is unique: the API pages them by keyset, twofold.api.pagination).
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("Name", ("mentor__name", "mentee__name", "pk")),
    "recent": ("Newest first", ("-proposed_at", "-pk")),
    "last_met": ("Longest without a meeting", ("last_met_at", "started_at", "pk")),
    "state": ("State", ("state", "mentor__name", "pk")),
}


def sort_ordering(keys: tuple[str, ...]) -> list[OrderBy]:
    """``order_by`` arguments for ``keys``, an empty value (NULL) the greatest on every database
    (PostgreSQL's own default; SQLite's is the least): last when ascending, first when descending. The
    one ordering rule of the pairs page and the API's sorted lists, so both list pairs alike."""
    return [F(key[1:]).desc(nulls_first=True) if key.startswith("-") else F(key).asc(nulls_last=True) for key in keys]


@dataclass(frozen=True)
class PairsQuery:
    """What the manager asked for; anything unknown reads as the default."""

    search: str = ""
    state: str = ""
    show: str = ""
    sort: str = "name"

    @classmethod
    def of(cls, params: dict[str, str]) -> PairsQuery:
        state = params.get("state", "")
        show = params.get("show", "")
        sort = params.get("sort", "name")
        return cls(
            search=params.get("q", "").strip()[:100],
            state=state if state in RelationshipState.values else "",
            show=show if show in SHOW else "",
            sort=sort if sort in SORTS else "name",
        )

    def as_params(self) -> dict[str, str]:
        params = {"q": self.search, "state": self.state, "show": self.show, "sort": self.sort}
        return {name: value for name, value in params.items() if value}


def programme_pairs(*, programme: Programme, query: PairsQuery, now: datetime | None = None) -> QuerySet[Relationship]:
    """The programme's pairs as ``query`` asks, each annotated with its meeting clock (``overdue``,
    ``idle``, ``meeting_due_at``), ``open_concern`` and ``fit_check_waiting``. One query per page."""
    now = now or timezone.now()
    open_concern = Concern.objects.filter(relationship=OuterRef("pk"), status__in=OPEN_CONCERN_STATES)
    fit_answers = (
        CheckIn.objects.filter(relationship=OuterRef("pk"), point=CheckInPoint.FIT)
        .order_by()
        .values("relationship")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The fit check opens after the first meeting held (check_in_refusal): waiting while either has not answered.
    fit_open = Q(state=RelationshipState.ACTIVE, meetings_held__gt=0) & ~Q(fit_answers=2)
    rows = (
        with_meeting_clock(Relationship.objects.filter(programme=programme), now=now)
        .select_related("programme", "mentor", "mentee")
        .annotate(open_concern=Exists(open_concern), fit_answers=fit_answers)
        .annotate(
            fit_check_waiting=ExpressionWrapper(fit_open, output_field=BooleanField())
            if programme.checkin_after_first_meeting
            else Value(False, output_field=BooleanField())
        )
    )
    if query.search:
        words = query.search
        rows = rows.filter(
            Q(mentor__name__icontains=words)
            | Q(mentee__name__icontains=words)
            | Q(mentor__employee_id__iexact=words)
            | Q(mentee__employee_id__iexact=words)
        )
    if query.state:
        rows = rows.filter(state=query.state)
    condition = SHOW[query.show][1]
    if condition is not None:
        rows = rows.filter(condition)
    return rows.order_by(*sort_ordering(SORTS[query.sort][1]))


CSV_COLUMNS = (
    "mentor_employee_id",
    "mentor_name",
    "mentee_employee_id",
    "mentee_name",
    "state",
    "proposed_on",
    "started_on",
    "planned_end_on",
    "last_met_on",
    "meetings_held",
    "behind_on_meetings",
    "idle",
    "open_concern",
    "fit_check_waiting",
)


def _day(moment: datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment is not None else ""


def pairs_csv(rows: QuerySet[Relationship]) -> str:
    """The rows as CSV, one pair a line; every text cell neutralised against formula injection
    (:mod:`twofold.formula_cells`), since names come from the HRIS and a spreadsheet opens the file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for pair in rows.iterator(chunk_size=500):
        planned_end = relationship_planned_end(pair)
        writer.writerow(
            [
                formula_neutralised(pair.mentor.employee_id),
                formula_neutralised(pair.mentor.name),
                formula_neutralised(pair.mentee.employee_id),
                formula_neutralised(pair.mentee.name),
                pair.state,
                _day(pair.proposed_at),
                _day(pair.started_at),
                _day(planned_end) if pair.state == RelationshipState.ACTIVE else "",
                _day(pair.last_met_at),
                pair.meetings_held,
                "yes" if pair.state == RelationshipState.ACTIVE and pair.overdue else "no",  # type: ignore[attr-defined]
                "yes" if pair.state == RelationshipState.ACTIVE and pair.idle else "no",  # type: ignore[attr-defined]
                "yes" if pair.open_concern else "no",  # type: ignore[attr-defined]
                "yes" if pair.fit_check_waiting else "no",  # type: ignore[attr-defined]
            ]
        )
    return out.getvalue()
