"""The secret iCalendar feed of a person's meetings, over HTTP: what it shows, what it hides, who may read it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from typing import cast as typed

import pytest
from django.core.management import CommandError, call_command
from django.urls import include, path, reverse
from icalendar import Calendar

from tests.factories import MeetingFactory, PersonFactory, ProgrammeFactory, RelationshipFactory
from twofold.people.models import Person
from twofold.programmes.models import Programme
from twofold.relationships.calendar import calendar_feed_for, calendar_feed_rotate, meeting_invitation
from twofold.relationships.links import calendar_feed_link
from twofold.relationships.models import (
    CalendarFeed,
    Concern,
    Meeting,
    MeetingStatus,
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.urls import urlpatterns as project_urlpatterns

# The project's URL map with the relationships app in it, whether or not twofold/urls.py includes it yet.
urlpatterns = list(project_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "relationships" for pattern in urlpatterns):
    urlpatterns.append(path("", include("twofold.relationships.urls")))
pytestmark = pytest.mark.urls(__name__)

SITE = "https://twofold.example.org"
SECRETS = ("PRIVATE-NOTE-TEXT", "CONCERN-TEXT", "SHARED-NOTE-TEXT")


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = SITE


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def new_programme(**fields: Any) -> Programme:
    return typed(Programme, ProgrammeFactory(**fields))


def new_person(**fields: Any) -> Person:
    return typed(Person, PersonFactory(**fields))


def pair(programme: Programme, mentor: Person, mentee: Person, state: str = RelationshipState.ACTIVE) -> Relationship:
    return typed(
        Relationship,
        RelationshipFactory(
            programme=programme,
            mentor_enrolment__person=mentor,
            mentee_enrolment__person=mentee,
            state=state,
            proposed_at=at(date(2026, 1, 5), 9),
            started_at=None if state == RelationshipState.PROPOSED else at(date(2026, 1, 6), 9),
        ),
    )


def meeting(
    relationship: Relationship, starts_at: datetime, status: str = MeetingStatus.HELD, **fields: Any
) -> Meeting:
    return typed(Meeting, MeetingFactory(relationship=relationship, starts_at=starts_at, status=status, **fields))


def feed_url(token: str) -> str:
    return reverse("relationships:calendar_feed", kwargs={"token": token})


def events_of(content: bytes) -> dict[str, Any]:
    return {str(event["UID"]): event for event in Calendar.from_ical(content).walk("VEVENT")}


def test_feed_shows_the_persons_scheduled_and_held_meetings_and_nothing_else(cast, client, settings) -> None:
    settings.TIME_ZONE = "Europe/Berlin"  # the feed speaks UTC whatever the server's zone
    rm = new_programme(name="Digital fluency")
    sp = new_programme(name="Rising leaders", sponsorship=True)
    ana_vera = pair(rm, cast.ana, cast.vp_sales)
    held = meeting(ana_vera, at(date(2026, 3, 2), 9), shared_note="SHARED-NOTE-TEXT", location="Café Nord")
    planned = meeting(ana_vera, at(date(2026, 3, 16), 14, 30), MeetingStatus.SCHEDULED, duration_minutes=60)
    meeting(ana_vera, at(date(2026, 3, 9), 14), MeetingStatus.CANCELLED)
    PrivateNote.objects.create(meeting=held, author=cast.ana, text="PRIVATE-NOTE-TEXT")
    PrivateNote.objects.create(meeting=held, author=cast.vp_sales, text="PRIVATE-NOTE-TEXT")
    Concern.objects.create(relationship=ana_vera, raised_by=cast.ana, text="CONCERN-TEXT")
    sponsored = pair(sp, cast.vp_sales, cast.ana, RelationshipState.COMPLETED)
    finished = meeting(sponsored, at(date(2026, 2, 2), 11))
    ended = pair(new_programme(), cast.ana, new_person(name="Eddie Ended", level=8), RelationshipState.ENDED_EARLY)
    meeting(ended, at(date(2026, 2, 3), 11))
    proposed = pair(new_programme(), cast.ana, new_person(name="Polly Proposed", level=8), "proposed")
    meeting(proposed, at(date(2026, 3, 20), 11), MeetingStatus.SCHEDULED)
    others = pair(rm, cast.ben, cast.vp_tech)
    meeting(others, at(date(2026, 3, 3), 9))
    meeting(others, at(date(2026, 3, 17), 9), MeetingStatus.SCHEDULED)

    response = client.get(feed_url(calendar_feed_for(cast.ana).token))  # no one signed in: the token is enough

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    events = events_of(response.content)
    assert set(events) == {f"meeting-{m.pk}@twofold.example.org" for m in (held, planned, finished)}
    event = events[f"meeting-{planned.pk}@twofold.example.org"]
    assert event.decoded("DTSTART") == at(date(2026, 3, 16), 14, 30)
    assert event.decoded("DTEND") == at(date(2026, 3, 16), 15, 30)
    assert str(event["SUMMARY"]) == "Meeting with Vera Sales · Digital fluency"
    assert str(event["URL"]) == f"{SITE}/relationships/{ana_vera.pk}/"
    text = response.content.decode()
    assert "DTSTART:20260316T143000Z" in text and "DTEND:20260316T153000Z" in text
    assert str(events[f"meeting-{held.pk}@twofold.example.org"]["LOCATION"]) == "Café Nord"
    assert (
        str(events[f"meeting-{finished.pk}@twofold.example.org"]["SUMMARY"])
        == "Meeting with Vera Sales · Rising leaders"
    )
    for absent in (*SECRETS, "Eddie Ended", "Polly Proposed", "Ben Junior", "Victor Tech"):
        assert absent not in text

    # Vera's own feed names Ana as the partner, under the same UIDs.
    vera_events = events_of(client.get(feed_url(calendar_feed_for(cast.vp_sales).token)).content)
    assert set(vera_events) == set(events)
    assert str(vera_events[f"meeting-{planned.pk}@twofold.example.org"]["SUMMARY"]) == (
        "Meeting with Ana Junior · Digital fluency"
    )


def test_the_invitation_and_the_feed_share_the_meeting_uid(cast, client) -> None:
    relationship = pair(new_programme(), cast.ana, cast.vp_sales)
    planned = meeting(relationship, at(date(2026, 3, 16), 14), MeetingStatus.SCHEDULED)
    (invited,) = Calendar.from_ical(meeting_invitation(planned, recipient=cast.ana)).walk("VEVENT")
    (listed,) = events_of(client.get(feed_url(calendar_feed_for(cast.ana).token)).content).values()
    assert str(invited["UID"]) == str(listed["UID"]) == f"meeting-{planned.pk}@twofold.example.org"
    assert invited["SEQUENCE"] == listed["SEQUENCE"]


def test_the_token_is_the_only_key(cast, client) -> None:
    relationship = pair(new_programme(), cast.ana, cast.vp_sales)
    meeting(relationship, at(date(2026, 3, 2), 9))
    feed = calendar_feed_for(cast.ana)
    assert len(feed.token) >= 40 and calendar_feed_for(cast.ana).token == feed.token

    assert client.get(feed_url("not-a-token-anyone-has")).status_code == 404
    assert client.get(feed_url(feed.token[:-1])).status_code == 404
    assert client.get(f"/calendar/{feed.token}").status_code == 404  # the .ics is part of the address
    assert client.post(feed_url(feed.token)).status_code == 405

    cast.ana.active = False  # left the organisation
    cast.ana.save()
    assert client.get(feed_url(feed.token)).status_code == 404


def test_rotating_the_token_retires_the_old_address(cast, client) -> None:
    relationship = pair(new_programme(), cast.ana, cast.vp_sales)
    meeting(relationship, at(date(2026, 3, 2), 9))
    old = calendar_feed_for(cast.ana).token

    rotated = calendar_feed_rotate(actor=cast.ana_user, person=cast.ana)

    assert rotated.token != old and CalendarFeed.objects.filter(person=cast.ana).count() == 1
    assert client.get(feed_url(old)).status_code == 404
    assert len(events_of(client.get(feed_url(rotated.token)).content)) == 1
    assert calendar_feed_for(cast.ana).token == rotated.token
    # A person without a feed yet gets one from a rotation too.
    assert calendar_feed_rotate(actor=cast.ben_user, person=cast.ben).token != rotated.token


def test_feed_address_is_absolute_and_an_empty_feed_is_still_a_calendar(cast, client) -> None:
    feed = calendar_feed_for(cast.ben)
    link = calendar_feed_link(feed.token)
    assert link == f"{SITE}/calendar/{feed.token}.ics"
    response = client.get(link.removeprefix(SITE))
    assert response.status_code == 200 and events_of(response.content) == {}
    assert "X-WR-CALNAME:Twofold — Ben Junior" in response.content.decode()


def test_feed_reads_a_fixed_number_of_queries(cast, client, django_assert_max_num_queries) -> None:
    for _ in range(5):
        relationship = pair(new_programme(), cast.ana, new_person(level=8))
        for day in range(1, 5):
            meeting(relationship, at(date(2026, 2, day), 9))
    token = calendar_feed_for(cast.ana).token
    with django_assert_max_num_queries(2):
        response = client.get(feed_url(token))
    assert len(events_of(response.content)) == 20


def test_calendar_feed_command_prints_and_rotates_the_address(cast, capsys) -> None:
    call_command("calendar_feed", cast.ana.email.upper())
    first = capsys.readouterr().out.strip()
    assert first == f"{SITE}/calendar/{calendar_feed_for(cast.ana).token}.ics"
    call_command("calendar_feed", cast.ana.email, "--rotate")
    output = capsys.readouterr()
    assert output.out.strip() != first and output.out.strip() == calendar_feed_link(calendar_feed_for(cast.ana).token)
    assert "the old one no longer works" in output.err
    with pytest.raises(CommandError, match="Nobody in the directory"):
        call_command("calendar_feed", "nobody@example.org")
