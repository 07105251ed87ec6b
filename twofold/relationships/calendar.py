"""Meetings as iCalendar: each person's secret subscription feed, and the invitation a reminder attaches.

Events carry who, what and when — never a note: the shared note stays in Twofold, and private notes
and concerns never leave it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from icalendar import Calendar, Event, vCalAddress

from twofold.accounts.kept_queries import KeptQuery
from twofold.accounts.permissions import authorize
from twofold.dates import MOMENT_SPAN
from twofold.people.models import Person
from twofold.relationships.links import relationship_link, site_host
from twofold.relationships.models import (
    CalendarFeed,
    Meeting,
    MeetingStatus,
    RelationshipState,
    new_feed_token,
)

PRODID = "-//Twofold//Twofold meetings//EN"
# A feed shows the meetings of pairs that are running or ran to the end; cancelled meetings vanish
# from subscribers' calendars on the next refresh.
FEED_RELATIONSHIP_STATES = (RelationshipState.ACTIVE, RelationshipState.COMPLETED)
FEED_MEETING_STATUSES = (MeetingStatus.SCHEDULED, MeetingStatus.HELD)
# SEQUENCE counts minutes from here, so that a rescheduled meeting's invitation always carries a
# higher number than the one before and calendar clients apply it instead of ignoring it.
_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def meeting_uid(meeting: Meeting) -> str:
    """The one UID of a meeting, the same in every feed and invitation, so clients update rather than duplicate."""
    return f"meeting-{meeting.pk}@{site_host()}"


def meeting_ends_at(meeting: Meeting) -> datetime:
    return meeting.starts_at + timedelta(minutes=meeting.duration_minutes)


def meeting_summary(meeting: Meeting, *, viewer_id: int) -> str:
    """The event title, "Meeting with <partner> · <programme>", as one of the pair sees it."""
    relationship = meeting.relationship
    partner = relationship.mentee if viewer_id == relationship.mentor_id else relationship.mentor
    return f"Meeting with {partner.name} · {relationship.programme.name}"


def _meeting_event(meeting: Meeting, *, viewer_id: int) -> Event:
    relationship = meeting.relationship
    updated_at = meeting.updated_at.astimezone(UTC)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", updated_at)
    event.add("last-modified", updated_at)
    event.add("sequence", max(0, int((updated_at - _SEQUENCE_EPOCH).total_seconds() // 60)))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting_ends_at(meeting).astimezone(UTC))
    event.add("summary", meeting_summary(meeting, viewer_id=viewer_id))
    if meeting.location:
        event.add("location", meeting.location)
    link = relationship_link(relationship.pk)
    event.add("description", f"{relationship.programme.name} in Twofold: {link}")
    event.add("url", link)
    event.add("status", "CONFIRMED")
    return event


def _calendar(*, method: str | None = None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        # Apple Calendar, Google Calendar and Thunderbird show this as the subscription's name.
        calendar.add("x-wr-calname", name)
    return calendar


def person_calendar_meetings(person: Person) -> QuerySet[Meeting]:
    """The meetings a person's feed shows: scheduled and held, in their running or completed pairs.

    Only meetings inside the span of dates Twofold accepts: one saved before the services checked it
    (at 31 December 9999, say) would end after the calendar does, and must not break the whole feed.
    """
    return (
        Meeting.objects.filter(Q(relationship__mentor=person) | Q(relationship__mentee=person))
        .filter(relationship__state__in=FEED_RELATIONSHIP_STATES, status__in=FEED_MEETING_STATUSES)
        .filter(starts_at__range=MOMENT_SPAN)
        .select_related("relationship__programme", "relationship__mentor", "relationship__mentee")
        .order_by("starts_at", "pk")
    )


def person_calendar(person: Person) -> bytes:
    """The iCalendar document of one person's meetings, for their subscription feed."""
    calendar = _calendar(method="PUBLISH", name=f"Twofold — {person.name}")
    for meeting in person_calendar_meetings(person):
        calendar.add_component(_meeting_event(meeting, viewer_id=person.pk))
    return calendar.to_ical()


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = name
    return address


def meeting_invitation(meeting: Meeting, *, recipient: Person) -> bytes:
    """An invitation (METHOD:REQUEST) to one scheduled meeting, as one of the pair receives it.

    Twofold is the organiser and asks for no reply (RSVP=FALSE): the meeting is changed in Twofold,
    and a later invitation with the same UID and a higher SEQUENCE moves it in the calendar.
    """
    relationship = meeting.relationship
    event = _meeting_event(meeting, viewer_id=recipient.pk)
    organiser_name, organiser_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    event.add("organizer", _address(organiser_email, organiser_name or "Twofold"))
    for person in (relationship.mentor, relationship.mentee):
        attendee = _address(person.email, person.name)
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["partstat"] = "NEEDS-ACTION"
        attendee.params["rsvp"] = "FALSE"
        event.add("attendee", attendee)
    calendar = _calendar(method="REQUEST")
    calendar.add_component(event)
    return calendar.to_ical()


def _feed_of(person: int) -> QuerySet[CalendarFeed]:
    return CalendarFeed.objects.filter(person=person)


# Read on every visit to "My programmes": the feed exists after the first.
FEED_READ = KeptQuery(CalendarFeed, _feed_of, parameters=("person",), samples=lambda: ((1,), (2,)))


def calendar_feed_for(person: Person) -> CalendarFeed:
    """The person's feed, created with a fresh secret token the first time it is asked for."""
    feed = FEED_READ.first(person.pk)
    if feed is None:
        feed, _created = CalendarFeed.objects.get_or_create(person=person)
    return feed


@transaction.atomic
def calendar_feed_rotate(*, actor: Any, person: Person) -> CalendarFeed:
    """Give the person's feed a new secret token; the old address stops working at once.

    For a person who shared or leaked their feed address: calendars subscribed to the old address
    get 404s and must subscribe again with the new one. Only the person themselves rotates it.
    """
    authorize(actor, "calendar.rotate", person)
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(person=person)
    if not created:
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed
