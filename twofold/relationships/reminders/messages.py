"""The email of one reminder, in the wording of the pair's programme.

Each reminder kind is one of the programme's emails (:class:`~twofold.programmes.models.EmailKind`
of the same name): its managers may change the wording on the programme's email pages, as they do
the invitation's, and this module only fills in the placeholders
(:data:`~twofold.programmes.email_definitions.EMAILS` names them) and renders both parts through
:mod:`twofold.programmes.emails`. The values are the partner's name, the programme, the day and a
link: never a meeting note, a private note or a concern.
"""

from __future__ import annotations

from datetime import date, datetime
from email import encoders
from email.mime.base import MIMEBase

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import dateformat, timezone

from twofold.programmes.emails import email_message, email_render, email_wording
from twofold.programmes.models import EmailKind
from twofold.relationships.calendar import meeting_ends_at, meeting_invitation
from twofold.relationships.links import relationship_link
from twofold.relationships.models import CheckInPoint, Relationship
from twofold.relationships.reminders.rules import CHECK_IN_NAMES, DueReminder, Recipient, ReminderKind, local_date

# The wording each programme sends, read once per programme and kind in a run.
WordingCache = dict[tuple[int, str], tuple[str, str]]


def _when(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "l j F Y, H:i T")


def _day(day: date) -> str:
    return dateformat.format(day, "l j F Y")


def pair_values(relationship: Relationship, recipient: Recipient) -> dict[str, str]:
    """The placeholders every email to one of a pair has (:data:`PAIR_PLACEHOLDERS`), for ``recipient``."""
    programme = relationship.programme
    is_mentor = recipient.person_id == relationship.mentor_id
    name = " ".join(recipient.name.split())
    partner = relationship.mentee if is_mentor else relationship.mentor
    return {
        "first_name": name.split()[0] if name else "",
        "name": name,
        "own_role": programme.mentor_label if is_mentor else programme.mentee_label,
        "partner_name": partner.name,
        "partner_role": programme.mentee_label if is_mentor else programme.mentor_label,
        "programme_name": programme.name,
        "programme_kind": programme.get_kind_display().lower(),
        "link": relationship_link(relationship.pk),
    }


def answer_by(relationship: Relationship) -> str:
    """The last day to answer a proposal, or "no set date"."""
    expires = relationship.expires_at
    return _day(local_date(expires)) if expires is not None else "no set date"


def reminder_values(due: DueReminder) -> dict[str, str]:
    """The placeholders' values of one reminder to one of the pair."""
    relationship = due.relationship
    values = pair_values(relationship, due.recipient)
    if due.kind == ReminderKind.PROPOSAL_AWAITING:
        values["answer_by"] = answer_by(relationship)
    if due.kind in (ReminderKind.MEETING_DUE, ReminderKind.RELATIONSHIP_IDLE):
        days = due.days_since_meeting
        values["last_met"] = "none yet" if days is None else ("1 day ago" if days == 1 else f"{days} days ago")
    if due.meeting is not None:
        meeting = due.meeting
        values["meeting_starts"] = _when(meeting.starts_at)
        values["meeting_starts_short"] = dateformat.format(timezone.localtime(meeting.starts_at), "D j M, H:i")
        values["meeting_ends"] = dateformat.format(timezone.localtime(meeting_ends_at(meeting)), "H:i")
        values["meeting_minutes"] = str(meeting.duration_minutes)
        values["meeting_location"] = " ".join(meeting.location.split()) or "not given"
    if due.point:
        values["check_in"] = CHECK_IN_NAMES[CheckInPoint(due.point)]
    return values


def reminder_message(
    due: DueReminder, *, connection: BaseEmailBackend | None = None, wording: WordingCache | None = None
) -> EmailMultiAlternatives:
    """The email of one reminder to one of the pair: plain text and HTML in the programme's wording,
    and for a meeting its invitation (.ics)."""
    kind = EmailKind(due.kind.value)
    subject, body = email_wording(due.relationship.programme, kind, cache=wording)
    values = reminder_values(due)
    rendered = email_render(kind, subject=subject, body=body, values=values)
    message = email_message(
        rendered,
        to=due.recipient.address,
        kind=kind,
        link=values["link"],
        connection=connection,
        headers={"X-Twofold-Reminder": due.kind.value},
    )
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
