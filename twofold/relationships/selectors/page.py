"""One relationship's page: what one of the pair sees of it, and never the partner's private note."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
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


def relationship_page(*, relationship_id: int, viewer: Person, now: datetime | None = None) -> RelationshipPage:
    """One relationship for one of its pair, in at most eight queries.

    Raises ``Relationship.DoesNotExist`` for an unknown id and :class:`RelationshipForbidden` for
    anyone outside the pair (programme managers see aggregates and concerns, not the pair's log).
    """
    now = now or timezone.now()
    relationship = Relationship.objects.select_related("programme", "mentor", "mentee", "agreement").get(
        pk=relationship_id
    )
    if not relationship.involves(viewer.pk):
        raise RelationshipForbidden("Only the two people in a relationship see its page.", code="not_in_pair")
    meetings = list(
        # Only meetings in the span of accepted dates: one scheduled for 9999 before dates were
        # checked cannot be shown in a zone where it falls after the end of the calendar.
        Meeting.objects.filter(relationship=relationship, starts_at__range=MOMENT_SPAN)
        .order_by("-starts_at", "pk")
        .prefetch_related(
            "skills",
            # The viewer's note only: the partner's is never even read.
            Prefetch("private_notes", queryset=PrivateNote.objects.filter(author=viewer), to_attr="viewer_notes"),
        )
    )
    knowledge = list(KnowledgeTransfer.objects.filter(relationship=relationship).select_related("skill"))
    advocacy = (
        list(AdvocacyAction.objects.filter(relationship=relationship)) if relationship.programme.is_sponsorship else []
    )
    done = list(CheckIn.objects.filter(relationship=relationship, person=viewer))
    done_points = {check_in.point for check_in in done}
    has_held_meeting = any(m.status == MeetingStatus.HELD and m.starts_at <= now for m in meetings)
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
        meetings=[
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
            for meeting in meetings
        ],
        knowledge_transfers=knowledge,
        advocacy_actions=advocacy,
        check_ins_done=done,
        check_ins_due=due,
        planned_end=relationship_planned_end(relationship),
        events=list(PairEvent.objects.filter(relationship=relationship)),
        as_of=now,
    )
