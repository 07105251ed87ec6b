"""One relationship's page: what one of the pair sees of it, and never the partner's private note."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from twofold.dates import MOMENT_SPAN
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
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.relationships.selectors.clock import END_WINDOW, check_in_refusal, relationship_planned_end
from twofold.relationships.selectors.person import agreement_or_none, answer_awaited


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


# The pair's page shows its meeting log in pages of this many, newest first.
MEETINGS_PER_PAGE = 10


@dataclass(frozen=True)
class RelationshipPage:
    """What one of the pair sees of their relationship. No concerns, no partner's private notes,
    no partner's check-in answers."""

    relationship: Relationship
    viewer_role: str
    partner: Person
    agreement: Agreement | None
    meetings: list[MeetingView]
    knowledge_transfers: list[KnowledgeTransfer]
    advocacy_actions: list[AdvocacyAction]
    check_ins_done: list[CheckIn]
    check_ins_due: list[str]
    planned_end: datetime | None
    events: list[PairEvent] = field(default_factory=list)  # what programme managers did, newest first
    as_of: datetime = field(default_factory=timezone.now)
    # The page of the log shown (``meetings`` holds its meetings), the log's length, and what the
    # page's summary says of the whole log, counted in SQL whatever its length.
    meetings_shown: Page | None = None
    meeting_count: int = 0
    next_meeting: UpcomingMeeting | None = None
    last_held_at: datetime | None = None

    def meeting(self, meeting_id: int) -> MeetingView | None:
        """A meeting of those loaded (``meetings``), or None."""
        return next((meeting for meeting in self.meetings if meeting.id == meeting_id), None)

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
    # Only meetings in the span of accepted dates: one scheduled for 9999 before dates were
    # checked cannot be shown in a zone where it falls after the end of the calendar.
    return Meeting.objects.filter(relationship=relationship, starts_at__range=MOMENT_SPAN)


def meeting_held_on(*, relationship: Relationship, day: date) -> bool:
    """Whether a held meeting of the pair is logged on ``day`` (in the current time zone). One query."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return (
        _pair_meetings(relationship).filter(status=MeetingStatus.HELD, starts_at__gte=start, starts_at__lt=end).exists()
    )


def _counted(meetings: QuerySet[Meeting]) -> Coalesce:
    """How many ``meetings`` (filtered on ``OuterRef("pk")``, the relationship), as a subquery."""
    return Coalesce(Subquery(meetings.values("relationship").annotate(n=Count("pk")).values("n")), 0)


def relationship_page(
    *,
    relationship_id: int,
    viewer: Person,
    now: datetime | None = None,
    meetings_page: int | str | None = None,
    meeting_in_view: int | None = None,
) -> RelationshipPage:
    """One relationship for one of its pair, in at most eight queries whatever the length of its log.

    With ``meetings_page`` (a page number, or "last"; anything else is the first page) or
    ``meeting_in_view`` (the id of a meeting: the page that holds it), ``meetings`` holds one page
    of the meeting log, newest first, and ``meetings_shown`` is that page; without either, it holds
    the whole log. Either way the log's summary (its length, the next meeting, the last one held)
    is read in SQL with the relationship's row.

    Raises ``Relationship.DoesNotExist`` for an unknown id and :class:`RelationshipForbidden` for
    anyone outside the pair (programme managers see aggregates and concerns, not the pair's log).
    """
    now = now or timezone.now()
    log = Meeting.objects.filter(relationship=OuterRef("pk"), starts_at__range=MOMENT_SPAN)
    held = log.filter(status=MeetingStatus.HELD)
    coming = log.filter(status=MeetingStatus.SCHEDULED, starts_at__gte=now).order_by("starts_at", "pk")
    # The page that holds the meeting in view: how many come before it, newest first.
    in_view_id = meeting_in_view or 0
    in_view = Subquery(Meeting.objects.filter(pk=in_view_id).values("starts_at")[:1])
    before_in_view = log.filter(Q(starts_at__gt=in_view) | Q(starts_at=in_view, pk__lt=in_view_id))
    relationship = (
        Relationship.objects.select_related("programme", "mentor", "mentee", "agreement")
        # The log's summary, whatever its length, with the relationship's row (each an index probe).
        .annotate(
            log_length=_counted(log),
            log_last_held_at=Subquery(held.order_by("-starts_at").values("starts_at")[:1]),
            log_held_by_now=Exists(held.filter(starts_at__lte=now)),
            log_next_at=Subquery(coming.values("starts_at")[:1]),
            log_next_location=Subquery(coming.values("location")[:1]),
            log_has_in_view=Exists(log.filter(pk=in_view_id)) if meeting_in_view else Value(False),
            log_before_in_view=_counted(before_in_view) if meeting_in_view else Value(0),
        )
        .get(pk=relationship_id)
    )
    if not relationship.involves(viewer.pk):
        raise RelationshipForbidden("Only the two people in a relationship see its page.", code="not_in_pair")
    log = _pair_meetings(relationship)
    shown: Page | None = None
    rows = log.order_by("-starts_at", "pk").prefetch_related(
        "skills",
        # The viewer's note only: the partner's is never even read.
        Prefetch("private_notes", queryset=PrivateNote.objects.filter(author=viewer), to_attr="viewer_notes"),
    )
    if meetings_page is not None or meeting_in_view is not None:
        # Paginated over the count alone; only the page's rows are read.
        paginator = Paginator(range(relationship.log_length), MEETINGS_PER_PAGE)
        if relationship.log_has_in_view:
            meetings_page = relationship.log_before_in_view // MEETINGS_PER_PAGE + 1
        shown = paginator.get_page(paginator.num_pages if meetings_page == "last" else meetings_page)
        offset = shown.start_index() - 1 if relationship.log_length else 0
        rows = rows[offset : offset + MEETINGS_PER_PAGE]
    meetings = [
        MeetingView(
            id=meeting.pk,
            starts_at=meeting.starts_at,
            duration_minutes=meeting.duration_minutes,
            status=meeting.status,
            location=meeting.location,
            skills=list(meeting.skills.all()),
            shared_note=meeting.shared_note,
            created_by_id=meeting.created_by_id,
            own_private_note=next((note.text for note in meeting.viewer_notes), ""),
        )
        for meeting in rows
    ]
    if shown is not None:
        shown.object_list = meetings
    next_meeting = None
    if relationship.log_next_at is not None:
        next_meeting = UpcomingMeeting(starts_at=relationship.log_next_at, location=relationship.log_next_location)
    knowledge = list(KnowledgeTransfer.objects.filter(relationship=relationship).select_related("skill"))
    advocacy = (
        list(AdvocacyAction.objects.filter(relationship=relationship)) if relationship.programme.is_sponsorship else []
    )
    done = list(CheckIn.objects.filter(relationship=relationship, person=viewer))
    done_points = {check_in.point for check_in in done}
    has_held_meeting = relationship.log_held_by_now
    due = [
        point
        for point in CheckInPoint.values
        if point not in done_points
        and check_in_refusal(relationship=relationship, point=point, has_held_meeting=has_held_meeting, now=now) is None
    ]
    as_mentor = relationship.mentor_id == viewer.pk
    return RelationshipPage(
        relationship=relationship,
        viewer_role="mentor" if as_mentor else "mentee",
        partner=relationship.mentee if as_mentor else relationship.mentor,
        agreement=agreement_or_none(relationship),
        meetings=meetings,
        knowledge_transfers=knowledge,
        advocacy_actions=advocacy,
        check_ins_done=done,
        check_ins_due=due,
        planned_end=relationship_planned_end(relationship),
        events=list(PairEvent.objects.filter(relationship=relationship)),
        as_of=now,
        meetings_shown=shown,
        meeting_count=relationship.log_length,
        next_meeting=next_meeting,
        last_held_at=relationship.log_last_held_at,
    )
