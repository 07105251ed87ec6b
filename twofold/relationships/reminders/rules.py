"""The reminders' kinds and rules: each rule a small function of one pair's facts and the day,
saying which reminders are due to whom. Nothing here reads the database or sends anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.headerregistry import Address
from enum import StrEnum

from django.utils import timezone

from twofold.programmes.models import Acceptance
from twofold.relationships.models import (
    Answer,
    CheckInPoint,
    Meeting,
    MeetingStatus,
    Relationship,
    RelationshipState,
)
from twofold.relationships.selectors import IDLE_AFTER_CADENCES, check_in_refusal


class ReminderKind(StrEnum):
    PROPOSAL_AWAITING = "proposal_awaiting"
    MEETING_UPCOMING = "meeting_upcoming"
    MEETING_DUE = "meeting_due"
    RELATIONSHIP_IDLE = "relationship_idle"
    CHECK_IN_DUE = "check_in_due"


# A proposal is first reminded when it has waited this long, then again as often, until it expires.
PROPOSAL_REMINDER_EVERY_DAYS = 3
# Meetings starting today or up to this many days ahead get a reminder with the invitation.
MEETING_UPCOMING_DAYS_AHEAD = 1
# A pair is idle when it has not met for this many cadences (the one rule, in the selectors).
IDLE_CADENCES = IDLE_AFTER_CADENCES
# A check-in still unanswered is reminded again after a week.
CHECK_IN_REMINDER_EVERY_DAYS = 7
# Check-in points in the order they come; a later point that has come replaces an earlier one.
CHECK_IN_ORDER = (CheckInPoint.FIT, CheckInPoint.MIDPOINT, CheckInPoint.END)
CHECK_IN_NAMES = {
    CheckInPoint.FIT: "fit check",
    CheckInPoint.MIDPOINT: "mid-point check-in",
    CheckInPoint.END: "end check-in",
}


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space: fit for an email header."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    role: str  # "mentor", "mentee" (the two sides of the pair) or "manager"
    person_id: int | None = None

    @property
    def address(self) -> str:
        """The recipient as one mailbox of a To header, the name quoted where it must be: "Lee, Ana"
        pasted into ``name <email>`` reads as two recipients, "Lee" and "Ana <…>", and the message
        cannot be sent. Raises ValueError for an address that is no mailbox."""
        return str(Address(display_name=one_line(self.name), addr_spec=self.email))


@dataclass(frozen=True)
class PairFacts:
    """What the rules need to know about one open relationship, read in a few queries for all pairs."""

    relationship: Relationship
    cadence_days: int
    first_held_on: date | None = None
    last_held_on: date | None = None
    next_scheduled_on: date | None = None
    submitted: frozenset[tuple[int, str]] = frozenset()  # (person id, check-in point)
    managers: tuple[Recipient, ...] = ()

    @property
    def started_on(self) -> date:
        relationship = self.relationship
        return local_date(relationship.started_at or relationship.proposed_at)

    @property
    def last_met_or_started_on(self) -> date:
        """The day the clock of the cadence starts from: the last meeting held, or the start if none was."""
        return self.last_held_on or self.started_on


@dataclass(frozen=True)
class DueReminder:
    """One email to one person about one thing; ``key`` names the thing for de-duplication."""

    kind: ReminderKind
    key: str
    recipient: Recipient
    relationship: Relationship
    repeat_after_days: int
    meeting: Meeting | None = None
    point: str = ""
    days_since_meeting: int | None = None

    def describe(self) -> str:
        return (
            f"{self.kind.value} to {self.recipient.name} <{self.recipient.email}> "
            f"(relationship {self.relationship.pk}, {self.key})"
        )


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _sides(relationship: Relationship) -> list[Recipient]:
    """The two people of the pair who still work here (someone who left gets no reminders)."""
    sides = [(relationship.mentor, "mentor"), (relationship.mentee, "mentee")]
    return [
        Recipient(email=person.email, name=person.name, role=role, person_id=person.pk)
        for person, role in sides
        if person.active and person.email
    ]


# The rules. Each is a pure function of the facts and the day.


def proposal_reminders(relationship: Relationship, *, today: date) -> list[DueReminder]:
    """A proposal waiting for an answer: to whoever has not answered, every 3 days until it expires.

    The first reminder goes when the proposal has waited 3 days (the publication itself told both
    people); on the day it expires there is one last one. When only the mentee or protégé accepts
    (one-sided acceptance), the mentor or sponsor has nothing to answer and is not reminded.
    """
    if relationship.state != RelationshipState.PROPOSED:
        return []
    if relationship.expires_at is not None and local_date(relationship.expires_at) < today:
        return []
    if (today - local_date(relationship.proposed_at)).days < PROPOSAL_REMINDER_EVERY_DAYS:
        return []
    pending = {"mentee"} if relationship.mentee_answer == Answer.PENDING else set()
    if relationship.mentor_answer == Answer.PENDING and (
        relationship.programme.acceptance != Acceptance.ONE_SIDED or relationship.requested_by_mentee
    ):
        pending.add("mentor")
    return [
        DueReminder(
            kind=ReminderKind.PROPOSAL_AWAITING,
            key=f"relationship:{relationship.pk}:proposal",
            recipient=recipient,
            relationship=relationship,
            repeat_after_days=PROPOSAL_REMINDER_EVERY_DAYS,
        )
        for recipient in _sides(relationship)
        if recipient.role in pending
    ]


def meeting_upcoming_reminders(meeting: Meeting, *, today: date) -> list[DueReminder]:
    """A meeting scheduled for today or tomorrow, to both people, with the invitation attached.

    The key holds the start time, so a meeting moved to another day is reminded (and its calendar
    entry moved) again.
    """
    relationship = meeting.relationship
    if meeting.status != MeetingStatus.SCHEDULED or relationship.state != RelationshipState.ACTIVE:
        return []
    if not 0 <= (local_date(meeting.starts_at) - today).days <= MEETING_UPCOMING_DAYS_AHEAD:
        return []
    starts = meeting.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return [
        DueReminder(
            kind=ReminderKind.MEETING_UPCOMING,
            key=f"meeting:{meeting.pk}:{starts}",
            recipient=recipient,
            relationship=relationship,
            repeat_after_days=MEETING_UPCOMING_DAYS_AHEAD + 1,
            meeting=meeting,
        )
        for recipient in _sides(relationship)
    ]


def cadence_reminders(facts: PairFacts, *, today: date) -> list[DueReminder]:
    """An active pair that has let its cadence pass: a nudge to meet, and later a note to the managers.

    From one cadence after the last meeting held (or after the start, when they have not met yet),
    with no meeting scheduled from today on, both people get ``meeting_due`` once. From twice the
    cadence the pair is idle whatever is scheduled: both people and each programme manager get
    ``relationship_idle`` instead, again every cadence while it lasts.
    """
    relationship = facts.relationship
    if relationship.state != RelationshipState.ACTIVE:
        return []
    cadence = max(facts.cadence_days, 1)
    days = (today - facts.last_met_or_started_on).days
    if days >= IDLE_CADENCES * cadence:
        recipients = [*_sides(relationship), *facts.managers]
        kind, key = ReminderKind.RELATIONSHIP_IDLE, f"relationship:{relationship.pk}:idle"
    elif days >= cadence and (facts.next_scheduled_on is None or facts.next_scheduled_on < today):
        recipients = _sides(relationship)
        kind, key = ReminderKind.MEETING_DUE, f"relationship:{relationship.pk}:meeting_due"
    else:
        return []
    return [
        DueReminder(
            kind=kind,
            key=key,
            recipient=recipient,
            relationship=relationship,
            repeat_after_days=cadence,
            days_since_meeting=days if facts.last_held_on else None,
        )
        for recipient in recipients
    ]


def check_in_point_due(facts: PairFacts, *, today: date) -> str | None:
    """The check-in point the pair is at on ``today``, among those the programme asks for, or None.

    A point is due when the check-in service would accept it at the start of the day (see
    ``check_in_refusal``: fit after the first meeting held, mid-point at half the planned duration,
    end in the last two weeks), so that the reminder never sends anyone to a closed form; a point
    that opens during the day is reminded the next morning. When a later point has come, an
    earlier one no longer matters and is not reminded.
    """
    relationship = facts.relationship
    now = start_of(today)
    has_held_meeting = facts.first_held_on is not None and facts.first_held_on < today
    current = None
    for point in CHECK_IN_ORDER:
        # Mid-point and end are measured from the start; a pair without one has no clock to read.
        if point != CheckInPoint.FIT and relationship.started_at is None:
            continue
        if check_in_refusal(relationship=relationship, point=point, has_held_meeting=has_held_meeting, now=now) is None:
            current = point
    return current


def check_in_reminders(facts: PairFacts, *, today: date) -> list[DueReminder]:
    """The current check-in point, to each side that has not answered it yet, weekly until they do."""
    relationship = facts.relationship
    if relationship.state != RelationshipState.ACTIVE:
        return []
    point = check_in_point_due(facts, today=today)
    if point is None:
        return []
    return [
        DueReminder(
            kind=ReminderKind.CHECK_IN_DUE,
            key=f"relationship:{relationship.pk}:check_in:{point}",
            recipient=recipient,
            relationship=relationship,
            repeat_after_days=CHECK_IN_REMINDER_EVERY_DAYS,
            point=point,
        )
        for recipient in _sides(relationship)
        if (recipient.person_id, point) not in facts.submitted
    ]
