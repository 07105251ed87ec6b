"""Hole 10: a meeting on 31 December 9999 lasting 600 minutes broke the pair's calendar feed (its end is
after the calendar's), and other dates the pair types were taken as they came. Such dates are refused
when saved; a meeting saved before that check cannot break a feed; a reminder run cannot be pointed
at the end of the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from icalendar import Calendar

from tests.conftest import Cast
from tests.factories import MeetingFactory, SkillFactory, acting
from tests.people.test_views import signed_in
from tests.relationships.pairing import NOW, pair_up
from twofold.programmes.models import Programme
from twofold.relationships.calendar import calendar_feed_for
from twofold.relationships.models import AdvocacyAction, KnowledgeTransfer, Meeting, MeetingStatus, Relationship
from twofold.relationships.reminders import reminders_due
from twofold.relationships.services import (
    RelationshipRuleBroken,
    advocacy_action_record,
    knowledge_transfer_record,
    meeting_log,
    meeting_schedule,
    meeting_update,
)

END_OF_TIME = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def active(cast: Cast, reverse_mentoring: Programme) -> Relationship:
    return pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=NOW)


def test_hole_10_meeting_at_the_end_of_the_calendar_is_refused_when_scheduled_or_logged(
    cast: Cast, active: Relationship
) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        meeting_schedule(
            relationship=active, actor=acting(cast.ana), starts_at=END_OF_TIME, duration_minutes=600, now=NOW
        )
    assert caught.value.code == "date_out_of_range"
    assert caught.value.message == "The meeting's date must be between 1900 and 2100, not 9999-12-31."
    with pytest.raises(RelationshipRuleBroken, match="between 1900 and 2100"):
        meeting_log(
            relationship=active, actor=acting(cast.ana), starts_at=END_OF_TIME, duration_minutes=600, now=END_OF_TIME
        )
    assert not Meeting.objects.exists()

    planned = meeting_schedule(relationship=active, actor=acting(cast.ana), starts_at=NOW + timedelta(days=3), now=NOW)
    with pytest.raises(RelationshipRuleBroken, match="between 1900 and 2100"):
        meeting_update(meeting=planned, actor=acting(cast.ana), starts_at=END_OF_TIME, duration_minutes=600, now=NOW)
    planned.refresh_from_db()
    assert (planned.starts_at, planned.duration_minutes) == (NOW + timedelta(days=3), 45)


def test_hole_10_meeting_at_the_end_of_the_calendar_is_refused_by_the_page(cast: Cast, active: Relationship) -> None:
    url = reverse("relationships:meeting_schedule", args=[active.pk])
    response = signed_in(cast.ana_user).post(
        url, {"starts_at": "9999-12-31T23:00", "duration_minutes": "600"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "The meeting&#x27;s date must be between 1900 and 2100" in response.content.decode()
    assert not Meeting.objects.exists()


def test_hole_10_a_meeting_logged_at_the_end_of_the_calendar_is_refused_by_the_page(
    cast: Cast, active: Relationship
) -> None:
    # Without same_day=yes the page first looks for a meeting held that day: the day after
    # 31 December 9999 does not exist, and that look broke with a 500 before the service refused.
    url = reverse("relationships:meeting_log", args=[active.pk])
    for starts_at in ("9999-12-31T10:00", "9999-12-31T23:00"):
        response = signed_in(cast.ana_user).post(url, {"starts_at": starts_at, "duration_minutes": "45"}, headers=HTMX)
        assert 400 <= response.status_code < 500
    assert not Meeting.objects.exists()


def test_hole_10_a_meeting_saved_before_the_check_does_not_break_the_calendar_feed(
    cast: Cast, active: Relationship, client
) -> None:  # type: ignore[no-untyped-def]
    kept = MeetingFactory(relationship=active, starts_at=NOW + timedelta(days=2), status=MeetingStatus.SCHEDULED)
    MeetingFactory(relationship=active, starts_at=END_OF_TIME, duration_minutes=600, status=MeetingStatus.SCHEDULED)

    response = client.get(reverse("relationships:calendar_feed", kwargs={"token": calendar_feed_for(cast.ana).token}))

    assert response.status_code == 200
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [event.decoded("DTSTART") for event in events] == [kept.starts_at]


def test_hole_10_knowledge_and_advocacy_dates_are_checked(cast: Cast, active: Relationship, sponsored) -> None:  # type: ignore[no-untyped-def]
    skill = SkillFactory(name="SQL")
    with pytest.raises(RelationshipRuleBroken, match="The date must be between 1900 and 2100, not 9999-12-31"):
        knowledge_transfer_record(
            relationship=active,
            actor=acting(cast.ana),
            skill=skill,
            direction="mentor_to_mentee",
            proficiency_before=1,
            proficiency_after=2,
            recorded_on=date(9999, 12, 31),
        )
    with pytest.raises(RelationshipRuleBroken, match="The date must be between 1900 and 2100, not 0001-01-01"):
        advocacy_action_record(
            relationship=sponsored,
            actor=acting(cast.vp_sales),
            kind="introduction",
            happened_on=date(1, 1, 1),
            description="Introduced Ana to the board",
        )
    assert not KnowledgeTransfer.objects.exists() and not AdvocacyAction.objects.exists()


def test_hole_10_a_reminder_run_for_the_end_of_the_calendar_is_refused(db) -> None:
    with pytest.raises(CommandError, match="--date must be between 1900 and 2100, not 9999-12-31"):
        call_command("send_reminders", "--date", "9999-12-31")


def test_hole_10_a_meeting_saved_before_the_check_does_not_stop_the_reminder_run(
    cast: Cast, active: Relationship, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Europe/Berlin"  # where 31 December 9999, 23:00 UTC is already the year 10000
    MeetingFactory(relationship=active, starts_at=END_OF_TIME, duration_minutes=600, status=MeetingStatus.SCHEDULED)
    today = (NOW + timedelta(days=40)).date()

    due = {(reminder.kind.value, reminder.recipient.email) for reminder in reminders_due(today=today)}

    # As if the stray meeting were not there: the pair has not met for 40 days with a 14-day cadence.
    assert ("relationship_idle", cast.ana.email) in due


def test_hole_10_a_meeting_saved_before_the_check_does_not_break_the_pair_s_page(
    cast: Cast, active: Relationship, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Europe/Berlin"
    MeetingFactory(relationship=active, starts_at=NOW + timedelta(days=2), status=MeetingStatus.SCHEDULED)
    MeetingFactory(relationship=active, starts_at=END_OF_TIME, duration_minutes=600, status=MeetingStatus.SCHEDULED)

    response = signed_in(cast.ana_user).get(reverse("relationships:detail", args=[active.pk]))

    assert response.status_code == 200
    assert "9999" not in response.content.decode()
