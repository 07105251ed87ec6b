"""The reads of the pair's page asked on every request to it, kept (``KeptQuery``: the ORM builds each
one's SQL once per process and database, each read binding the pair's and the viewer's ids): the
first page of the meeting log, knowledge transfers, the viewer's own check-ins, the managers' log.

Each kept read is its ORM queryset, filtered as it always was: the viewer's own check-ins and private
notes only (the partner's never even read)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from twofold.accounts.kept_queries import KeptQuery
from twofold.dates import MOMENT_SPAN
from twofold.relationships.models import CheckIn, KnowledgeTransfer, Meeting, MeetingStatus, PairEvent, PrivateNote

# The pair's page shows its meeting log in pages of this many, newest first.
MEETINGS_PER_PAGE = 10

# The columns of a row of the meeting log, in the order ``log_rows`` gives them.
LOG_COLUMNS = ("id", "starts_at", "duration_minutes", "status", "location", "shared_note", "created_by_id", "own_note")


def pair_meetings_in_span(relationship_id: int, earliest: datetime, latest: datetime) -> QuerySet[Meeting]:
    """The pair's meetings between ``earliest`` and ``latest``: every read of the log asks for those
    in the span of accepted dates (``MOMENT_SPAN``), so that one scheduled for 9999 before dates were
    checked is never shown (in a zone where it falls after the end of the calendar), nor counted."""
    return Meeting.objects.filter(relationship_id=relationship_id, starts_at__range=(earliest, latest))


def log_rows(
    viewer_id: int, relationship_id: int, earliest: datetime, latest: datetime
) -> QuerySet[Meeting, tuple[Any, ...]]:
    """The pair's meetings between ``earliest`` and ``latest`` (the span of accepted dates), newest
    first, as rows of ``LOG_COLUMNS``: each with the viewer's own private note beside it, never the
    partner's."""
    own_note = PrivateNote.objects.filter(meeting=OuterRef("pk"), author_id=viewer_id).values("text")[:1]
    return (
        pair_meetings_in_span(relationship_id, earliest, latest)
        .order_by("-starts_at", "pk")
        .annotate(own_note=Subquery(own_note))
        .values_list(*LOG_COLUMNS)
    )


def _first_log_page_samples() -> tuple[Sequence[object], Sequence[object]]:
    earliest, latest = MOMENT_SPAN
    day = timedelta(days=1)
    return (1, 2, earliest, latest), (3, 4, earliest + day, latest - day)


@functools.lru_cache(maxsize=8)
def first_log_page(per_page: int) -> KeptQuery[Meeting]:
    """The log's first ``per_page`` rows, the page the pair's page and its htmx log show unless asked
    for another, kept: another page's offset is written into the SQL by the ORM, so it is read by the
    ORM; and so is the LIMIT, so each page size has its own kept query, never another size's SQL."""

    def first_page(
        viewer_id: int, relationship_id: int, earliest: datetime, latest: datetime
    ) -> QuerySet[Meeting, tuple[Any, ...]]:
        return log_rows(viewer_id, relationship_id, earliest, latest)[:per_page]

    return KeptQuery(
        Meeting,
        first_page,
        # The viewer's id is bound as a person's (created_by is one), then the pair and the span.
        parameters=("created_by", "relationship", "starts_at", "starts_at"),
        samples=_first_log_page_samples,
    )


def _ids_samples() -> tuple[Sequence[object], Sequence[object]]:
    return (1,), (2,)


def _two_ids_samples() -> tuple[Sequence[object], Sequence[object]]:
    return (1, 2), (3, 4)


def _knowledge_transfers(relationship_id: int) -> QuerySet[KnowledgeTransfer]:
    return KnowledgeTransfer.objects.filter(relationship_id=relationship_id).select_related("skill")


KNOWLEDGE_TRANSFERS = KeptQuery(
    KnowledgeTransfer, _knowledge_transfers, parameters=("relationship",), samples=_ids_samples
)


def _own_check_ins(person_id: int, relationship_id: int) -> QuerySet[CheckIn]:
    """The check-ins of ``person_id`` in the pair: a viewer's own, never the partner's answers. (The
    ORM writes a filter's conditions in the order of their names: the person's first.)"""
    return CheckIn.objects.filter(relationship_id=relationship_id, person_id=person_id)


OWN_CHECK_INS = KeptQuery(CheckIn, _own_check_ins, parameters=("person", "relationship"), samples=_two_ids_samples)


def _pair_events(relationship_id: int) -> QuerySet[PairEvent]:
    return PairEvent.objects.filter(relationship_id=relationship_id)


PAIR_EVENTS = KeptQuery(PairEvent, _pair_events, parameters=("relationship",), samples=_ids_samples)


def first_log_page_rows(*, viewer_id: int, relationship_id: int, per_page: int) -> list[tuple[Any, ...]]:
    """The first ``per_page`` rows of the pair's log (see ``log_rows``), kept."""
    return first_log_page(per_page).rows(viewer_id, relationship_id, *MOMENT_SPAN)


def knowledge_transfers_of(relationship_id: int) -> list[KnowledgeTransfer]:
    return KNOWLEDGE_TRANSFERS.objects(relationship_id)


def own_check_ins(*, relationship_id: int, person_id: int) -> list[CheckIn]:
    return OWN_CHECK_INS.objects(person_id, relationship_id)


def pair_events(relationship_id: int) -> list[PairEvent]:
    """What programme managers did, newest first."""
    return PAIR_EVENTS.objects(relationship_id)


def meeting_skill_rows(*meeting_ids: int) -> QuerySet[Any, tuple[Any, ...]]:
    """The skills of the meetings ``meeting_ids`` (distinct), by meeting: (meeting id, skill id, name,
    category, description), in the catalogue's order."""
    return (
        Meeting.skills.through.objects.filter(meeting_id__in=meeting_ids)
        .order_by("skill__category", "skill__name", "skill_id")
        .values_list("meeting_id", "skill_id", "skill__name", "skill__category", "skill__description")
    )


def _meeting_skills_kept(count: int) -> KeptQuery[Any]:
    def samples() -> tuple[Sequence[object], Sequence[object]]:
        return tuple(range(1, count + 1)), tuple(range(count + 1, 2 * count + 1))

    return KeptQuery(Meeting.skills.through, meeting_skill_rows, parameters=("meeting",) * count, samples=samples)


# The skills of a page of the log (each id one parameter of its SQL, so one query for each length of
# page, up to a whole one), kept: the page's meetings read before them, their ids bound.
MEETING_SKILLS = {count: _meeting_skills_kept(count) for count in range(1, MEETINGS_PER_PAGE + 1)}


def meeting_skills(meeting_ids: list[int]) -> list[tuple[Any, ...]]:
    """``meeting_skill_rows`` of a page's meetings: kept for a page's length or less, else by the ORM."""
    kept = MEETING_SKILLS.get(len(meeting_ids))
    return kept.rows(*meeting_ids) if kept is not None else list(meeting_skill_rows(*meeting_ids))


def log_figures(
    now: datetime,
    relationship_id: int,
    earliest: datetime,
    latest: datetime,
    meeting_in_view: int | None = None,
) -> QuerySet[Meeting, tuple[Any, ...]]:
    """The figures of the pair's log between ``earliest`` and ``latest`` (``pair_meetings_in_span``), one row
    for each status its meetings have: how many, the first and the last, the first from ``now`` on;
    with ``meeting_in_view``, whether it is among them and how many come before it, newest first."""
    in_view: dict[str, Count] = {}
    if meeting_in_view is not None:
        starts = Subquery(Meeting.objects.filter(pk=meeting_in_view).values("starts_at")[:1])
        in_view = {
            "has_in_view": Count("pk", filter=Q(pk=meeting_in_view)),
            "before_in_view": Count("pk", filter=Q(starts_at__gt=starts) | Q(starts_at=starts, pk__lt=meeting_in_view)),
        }
    return (
        pair_meetings_in_span(relationship_id, earliest, latest)
        .order_by()
        .values("status")
        .annotate(
            length=Count("pk"),
            first_at=Min("starts_at"),
            last_at=Max("starts_at"),
            next_at=Min("starts_at", filter=Q(starts_at__gte=now)),
            **in_view,
        )
        .values_list("status", "length", "first_at", "last_at", "next_at", *in_view)
    )


def _log_figures_samples() -> tuple[Sequence[object], Sequence[object]]:
    now = timezone.now()
    earliest, latest = MOMENT_SPAN
    day = timedelta(days=1)
    return (now, 1, earliest, latest), (now - day, 2, earliest + day, latest - day)


# Asked by every view of the pair's page, its meeting log and each form posted to it: built by the ORM
# once per process and database, each read binding the time, the pair and the span of accepted dates.
LOG_FIGURES = KeptQuery(
    Meeting,
    log_figures,
    parameters=("starts_at", "relationship", "starts_at", "starts_at"),
    samples=_log_figures_samples,
)


def meetings_at(
    relationship_id: int, earliest: datetime, latest: datetime, starts_at: datetime, status: str
) -> QuerySet[Meeting, tuple[datetime, str]]:
    """When and where the pair's first meeting (by id) of ``status`` starting at ``starts_at`` is, of
    those between ``earliest`` and ``latest`` (``pair_meetings_in_span``)."""
    return (
        pair_meetings_in_span(relationship_id, earliest, latest)
        .filter(status=status, starts_at=starts_at)
        .order_by("pk")
        .values_list("starts_at", "location")[:1]
    )


def _meetings_at_samples() -> tuple[Sequence[object], Sequence[object]]:
    now = timezone.now()
    earliest, latest = MOMENT_SPAN
    day = timedelta(days=1)
    return (
        (1, earliest, latest, now, MeetingStatus.SCHEDULED.value),
        (2, earliest + day, latest - day, now - day, MeetingStatus.HELD.value),
    )


# The next meeting's place, when it is not on the page of the log shown: kept as LOG_FIGURES is.
NEXT_MEETING = KeptQuery(
    Meeting,
    meetings_at,
    parameters=("relationship", "starts_at", "starts_at", "starts_at", "status"),
    samples=_meetings_at_samples,
)
