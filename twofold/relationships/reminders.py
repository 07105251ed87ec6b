"""Reminders: which ones are due on a given day, and sending them once.

The rules (each a small function of one pair's facts and the day) decide what is due:

- ``proposal_awaiting`` — a proposal waiting for an answer, to each person who still has to answer;
- ``meeting_upcoming`` — a meeting scheduled for today or tomorrow, with an invitation (.ics) attached;
- ``meeting_due`` — the pair's cadence has passed since they last met, and nothing is scheduled;
- ``relationship_idle`` — no meeting for twice the cadence: both people, and the programme's managers
  in one daily digest each (every idle pair they are told about that day in one email);
- ``check_in_due`` — a check-in point the programme asks for has come, to each side yet to answer it.

``reminders_due`` applies the rules to the database and drops what was already sent recently
(``ReminderSent``); ``reminders_send`` sends the rest, claiming each one first, so that a second run
on the same day — or a run racing it — sends nothing twice, and confirming it once the mail server
took it, so that a run killed mid-batch leaves nothing recorded as sent that was not: the next run
(or the task's retry) releases the dead run's claims and sends those reminders then. Emails name
the partner, the programme and a link; they never carry a meeting note, a private note or a concern.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email import encoders
from email.headerregistry import Address
from email.mime.base import MIMEBase
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from twofold.dates import MOMENT_SPAN
from twofold.operations.recovery import process_gone, process_identity
from twofold.people.models import Person
from twofold.programmes.models import Acceptance, Programme, ProgrammeState
from twofold.relationships.calendar import meeting_ends_at, meeting_invitation
from twofold.relationships.digest import DigestRow, digest_message
from twofold.relationships.links import programme_link, relationship_link
from twofold.relationships.models import (
    OPEN_STATES,
    Answer,
    CheckIn,
    CheckInPoint,
    Meeting,
    MeetingStatus,
    Relationship,
    RelationshipState,
    ReminderSent,
)
from twofold.relationships.selectors import IDLE_AFTER_CADENCES, check_in_refusal

logger = logging.getLogger(__name__)


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


@dataclass
class ReminderReport:
    """What one run sent, what failed to send (and will be tried again), per kind."""

    today: date
    sent: list[DueReminder] = field(default_factory=list)
    failed: list[DueReminder] = field(default_factory=list)
    already_sent: int = 0  # claimed by another run at the same time

    @property
    def counts(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in ReminderKind}
        for due in self.sent:
            counts[due.kind.value] += 1
        return counts


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


# Reading the facts: a fixed number of queries, however many pairs there are.


def _open_relationships() -> list[Relationship]:
    return list(
        Relationship.objects.filter(state__in=OPEN_STATES)
        .exclude(programme__state=ProgrammeState.CLOSED)
        .select_related("programme", "mentor", "mentee", "agreement")
        .order_by("pk")
    )


def programme_managers(programme_ids: Iterable[int]) -> dict[int, tuple[Recipient, ...]]:
    """The active managers of each programme who have an email address, as recipients."""
    through = Programme.managers.through
    managers: dict[int, list[Recipient]] = defaultdict(list)
    rows = through.objects.filter(programme_id__in=set(programme_ids), user__is_active=True).select_related(
        "user__person"
    )
    for row in rows.order_by("programme_id", "user_id"):
        user = row.user
        person: Person | None = user.person
        email = user.email or (person.email if person else "")
        if email:
            name = user.get_full_name() or (person.name if person else "") or user.username
            managers[row.programme_id].append(Recipient(email=email, name=name, role="manager"))
    return {programme_id: tuple(recipients) for programme_id, recipients in managers.items()}


def pair_facts(relationships: Sequence[Relationship], *, today: date) -> list[PairFacts]:
    """The facts of the given active relationships (those ``_open_relationships`` read), in four queries."""
    # Filter by the same conditions rather than by an id list, which SQLite caps at 32,766 parameters.
    active = Relationship.objects.filter(state=RelationshipState.ACTIVE).exclude(programme__state=ProgrammeState.CLOSED)
    # Meetings outside the span of accepted dates (saved before it was checked) are left out: the
    # local day of 31 December 9999, 23:00 UTC is after the end of the calendar east of Greenwich.
    meetings = Meeting.objects.filter(relationship__in=active, starts_at__range=MOMENT_SPAN)
    held = {
        row["relationship_id"]: row
        # A meeting marked held but dated after today does not count (as in the programme's health).
        for row in meetings.filter(status=MeetingStatus.HELD, starts_at__lt=start_of(today + timedelta(days=1)))
        .values("relationship_id")
        .annotate(first=Min("starts_at"), last=Max("starts_at"))
    }
    next_scheduled = dict(
        meetings.filter(status=MeetingStatus.SCHEDULED, starts_at__gte=start_of(today))
        .values("relationship_id")
        .annotate(next=Min("starts_at"))
        .values_list("relationship_id", "next")
    )
    submitted: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for relationship_id, person_id, point in CheckIn.objects.filter(relationship__in=active).values_list(
        "relationship_id", "person_id", "point"
    ):
        submitted[relationship_id].add((person_id, point))
    managers = programme_managers(r.programme_id for r in relationships)
    facts = []
    for relationship in relationships:
        agreement = getattr(relationship, "agreement", None)
        times = held.get(relationship.pk)
        following = next_scheduled.get(relationship.pk)
        facts.append(
            PairFacts(
                relationship=relationship,
                cadence_days=agreement.cadence_days if agreement else relationship.programme.cadence_days,
                first_held_on=local_date(times["first"]) if times else None,
                last_held_on=local_date(times["last"]) if times else None,
                next_scheduled_on=local_date(following) if following else None,
                submitted=frozenset(submitted.get(relationship.pk, ())),
                managers=managers.get(relationship.programme_id, ()),
            )
        )
    return facts


def _upcoming_meetings(today: date) -> list[Meeting]:
    return list(
        Meeting.objects.filter(
            status=MeetingStatus.SCHEDULED,
            relationship__state=RelationshipState.ACTIVE,
            starts_at__gte=start_of(today),
            starts_at__lt=start_of(today + timedelta(days=MEETING_UPCOMING_DAYS_AHEAD + 1)),
        )
        .exclude(relationship__programme__state=ProgrammeState.CLOSED)
        .select_related("relationship__programme", "relationship__mentor", "relationship__mentee")
        .order_by("starts_at", "pk")
    )


def _recently_sent(candidates: Sequence[DueReminder], *, today: date) -> dict[tuple[str, str, str], date]:
    """When each (kind, key, recipient) among the candidates was last sent, looking back as far as needed."""
    if not candidates:
        return {}
    lookback = max(due.repeat_after_days for due in candidates)
    rows = ReminderSent.objects.filter(
        kind__in={due.kind.value for due in candidates},
        sent_on__gt=today - timedelta(days=lookback),
        sent_on__lte=today,
    ).values_list("kind", "key", "recipient", "sent_on")
    last: dict[tuple[str, str, str], date] = {}
    for kind, key, recipient, sent_on in rows:
        if sent_on > last.get((kind, key, recipient), date.min):
            last[kind, key, recipient] = sent_on
    return last


def reminders_due(*, today: date | None = None) -> list[DueReminder]:
    """Every reminder to send on ``today`` (default: today here), leaving out those sent recently enough.

    A reminder is left out when the same kind, about the same thing, went to the same address less
    than its ``repeat_after_days`` ago — on the same day, always.
    """
    today = today or timezone.localdate()
    relationships = _open_relationships()
    candidates: list[DueReminder] = []
    for relationship in relationships:
        candidates += proposal_reminders(relationship, today=today)
    for meeting in _upcoming_meetings(today):
        candidates += meeting_upcoming_reminders(meeting, today=today)
    for facts in pair_facts([r for r in relationships if r.state == RelationshipState.ACTIVE], today=today):
        candidates += cadence_reminders(facts, today=today)
        candidates += check_in_reminders(facts, today=today)
    last_sent = _recently_sent(candidates, today=today)
    due: list[DueReminder] = []
    seen: set[tuple[str, str, str]] = set()
    for reminder in candidates:
        identity = (reminder.kind.value, reminder.key, reminder.recipient.email)
        # A programme manager who is also one of the pair gets the pair's email, not a second one.
        if identity in seen:
            continue
        seen.add(identity)
        sent_on = last_sent.get(identity)
        if sent_on is None or (today - sent_on).days >= reminder.repeat_after_days:
            due.append(reminder)
    return due


# The emails.


def _when(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "l j F Y, H:i T")


def _day(day: date) -> str:
    return dateformat.format(day, "l j F Y")


def reminder_subject(due: DueReminder) -> str:
    relationship = due.relationship
    partner = _partner_of(due)
    if due.kind == ReminderKind.PROPOSAL_AWAITING:
        return f"Your match with {partner.name} is waiting for your answer"
    if due.kind == ReminderKind.MEETING_UPCOMING:
        assert due.meeting is not None
        when = dateformat.format(timezone.localtime(due.meeting.starts_at), "D j M, H:i")
        return f"Your meeting with {partner.name}: {when}"
    if due.kind == ReminderKind.MEETING_DUE:
        return f"Time to meet {partner.name} again"
    if due.kind == ReminderKind.RELATIONSHIP_IDLE:
        if due.recipient.role == "manager":
            return f"{relationship.mentor.name} and {relationship.mentee.name} have not met for a while"
        return f"It has been a while since you met {partner.name}"
    return f"{CHECK_IN_NAMES[CheckInPoint(due.point)].capitalize()}: how is it going with {partner.name}?"


def _partner_of(due: DueReminder) -> Person:
    relationship = due.relationship
    return relationship.mentor if due.recipient.person_id == relationship.mentee_id else relationship.mentee


def reminder_context(due: DueReminder) -> dict[str, Any]:
    """Everything the templates show, computed here so that the templates query nothing."""
    relationship = due.relationship
    programme = relationship.programme
    is_mentor = due.recipient.person_id == relationship.mentor_id
    context: dict[str, Any] = {
        "kind": due.kind.value,
        "recipient_name": due.recipient.name,
        "for_manager": due.recipient.role == "manager",
        "partner_name": _partner_of(due).name,
        "partner_role": programme.mentee_label if is_mentor else programme.mentor_label,
        "own_role": programme.mentor_label if is_mentor else programme.mentee_label,
        "mentor_name": relationship.mentor.name,
        "mentee_name": relationship.mentee.name,
        "mentor_label": programme.mentor_label,
        "mentee_label": programme.mentee_label,
        "programme_name": programme.name,
        "programme_kind": programme.get_kind_display().lower(),
        # Programme managers do not see a pair's log; their way in is the programme's page.
        "link": programme_link(programme.pk) if due.recipient.role == "manager" else relationship_link(relationship.pk),
        "days_since_meeting": due.days_since_meeting,
    }
    if due.kind == ReminderKind.PROPOSAL_AWAITING and relationship.expires_at is not None:
        context["expires_on"] = _day(local_date(relationship.expires_at))
    if due.meeting is not None:
        context["meeting_starts"] = _when(due.meeting.starts_at)
        context["meeting_ends"] = dateformat.format(timezone.localtime(meeting_ends_at(due.meeting)), "H:i")
        context["meeting_minutes"] = due.meeting.duration_minutes
        context["meeting_location"] = due.meeting.location
    if due.point:
        context["point"] = due.point
        context["point_name"] = CHECK_IN_NAMES[CheckInPoint(due.point)]
    return context


def reminder_message(due: DueReminder, *, connection: BaseEmailBackend | None = None) -> EmailMultiAlternatives:
    """The email of one reminder: plain text and HTML, and for a meeting its invitation (.ics)."""
    context = reminder_context(due)
    template = f"relationships/email/{due.kind.value}"
    message = EmailMultiAlternatives(
        # The subject names the partner: a name must not break the header.
        subject=one_line(reminder_subject(due)),
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[due.recipient.address],
        connection=connection,
        # RFC 3834: tells mail servers and out-of-office responders that no one typed this.
        headers={"Auto-Submitted": "auto-generated", "X-Twofold-Reminder": due.kind.value},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    if due.meeting is not None:
        relationship = due.relationship
        person = relationship.mentor if due.recipient.person_id == relationship.mentor_id else relationship.mentee
        invitation = meeting_invitation(due.meeting, recipient=person)
        # Base64 keeps the calendar's CRLF line endings byte for byte; method=REQUEST makes mail
        # clients offer "add to calendar".
        part = MIMEBase("text", "calendar", method="REQUEST", charset="utf-8")
        part.set_payload(invitation)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename="meeting.ics")
        message.attach(part)
    return message


# A claim older than this is released even when its process cannot be looked at (another machine):
# longer than any one message can take to send.
CLAIM_TIMEOUT = timedelta(minutes=30)


def reminder_claims_release() -> int:
    """Delete the claims of runs that died before the mail server took their reminder; returns how many.

    Their reminders were never confirmed sent, so the run that calls this sends them again. A claim
    is released when its process, on this machine, no longer runs, or when it is older than
    ``CLAIM_TIMEOUT`` (its process elsewhere cannot be asked).
    """
    pending = ReminderSent.objects.filter(pending=True)
    stale = [
        row.pk
        for row in pending.only("pk", "claimed_by", "claimed_at")
        if process_gone(row.claimed_by) or (row.claimed_at or timezone.now()) < timezone.now() - CLAIM_TIMEOUT
    ]
    if not stale:
        return 0
    deleted, _ = ReminderSent.objects.filter(pk__in=stale, pending=True).delete()
    logger.warning("released %d reminder claims of runs that stopped before sending them", deleted)
    return deleted


def _claim(due: DueReminder, *, today: date) -> ReminderSent | None:
    """Record the reminder before sending it; None when another run already has (the unique constraint)."""
    try:
        with transaction.atomic():
            return ReminderSent.objects.create(
                kind=due.kind.value,
                key=due.key,
                recipient=due.recipient.email,
                sent_on=today,
                pending=True,
                claimed_by=process_identity(),
                claimed_at=timezone.now(),
            )
    except IntegrityError:
        return None


def reminders_send(*, today: date | None = None, connection: BaseEmailBackend | None = None) -> ReminderReport:
    """Send every reminder due on ``today``, each at most once a day, and report what went.

    Each reminder is recorded before it is sent, so two runs at once cannot both send it; when
    sending fails the record is removed again and the next run retries. One reminder that cannot be
    written or sent, for whatever reason, is logged and reported as failed, and the run goes on with
    the others. ``connection`` is an open or closed email backend to send through (default: the
    configured one, opened once for the run; a server that cannot be reached at all fails the run).
    """
    today = today or timezone.localdate()
    report = ReminderReport(today=today)
    reminder_claims_release()
    due = reminders_due(today=today)
    if not due:
        return report
    owns_connection = connection is None
    backend = connection or get_connection()
    if owns_connection:
        backend.open()
    try:
        for batch in _batches(due):
            _send_batch(batch, backend=backend, today=today, report=report)
    finally:
        if owns_connection:
            backend.close()
    return report


def _batches(due: Sequence[DueReminder]) -> list[list[DueReminder]]:
    """One email per reminder to the pairs; one digest per programme manager of all the idle pairs
    they are told about today, instead of one email per pair."""
    batches: list[list[DueReminder]] = []
    digests: dict[str, list[DueReminder]] = {}
    for reminder in due:
        if reminder.recipient.role == "manager":
            digests.setdefault(reminder.recipient.email, []).append(reminder)
        else:
            batches.append([reminder])
    return batches + list(digests.values())


def _message(batch: Sequence[DueReminder], *, connection: BaseEmailBackend) -> EmailMultiAlternatives:
    if batch[0].recipient.role == "manager":
        return digest_message(batch[0].recipient, [_digest_row(due) for due in batch], connection=connection)
    return reminder_message(batch[0], connection=connection)


def _digest_row(due: DueReminder) -> DigestRow:
    relationship = due.relationship
    return DigestRow(
        programme_id=relationship.programme_id,
        programme_name=relationship.programme.name,
        mentor_name=relationship.mentor.name,
        mentee_name=relationship.mentee.name,
        days_since_meeting=due.days_since_meeting,
    )


def _send_batch(
    batch: Sequence[DueReminder], *, backend: BaseEmailBackend, today: date, report: ReminderReport
) -> None:
    try:
        # Built before the claim, so that a message that cannot even be written is not marked sent.
        _message(batch, connection=backend)
    except Exception:
        # Deliberately broad: one person's odd data must not stop everybody else's reminders.
        logger.exception("Could not write reminder %s", batch[0].describe())
        report.failed.extend(batch)
        return
    claimed: list[DueReminder] = []
    claims: list[int] = []
    for reminder in batch:
        claim = _claim(reminder, today=today)
        if claim is None:
            report.already_sent += 1
        else:
            claimed.append(reminder)
            claims.append(claim.pk)
    if not claimed:
        return
    try:
        _message(claimed, connection=backend).send()
    except Exception:
        # A refused recipient, a dropped connection, a header the backend cannot encode: this one
        # was not sent, so it is not recorded as sent, and the next run tries it again.
        logger.exception("Could not send reminder %s", claimed[0].describe())
        ReminderSent.objects.filter(pk__in=claims).delete()
        report.failed.extend(claimed)
    else:
        # The server has it. Dying between its answer and this line is the one moment a reminder
        # could go out twice (the next run would send it again): milliseconds.
        ReminderSent.objects.filter(pk__in=claims).update(pending=False)
        report.sent.extend(claimed)
