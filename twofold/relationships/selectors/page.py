"""One relationship's page: what one of the pair sees of it, and never the partner's private note."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.query import MAX_GET_RESULTS
from django.utils import timezone

from twofold.accounts.kept_queries import KeptQuery
from twofold.dates import MOMENT_SPAN, date_out_of_range
from twofold.people.leavers import LEFT_THE_ORGANISATION
from twofold.people.models import Person, Skill
from twofold.programmes.models import Programme, ProgrammeKind
from twofold.relationships.errors import RelationshipForbidden
from twofold.relationships.models import (
    AdvocacyAction,
    Agreement,
    Answer,
    CheckIn,
    CheckInPoint,
    KnowledgeTransfer,
    Meeting,
    MeetingStatus,
    PairEvent,
    Relationship,
    RelationshipState,
)
from twofold.relationships.selectors.clock import END_WINDOW, check_in_refusal, relationship_planned_end
from twofold.relationships.selectors.person import agreement_or_none, answer_awaited
from twofold.relationships.selectors.record import (
    LOG_FIGURES,
    MEETINGS_PER_PAGE,
    NEXT_MEETING,
    first_log_page_rows,
    knowledge_transfers_of,
    log_figures,
    log_rows,
    meeting_skills,
    own_check_ins,
    pair_events,
    pair_meetings_in_span,
)


@dataclass(frozen=True)
class MeetingView:
    """A meeting as one of the pair sees it: the shared record and the viewer's own private note.

    A copy rather than the model instance, so that nothing handed to a page can lead to the
    partner's private note.
    """

    id: int
    starts_at: datetime
    duration_minutes: int
    status: str
    location: str
    skills: list[Skill]
    shared_note: str
    created_by_id: int | None
    own_private_note: str


@dataclass(frozen=True)
class UpcomingMeeting:
    """The pair's next scheduled meeting, as the page's summary names it."""

    starts_at: datetime
    location: str


class RelationshipPage:
    """What one of the pair sees of their relationship. No concerns, no partner's private notes,
    no partner's check-in answers.

    Made after one query (the relationship, with its programme, both people, the agreement and both
    enrolments); each part of the pair's record (the meeting log, knowledge transfers, advocacy,
    check-ins, the managers' log) is read the first time it is asked for, once, in a fixed number of
    queries. So a form posted to the page reads none of them before it is saved, and the meeting log
    drawn alone reads only the log.
    """

    def __init__(
        self,
        *,
        relationship: Relationship,
        viewer: Person,
        now: datetime,
        meetings_page: int | str | None = None,
        meeting_in_view: int | None = None,
    ) -> None:
        self.relationship = relationship
        self.viewer = viewer
        as_mentor = relationship.mentor_id == viewer.pk
        self.viewer_role = "mentor" if as_mentor else "mentee"
        self.partner: Person = relationship.mentee if as_mentor else relationship.mentor
        self.agreement: Agreement | None = agreement_or_none(relationship)
        self.planned_end: datetime | None = relationship_planned_end(relationship)
        self.as_of = now
        self._meetings_page = meetings_page
        self._meeting_in_view = meeting_in_view

    # --- the meeting log: one page of it (or all of it) and its summary ----------------------------

    @cached_property
    def _log(self) -> tuple[list[MeetingView], Page | None, _LogSummary]:
        return _meeting_log(
            self.relationship,
            viewer=self.viewer,
            now=self.as_of,
            meetings_page=self._meetings_page,
            meeting_in_view=self._meeting_in_view,
        )

    @property
    def meetings(self) -> list[MeetingView]:
        """The page of the log shown (``meetings_shown``), or the whole log when no page was asked for."""
        return self._log[0]

    @property
    def meetings_shown(self) -> Page | None:
        return self._log[1]

    @property
    def meeting_count(self) -> int:
        """The log's length, counted in SQL whatever it is."""
        return self._log[2].length

    @property
    def next_meeting(self) -> UpcomingMeeting | None:
        return self._log[2].next_meeting

    @property
    def last_held_at(self) -> datetime | None:
        return self._log[2].last_held_at

    @property
    def _summary(self) -> _LogSummary:
        """The log's summary: the one the log came with when it was read, else counted in SQL (one
        query) without reading the log's rows."""
        if "_log" in self.__dict__:
            return self._log[2]
        return _log_summary(self.relationship, now=self.as_of, meeting_in_view=None)

    def meeting(self, meeting_id: int) -> MeetingView | None:
        """A meeting of those loaded (``meetings``), or None."""
        return next((meeting for meeting in self.meetings if meeting.id == meeting_id), None)

    # --- the rest of the pair's record, one query each -------------------------------------------

    @cached_property
    def knowledge_transfers(self) -> list[KnowledgeTransfer]:
        return knowledge_transfers_of(self.relationship.pk)

    @cached_property
    def advocacy_actions(self) -> list[AdvocacyAction]:
        if not self.programme.is_sponsorship:
            return []
        return list(AdvocacyAction.objects.filter(relationship=self.relationship))

    @cached_property
    def check_ins_done(self) -> list[CheckIn]:
        """The viewer's own check-ins: never the partner's answers."""
        return own_check_ins(relationship_id=self.relationship.pk, person_id=self.viewer.pk)

    @cached_property
    def check_ins_due(self) -> list[str]:
        done_points = {check_in.point for check_in in self.check_ins_done}
        has_held_meeting = self._summary.held_by_now
        return [
            point
            for point in CheckInPoint.values
            if point not in done_points
            and check_in_refusal(
                relationship=self.relationship, point=point, has_held_meeting=has_held_meeting, now=self.as_of
            )
            is None
        ]

    @cached_property
    def events(self) -> list[PairEvent]:
        """What programme managers did, newest first."""
        return pair_events(self.relationship.pk)

    # --- what the page says of the pair, from the relationship's row ------------------------------

    @property
    def programme(self) -> Programme:
        return self.relationship.programme

    @property
    def viewer_label(self) -> str:
        """The viewer's role in the programme's words: mentor, mentee, sponsor or protégé."""
        return self.programme.mentor_label if self.viewer_role == "mentor" else self.programme.mentee_label

    @property
    def partner_label(self) -> str:
        return self.programme.mentee_label if self.viewer_role == "mentor" else self.programme.mentor_label

    @property
    def awaiting_my_answer(self) -> bool:
        return answer_awaited(self.relationship, side=self.viewer_role, now=self.as_of)

    @property
    def my_answer(self) -> str:
        return str(getattr(self.relationship, f"{self.viewer_role}_answer"))

    @property
    def partner_answer(self) -> str:
        side = "mentee" if self.viewer_role == "mentor" else "mentor"
        return str(getattr(self.relationship, f"{side}_answer"))

    @property
    def my_answer_label(self) -> str:
        return Answer(self.my_answer).label

    @property
    def partner_answer_label(self) -> str:
        return Answer(self.partner_answer).label

    @property
    def my_agreement_acceptance(self) -> datetime | None:
        """When the viewer accepted the agreement as it stands (None: not yet, or no agreement)."""
        return None if self.agreement is None else getattr(self.agreement, f"{self.viewer_role}_accepted_at")

    @property
    def partner_agreement_acceptance(self) -> datetime | None:
        side = "mentee" if self.viewer_role == "mentor" else "mentor"
        return None if self.agreement is None else getattr(self.agreement, f"{side}_accepted_at")

    @property
    def completes_from(self) -> datetime | None:
        """From when the pair may complete the relationship (earlier, they end it early with a reason)."""
        return None if self.planned_end is None else self.planned_end - END_WINDOW

    @property
    def may_complete(self) -> bool:
        opens = self.completes_from
        return self.relationship.state == RelationshipState.ACTIVE and opens is not None and self.as_of >= opens

    @property
    def closed_by_leaving(self) -> bool:
        """Closed because one of the two left the organisation (nobody in the pair ended it)."""
        return self.relationship.ended_by_id is None and self.relationship.end_reason == LEFT_THE_ORGANISATION

    @property
    def may_nominate(self) -> bool:
        """The senior mentee of a running or completed reverse-mentoring pair may nominate their mentor."""
        return (
            self.programme.kind == ProgrammeKind.REVERSE_MENTORING
            and self.viewer_role == "mentee"
            and self.relationship.state in (RelationshipState.ACTIVE, RelationshipState.COMPLETED)
        )


def _pair_meetings(relationship: Relationship) -> QuerySet[Meeting]:
    return pair_meetings_in_span(relationship.pk, *MOMENT_SPAN)


def meeting_held_on(*, relationship: Relationship, day: date) -> bool:
    """Whether a held meeting of the pair is logged on ``day`` (in the current time zone). One query;
    none for a day outside the accepted span, where none is kept (and the day after may not exist)."""
    if date_out_of_range(day, what="the day") is not None:
        return False
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return (
        _pair_meetings(relationship).filter(status=MeetingStatus.HELD, starts_at__gte=start, starts_at__lt=end).exists()
    )


@dataclass(frozen=True)
class _LogSummary:
    """What the page says of the whole meeting log: its length, the last meeting held, whether one
    was held by now, the next one to come, and how many come before the meeting in view."""

    length: int
    last_held_at: datetime | None
    held_by_now: bool
    next_at: datetime | None = None
    next_meeting: UpcomingMeeting | None = None
    before_in_view: int | None = None

    @classmethod
    def of(cls, meetings: list[MeetingView], *, now: datetime) -> _LogSummary:
        """From the whole log, loaded (newest first)."""
        held = [m.starts_at for m in meetings if m.status == MeetingStatus.HELD]
        coming = [m for m in meetings if m.status == MeetingStatus.SCHEDULED and m.starts_at >= now]
        upcoming = min(coming, key=lambda m: (m.starts_at, m.id), default=None)
        return cls(
            length=len(meetings),
            last_held_at=max(held, default=None),
            held_by_now=any(at <= now for at in held),
            next_at=upcoming.starts_at if upcoming else None,
            next_meeting=UpcomingMeeting(upcoming.starts_at, upcoming.location) if upcoming else None,
        )

    def with_next(self, relationship: Relationship, shown: list[MeetingView]) -> _LogSummary:
        """With the next meeting's place: from the page shown when it is there (often: the log is
        newest first), else read (one query)."""
        if self.next_at is None:
            return self
        on_page = [m for m in shown if m.status == MeetingStatus.SCHEDULED and m.starts_at == self.next_at]
        if on_page:
            first = min(on_page, key=lambda m: m.id)
            upcoming: UpcomingMeeting | None = UpcomingMeeting(first.starts_at, first.location)
        else:
            rows = NEXT_MEETING.rows(relationship.pk, *MOMENT_SPAN, self.next_at, MeetingStatus.SCHEDULED.value)
            upcoming = UpcomingMeeting(*rows[0]) if rows else None
        return replace(self, next_meeting=upcoming)


def _log_summary(relationship: Relationship, *, now: datetime, meeting_in_view: int | None) -> _LogSummary:
    """The log's summary counted in SQL, whatever its length: one query (an index range scan), the
    meetings grouped by their status (at most one row for each)."""
    if meeting_in_view is None:
        rows = LOG_FIGURES.rows(now, relationship.pk, *MOMENT_SPAN)
    else:
        rows = list(log_figures(now, relationship.pk, *MOMENT_SPAN, meeting_in_view=meeting_in_view))
    by_status = {row[0]: row for row in rows}
    held, scheduled = by_status.get(MeetingStatus.HELD), by_status.get(MeetingStatus.SCHEDULED)
    before_in_view = None
    if meeting_in_view is not None and sum(row[5] for row in rows):
        before_in_view = sum(row[6] for row in rows)
    return _LogSummary(
        length=sum(row[1] for row in rows),
        last_held_at=held[3] if held else None,
        held_by_now=held is not None and held[2] <= now,
        next_at=scheduled[4] if scheduled else None,
        before_in_view=before_in_view,
    )


def _pair_read(*related: str) -> Callable[[int], QuerySet[Relationship]]:
    def read(relationship_id: int) -> QuerySet[Relationship]:
        """What ``Relationship.objects.select_related(*related).get(pk=relationship_id)`` runs."""
        queryset = Relationship.objects.select_related(*related).filter(pk=relationship_id).order_by()
        queryset.query.set_limits(high=MAX_GET_RESULTS)
        return queryset

    return read


def _pair_samples() -> tuple[tuple[int], tuple[int]]:
    return (1,), (2,)


# The relationship with its programme, both people and the agreement (and, for the whole page, both
# enrolments): the first read of every request to the pair's page, kept as LOG_FIGURES is.
_PAIR_RELATED = ("programme", "mentor", "mentee", "agreement")
PAIR = KeptQuery(Relationship, _pair_read(*_PAIR_RELATED), parameters=("id",), samples=_pair_samples)
PAIR_WITH_ENROLMENTS = KeptQuery(
    Relationship,
    _pair_read(*_PAIR_RELATED, "mentor_enrolment", "mentee_enrolment"),
    parameters=("id",),
    samples=_pair_samples,
)


def relationship_page(
    *,
    relationship_id: int,
    viewer: Person | int,
    now: datetime | None = None,
    meetings_page: int | str | None = None,
    meeting_in_view: int | None = None,
    with_enrolments: bool = False,
) -> RelationshipPage:
    """One relationship for one of its pair: one query, and a fixed number more for each part of its
    record read (at most eight in all), whatever the length of its log. ``with_enrolments`` reads
    both enrolments (what each wrote when they joined) in that first query, for a page that draws
    the partner's profile; without, the profile reads them when it is drawn (one query more), and
    a fragment or a form posted pays for neither.

    With ``meetings_page`` (a page number, or "last"; anything else is the first page) or
    ``meeting_in_view`` (the id of a meeting: the page that holds it), ``meetings`` holds one page
    of the meeting log, newest first, and ``meetings_shown`` is that page; without either, it holds
    the whole log. The log's summary (its length, the next meeting, the last one held) is then
    counted in SQL (one query more), else from the log loaded.

    ``viewer`` is a Person, or the id of one: the viewer's record is then the one the relationship's
    row came with (both people are read with it), and not read again.

    Raises ``Relationship.DoesNotExist`` for an unknown id and :class:`RelationshipForbidden` for
    anyone outside the pair (programme managers see aggregates and concerns, not the pair's log).
    """
    read = PAIR_WITH_ENROLMENTS if with_enrolments else PAIR
    relationship = read.get(relationship_id)
    viewer_id = viewer if isinstance(viewer, int) else viewer.pk
    if not relationship.involves(viewer_id):
        raise RelationshipForbidden("Only the two people in a relationship see its page.", code="not_in_pair")
    if isinstance(viewer, int):
        viewer = relationship.mentor if relationship.mentor_id == viewer_id else relationship.mentee
    return RelationshipPage(
        relationship=relationship,
        viewer=viewer,
        now=now or timezone.now(),
        meetings_page=meetings_page,
        meeting_in_view=meeting_in_view,
    )


def _meeting_log(
    relationship: Relationship,
    *,
    viewer: Person,
    now: datetime,
    meetings_page: int | str | None,
    meeting_in_view: int | None,
) -> tuple[list[MeetingView], Page | None, _LogSummary]:
    """The log as ``viewer`` sees it (see :func:`relationship_page`): the meetings, with the viewer's
    own note read beside each (the partner's is never even read) and their skills in one query more;
    the page shown; the summary. Read as values, not model instances: the page builds MeetingView
    copies from them anyway."""
    shown: Page | None = None
    if meetings_page is not None or meeting_in_view is not None:
        summary = _log_summary(relationship, now=now, meeting_in_view=meeting_in_view)
        # Paginated over the count alone; only the page's rows are read.
        per_page = MEETINGS_PER_PAGE
        paginator = Paginator(range(summary.length), per_page)
        if summary.before_in_view is not None:
            meetings_page = summary.before_in_view // per_page + 1
        shown = paginator.get_page(paginator.num_pages if meetings_page == "last" else meetings_page)
        offset = shown.start_index() - 1 if summary.length else 0
        if offset == 0:
            # The first page, the one most often shown: kept (another page's offset is in its SQL).
            found = first_log_page_rows(viewer_id=viewer.pk, relationship_id=relationship.pk, per_page=per_page)
        else:
            found = list(log_rows(viewer.pk, relationship.pk, *MOMENT_SPAN)[offset : offset + per_page])
    else:
        found = list(log_rows(viewer.pk, relationship.pk, *MOMENT_SPAN))
    skills = _meeting_skills([row[0] for row in found])
    meetings = [
        MeetingView(
            id=pk,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            status=status,
            location=location,
            skills=skills.get(pk, []),
            shared_note=shared_note,
            created_by_id=created_by_id,
            own_private_note=own_note or "",
        )
        for pk, starts_at, duration_minutes, status, location, shared_note, created_by_id, own_note in found
    ]
    if shown is None:
        summary = _LogSummary.of(meetings, now=now)
    else:
        shown.object_list = meetings
        if summary.next_at is not None and summary.next_meeting is None:
            summary = summary.with_next(relationship, meetings)
    return meetings, shown, summary


def _meeting_skills(meeting_ids: list[int]) -> dict[int, list[Skill]]:
    """The skills of each meeting, in the catalogue's order: one query (none for no meetings)."""
    if not meeting_ids:
        return {}
    skills: dict[int, list[Skill]] = {}
    for meeting_id, skill_id, name, category, description in meeting_skills(meeting_ids):
        skills.setdefault(meeting_id, []).append(
            Skill(id=skill_id, name=name, category=category, description=description)
        )
    return skills
