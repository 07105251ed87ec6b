"""Reminders: each rule on both sides of its boundary, one send per day, the emails, SMTP, the CLI and the task."""

from __future__ import annotations

import signal
import socket
import threading
from datetime import UTC, date, datetime, time, timedelta
from email.message import Message
from typing import Any
from typing import cast as typed

import pytest
from django.core import mail
from django.core.mail import get_connection
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from icalendar import Calendar

from tests.factories import MeetingFactory, PersonFactory, ProgrammeFactory, RelationshipFactory, UserFactory
from twofold.accounts.models import User
from twofold.people.models import Person
from twofold.programmes.models import Acceptance, Programme, ProgrammeKind, ProgrammeState
from twofold.relationships.models import (
    Agreement,
    Answer,
    CheckIn,
    CheckInPoint,
    Concern,
    Meeting,
    MeetingStatus,
    PrivateNote,
    Relationship,
    RelationshipState,
    ReminderSent,
)
from twofold.relationships.reminders import reminders_due, reminders_send
from twofold.relationships.tasks import reminders_daily, reminders_schedule

SITE = "https://twofold.example.org"
SECRETS = ("PRIVATE-NOTE-TEXT", "CONCERN-TEXT", "SHARED-NOTE-TEXT")
# Every test runs on this day; nothing depends on the machine's clock except the daily task's own.
TODAY = date(2026, 3, 10)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def days_ago(days: int, hour: int = 10) -> datetime:
    return at(TODAY - timedelta(days=days), hour)


def later(days: int) -> date:
    return TODAY + timedelta(days=days)


def new_programme(**fields: Any) -> Programme:
    return typed(Programme, ProgrammeFactory(**fields))


def new_person(**fields: Any) -> Person:
    return typed(Person, PersonFactory(**fields))


def new_user(**fields: Any) -> User:
    return typed(User, UserFactory(**fields))


def pair(
    *,
    programme: Programme | None = None,
    mentor: Person | None = None,
    mentee: Person | None = None,
    state: str = RelationshipState.ACTIVE,
    proposed_at: datetime | None = None,
    started_at: datetime | None = None,
    expires_at: datetime | None = None,
    cadence_days: int | None = None,
) -> Relationship:
    """A pair written straight to the tables; an active one started 30 days before TODAY unless told."""
    if state != RelationshipState.PROPOSED and started_at is None:
        started_at = days_ago(30)
    fields: dict[str, Any] = {"programme": programme or new_programme(), "state": state}
    if mentor is not None:
        fields["mentor_enrolment__person"] = mentor
    if mentee is not None:
        fields["mentee_enrolment__person"] = mentee
    relationship = typed(
        Relationship,
        RelationshipFactory(
            **fields,
            proposed_at=proposed_at or started_at or days_ago(40),
            started_at=started_at,
            expires_at=expires_at,
        ),
    )
    if cadence_days is not None:
        Agreement.objects.filter(relationship=relationship).update(cadence_days=cadence_days)
    return relationship


def meeting(
    relationship: Relationship, starts_at: datetime, *, status: str = MeetingStatus.HELD, **fields: Any
) -> Meeting:
    return typed(Meeting, MeetingFactory(relationship=relationship, starts_at=starts_at, status=status, **fields))


def check_in(relationship: Relationship, person: Person, point: str) -> CheckIn:
    return CheckIn.objects.create(
        relationship=relationship,
        person=person,
        point=point,
        satisfaction=4,
        psychological_safety=4,
        progress=3,
        submitted_at=days_ago(1),
    )


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = SITE


def due_on(day: date, kind: str | None = None) -> set[tuple[int, str, str]]:
    """(relationship id, kind, recipient email) of every reminder due on ``day``."""
    return {
        (due.relationship.pk, due.kind.value, due.recipient.email)
        for due in reminders_due(today=day)
        if kind is None or due.kind == kind
    }


def both(relationship: Relationship, kind: str) -> set[tuple[int, str, str]]:
    return {(relationship.pk, kind, relationship.mentor.email), (relationship.pk, kind, relationship.mentee.email)}


# --- proposals awaiting an answer ----------------------------------------------------------------


def test_proposal_is_reminded_from_its_third_day_to_whoever_has_not_answered(cast) -> None:
    waiting = pair(
        mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=days_ago(3, hour=18)
    )
    fresh = pair(mentor=cast.ben, mentee=cast.vp_tech, state=RelationshipState.PROPOSED, proposed_at=days_ago(2, 8))
    assert due_on(TODAY, "proposal_awaiting") == both(waiting, "proposal_awaiting")

    Relationship.objects.filter(pk=waiting.pk).update(mentor_answer=Answer.ACCEPTED)
    assert due_on(TODAY, "proposal_awaiting") == {(waiting.pk, "proposal_awaiting", cast.vp_sales.email)}
    assert due_on(later(1), "proposal_awaiting") == both(fresh, "proposal_awaiting") | {
        (waiting.pk, "proposal_awaiting", cast.vp_sales.email)
    }

    Relationship.objects.filter(pk=waiting.pk).update(state=RelationshipState.DECLINED)
    assert due_on(TODAY, "proposal_awaiting") == set()


def test_one_sided_acceptance_reminds_only_the_mentee_and_leavers_get_nothing(cast) -> None:
    programme = new_programme(kind=ProgrammeKind.SPONSORSHIP, acceptance=Acceptance.ONE_SIDED)
    one_sided = pair(
        programme=programme,
        mentor=cast.vp_tech,
        mentee=cast.ben,
        state=RelationshipState.PROPOSED,
        proposed_at=days_ago(3),
    )
    assert one_sided.mentor_answer == Answer.PENDING
    assert due_on(TODAY, "proposal_awaiting") == {(one_sided.pk, "proposal_awaiting", cast.ben.email)}

    cast.ben.active = False
    cast.ben.save()
    assert due_on(TODAY, "proposal_awaiting") == set()


def test_proposal_is_reminded_again_every_three_days_until_it_expires(cast, mailoutbox) -> None:
    pair(
        mentor=cast.ana,
        mentee=cast.vp_sales,
        state=RelationshipState.PROPOSED,
        proposed_at=days_ago(3),
        expires_at=at(later(6), 9),
    )
    sent_per_day = {offset: reminders_send(today=later(offset)).counts["proposal_awaiting"] for offset in range(8)}
    # Days 3 and 6 after the proposal, and the day it expires (the ninth); nothing after.
    assert sent_per_day == {0: 2, 1: 0, 2: 0, 3: 2, 4: 0, 5: 0, 6: 2, 7: 0}
    assert due_on(later(9), "proposal_awaiting") == set()
    assert len(mailoutbox) == 6
    assert {m.to[0] for m in mailoutbox} == {f"Ana Junior <{cast.ana.email}>", f"Vera Sales <{cast.vp_sales.email}>"}


# --- meetings coming up --------------------------------------------------------------------------


def test_meeting_today_or_tomorrow_is_reminded_and_a_moved_meeting_again(cast, mailoutbox) -> None:
    relationship = pair(mentor=cast.ana, mentee=cast.vp_sales)
    meeting(relationship, days_ago(3))
    tomorrow = meeting(relationship, at(later(1), 14), status=MeetingStatus.SCHEDULED)
    other = pair(mentor=cast.ben, mentee=cast.vp_tech)
    meeting(other, days_ago(3))
    meeting(other, at(later(2), 9), status=MeetingStatus.SCHEDULED)
    meeting(other, at(later(1), 9), status=MeetingStatus.CANCELLED)

    assert due_on(TODAY, "meeting_upcoming") == both(relationship, "meeting_upcoming")
    assert reminders_send(today=TODAY).counts["meeting_upcoming"] == 2
    assert due_on(TODAY, "meeting_upcoming") == set()
    # Tomorrow: the other pair's meeting the day after; this pair's was reminded already.
    assert due_on(later(1), "meeting_upcoming") == both(other, "meeting_upcoming")

    tomorrow.starts_at = at(later(1), 16)
    tomorrow.save()
    assert due_on(TODAY, "meeting_upcoming") == both(relationship, "meeting_upcoming")


# --- meetings due by cadence, and idle pairs -----------------------------------------------------


def test_meeting_is_due_once_the_cadence_has_passed_with_nothing_scheduled(db) -> None:
    def met(days: int, **fields: Any) -> Relationship:
        relationship = pair(**fields)
        meeting(relationship, days_ago(days))
        return relationship

    on_cadence = met(14)
    within = met(13)
    planned = met(20)
    meeting(planned, at(later(5)), status=MeetingStatus.SCHEDULED)
    stale_plan = met(20)
    meeting(stale_plan, days_ago(3), status=MeetingStatus.SCHEDULED)  # passed, never marked held
    agreed_weekly = met(7, cadence_days=7)
    never_met = pair(started_at=days_ago(14))
    just_started = pair(started_at=days_ago(13))
    held_in_future = pair(started_at=days_ago(20))
    meeting(held_in_future, at(later(3)))  # marked held, dated later: not a meeting yet

    due = {relationship_id for relationship_id, _kind, _email in due_on(TODAY, "meeting_due")}
    assert due == {on_cadence.pk, stale_plan.pk, agreed_weekly.pk, never_met.pk, held_in_future.pk}
    assert within.pk not in due and planned.pk not in due and just_started.pk not in due
    assert due_on(TODAY, "relationship_idle") == set()


def test_meeting_due_is_sent_once_per_cadence(db, mailoutbox) -> None:
    relationship = pair()
    meeting(relationship, days_ago(14))
    assert reminders_send(today=TODAY).counts["meeting_due"] == 2
    assert reminders_send(today=later(1)).counts["meeting_due"] == 0
    meeting(relationship, at(later(2)))
    assert due_on(later(15), "meeting_due") == set()
    assert due_on(later(16), "meeting_due") == both(relationship, "meeting_due")


def test_idle_pair_reaches_both_people_and_the_programme_managers(cast) -> None:
    programme = new_programme()
    cast.programme_manager.email = "pm@example.org"
    cast.programme_manager.save()
    manager_with_person = new_user(person=new_person(email="lena.manager@example.org"))
    programme.managers.add(
        cast.programme_manager,
        manager_with_person,
        new_user(email="gone@example.org", is_active=False),
        new_user(),  # no address anywhere: nobody to write to
    )
    idle = pair(programme=programme, mentor=cast.ana, mentee=cast.vp_sales)
    meeting(idle, days_ago(28))
    meeting(idle, at(later(2)), status=MeetingStatus.SCHEDULED)  # planned, yet still idle for the programme
    nearly = pair(programme=programme, mentor=cast.ben, mentee=cast.vp_tech)
    meeting(nearly, days_ago(27))

    assert due_on(TODAY, "relationship_idle") == both(idle, "relationship_idle") | {
        (idle.pk, "relationship_idle", "pm@example.org"),
        (idle.pk, "relationship_idle", "lena.manager@example.org"),
    }
    assert {relationship_id for relationship_id, _k, _e in due_on(TODAY, "meeting_due")} == {nearly.pk}


def test_a_manager_who_is_one_of_the_idle_pair_gets_only_the_pair_email(cast) -> None:
    programme = new_programme(managers=[cast.vp_sales_user])  # no address of her own: her person's is used
    idle = pair(programme=programme, mentor=cast.ana, mentee=cast.vp_sales)
    meeting(idle, days_ago(28))
    due = [reminder for reminder in reminders_due(today=TODAY) if reminder.kind == "relationship_idle"]
    assert sorted((reminder.recipient.email, reminder.recipient.role) for reminder in due) == sorted(
        [(cast.ana.email, "mentor"), (cast.vp_sales.email, "mentee")]
    )


def test_idle_reminder_repeats_every_cadence_while_the_pair_stays_idle(db, mailoutbox) -> None:
    relationship = pair(cadence_days=10)
    meeting(relationship, days_ago(20))
    assert reminders_send(today=TODAY).counts["relationship_idle"] == 2
    assert all(reminders_send(today=later(offset)).counts["relationship_idle"] == 0 for offset in range(1, 10))
    assert reminders_send(today=later(10)).counts["relationship_idle"] == 2


def test_closed_programmes_and_ended_pairs_get_no_reminders(db) -> None:
    closed = pair(programme=new_programme(state=ProgrammeState.CLOSED))
    meeting(closed, days_ago(40))
    ended = pair(state=RelationshipState.ENDED_EARLY, started_at=days_ago(60))
    meeting(ended, days_ago(40))
    meeting(ended, at(later(1)), status=MeetingStatus.SCHEDULED)
    assert due_on(TODAY) == set()


# --- check-ins -----------------------------------------------------------------------------------


def check_ins_due(day: date) -> set[tuple[int, str, str]]:
    return {(due.relationship.pk, due.point, due.recipient.email) for due in reminders_due(today=day) if due.point}


def test_fit_check_opens_the_morning_after_the_first_meeting(cast) -> None:
    met = pair(mentor=cast.ana, mentee=cast.vp_sales, started_at=days_ago(10))
    meeting(met, days_ago(1))
    met_today = pair(mentor=cast.ben, mentee=cast.vp_tech, started_at=days_ago(10))
    meeting(met_today, at(TODAY, 8))
    assert check_ins_due(TODAY) == {(met.pk, "fit", cast.ana.email), (met.pk, "fit", cast.vp_sales.email)}
    assert {(r, point) for r, point, _ in check_ins_due(later(1))} == {(met.pk, "fit"), (met_today.pk, "fit")}

    check_in(met, cast.ana, CheckInPoint.FIT)
    assert check_ins_due(TODAY) == {(met.pk, "fit", cast.vp_sales.email)}

    met.programme.checkin_after_first_meeting = False
    met.programme.save()
    assert check_ins_due(TODAY) == set()


def test_midpoint_at_half_the_duration_and_end_in_the_last_two_weeks(db) -> None:
    # Six months from 10 December is 182 days: half-way is the morning of 11 March.
    halfway = pair(started_at=at(date(2025, 12, 10), 0))
    meeting(halfway, at(date(2025, 12, 20)))
    # Six months from 25 September ends on 25 March: the end check-in opens on 11 March.
    ending = pair(started_at=at(date(2025, 9, 25), 0))
    meeting(ending, days_ago(2))
    # A cohort window that closes on 23 March ends the pair then, whatever its six months say.
    cohort = pair(programme=new_programme(ends_on=later(13)), started_at=days_ago(40))
    meeting(cohort, days_ago(2))

    points = lambda day: {(r, point) for r, point, _ in check_ins_due(day)}  # noqa: E731
    # The fit check of a pair that has reached a later point is no longer asked for.
    assert points(TODAY) == {(halfway.pk, "fit"), (ending.pk, "midpoint"), (cohort.pk, "end")}
    assert points(later(1)) == {(halfway.pk, "midpoint"), (ending.pk, "end"), (cohort.pk, "end")}

    halfway.programme.checkin_at_midpoint = False
    halfway.programme.save()
    assert (halfway.pk, "fit") in points(later(1))


def test_check_in_is_reminded_weekly_until_answered(cast, mailoutbox) -> None:
    relationship = pair(mentor=cast.ana, mentee=cast.vp_sales, started_at=days_ago(10), cadence_days=30)
    meeting(relationship, days_ago(2))
    assert reminders_send(today=TODAY).counts["check_in_due"] == 2
    assert all(reminders_send(today=later(offset)).counts["check_in_due"] == 0 for offset in range(1, 7))
    check_in(relationship, cast.ana, CheckInPoint.FIT)
    report = reminders_send(today=later(7))
    assert [(due.point, due.recipient.email) for due in report.sent] == [("fit", cast.vp_sales.email)]


# --- once a day ----------------------------------------------------------------------------------


def busy_day(cast) -> dict[str, Relationship]:
    """One pair per reminder kind, each holding a shared note, private notes and a concern."""
    siobhan = new_person(name="Siobhán O'Neill", level=8, department="Marketing")
    proposal = pair(
        mentor=cast.ana,
        mentee=siobhan,
        state=RelationshipState.PROPOSED,
        proposed_at=days_ago(3),
        expires_at=at(later(7), 9),
    )
    upcoming = pair(mentor=cast.ben, mentee=cast.vp_tech)
    meeting(upcoming, days_ago(5), shared_note="SHARED-NOTE-TEXT")
    meeting(upcoming, at(later(1), 14), status=MeetingStatus.SCHEDULED, location="Room 4 & café")
    check_in(upcoming, cast.ben, CheckInPoint.FIT)
    check_in(upcoming, cast.vp_tech, CheckInPoint.FIT)
    programme = new_programme(
        name="Rising leaders",
        kind=ProgrammeKind.SPONSORSHIP,
        cadence_days=30,
        checkin_after_first_meeting=False,
        checkin_at_midpoint=False,
        checkin_at_end=False,
    )
    cast.programme_manager.email = "pm@example.org"
    cast.programme_manager.first_name, cast.programme_manager.last_name = "Priya", "Manager"
    cast.programme_manager.save()
    programme.managers.add(cast.programme_manager)
    due = pair(programme=programme, mentor=cast.vp_sales, mentee=new_person(name="Dan Due", level=3))
    meeting(due, days_ago(30), shared_note="SHARED-NOTE-TEXT")
    idle = pair(programme=programme, mentor=cast.ceo, mentee=new_person(name="Ida Idle", level=3))
    meeting(idle, days_ago(60), shared_note="SHARED-NOTE-TEXT")
    fit = pair(mentor=new_person(name="Fran Fit", level=2), mentee=new_person(name="Gus Guest", level=8))
    meeting(fit, days_ago(2), shared_note="SHARED-NOTE-TEXT")
    for relationship in (upcoming, due, idle, fit):
        for held in relationship.meetings.all():
            for author in (relationship.mentor, relationship.mentee):
                PrivateNote.objects.create(meeting=held, author=author, text="PRIVATE-NOTE-TEXT")
        Concern.objects.create(relationship=relationship, raised_by=relationship.mentee, text="CONCERN-TEXT")
    return {"proposal": proposal, "upcoming": upcoming, "due": due, "idle": idle, "fit": fit}


def test_a_second_run_on_the_same_day_sends_nothing(cast, mailoutbox) -> None:
    busy_day(cast)
    first = reminders_send(today=TODAY)
    assert first.counts == {
        "proposal_awaiting": 2,
        "meeting_upcoming": 2,
        "meeting_due": 2,
        "relationship_idle": 3,
        "check_in_due": 2,
    }
    assert len(mailoutbox) == 11 == ReminderSent.objects.filter(sent_on=TODAY).count()
    second = reminders_send(today=TODAY)
    assert second.counts == dict.fromkeys(first.counts, 0) and second.sent == [] and second.failed == []
    assert len(mailoutbox) == 11


def parts(message: Message) -> dict[str, str]:
    """The decoded text of each leaf part of a message, by content type."""
    found = {}
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


def test_each_email_names_the_partner_links_to_the_right_page_and_keeps_notes_private(cast, mailoutbox) -> None:
    pairs = busy_day(cast)
    reminders_send(today=TODAY)
    by_kind_and_recipient = {(m.extra_headers["X-Twofold-Reminder"], m.to[0]): m for m in mailoutbox}

    def letter(kind: str, email: str) -> tuple[str, str, str, dict[str, str]]:
        message = next(m for (k, to), m in by_kind_and_recipient.items() if k == kind and to.endswith(f"<{email}>"))
        found = parts(message.message())
        return message.subject, found["text/plain"], found["text/html"], found

    def link(relationship: Relationship) -> str:
        return f"{SITE}/relationships/{relationship.pk}/"

    subject, text, html, _ = letter("proposal_awaiting", cast.ana.email)
    assert subject == "Your match with Siobhán O'Neill is waiting for your answer"
    assert "Siobhán O'Neill as your mentee in" in text and "Siobhán O&#x27;Neill" in html
    assert "Tuesday 17 March 2026" in text and link(pairs["proposal"]) in text and link(pairs["proposal"]) in html

    subject, text, html, found = letter("meeting_upcoming", cast.ben.email)
    assert subject == "Your meeting with Victor Tech: Wed 11 Mar, 14:00"
    assert "Wednesday 11 March 2026, 14:00" in text and "14:45 (45 minutes)" in text and "Room 4 & café" in text
    assert "Room 4 &amp; café" in html and link(pairs["upcoming"]) in html
    assert "BEGIN:VCALENDAR" in found["text/calendar"]

    subject, text, html, _ = letter("meeting_due", pairs["due"].mentee.email)
    assert subject == "Time to meet Vera Sales again"
    assert "meeting with Vera Sales, your sponsor in Rising leaders, is due. Your last meeting: 30 days ago" in text
    assert link(pairs["due"]) in text

    # The manager gets the idle pairs in one digest, linking to the pairs list, never to the pair's page.
    subject, text, html, _ = letter("manager_digest", "pm@example.org")
    assert subject == "1 pair in your programmes has not met for a while"
    assert "Hello Priya Manager" in text and "Cleo Chief and Ida Idle: last met 60 days ago" in text
    assert (
        f"{SITE}/programmes/{pairs['idle'].programme_id}/pairs/?show=idle" in text and link(pairs["idle"]) not in text
    )
    subject, text, html, _ = letter("relationship_idle", cast.ceo.email)
    assert subject == "It has been a while since you met Ida Idle" and link(pairs["idle"]) in html

    subject, text, html, _ = letter("check_in_due", pairs["fit"].mentee.email)
    assert subject == "Time for your fit check: how is it going with Fran Fit?"
    assert "fit check on your reverse mentoring with Fran Fit, your mentor" in text and link(pairs["fit"]) in text

    for message in mailoutbox:
        everything = message.subject + "".join(parts(message.message()).values())
        assert not [secret for secret in SECRETS if secret in everything], message.subject
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_reminders_go_through_the_connection_they_are_given(cast, settings, mailoutbox) -> None:
    pair(mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=days_ago(3))
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"  # what the default would use
    report = reminders_send(today=TODAY, connection=get_connection("django.core.mail.backends.locmem.EmailBackend"))
    assert len(report.sent) == 2 and len(mailoutbox) == 2


# --- through a real SMTP server ------------------------------------------------------------------


def test_reminders_travel_through_a_real_smtp_server_with_a_parseable_invitation(cast, smtp_server) -> None:
    relationship = pair(
        mentor=cast.ana, mentee=cast.vp_sales, programme=new_programme(checkin_after_first_meeting=False)
    )
    meeting(relationship, days_ago(5))
    planned = meeting(relationship, at(later(1), 14, 30), status=MeetingStatus.SCHEDULED, duration_minutes=60)
    pair(mentor=cast.ben, mentee=cast.vp_tech, state=RelationshipState.PROPOSED, proposed_at=days_ago(4))

    report = reminders_send(today=TODAY)
    assert report.counts["meeting_upcoming"] == 2 and report.counts["proposal_awaiting"] == 2
    assert len(smtp_server.messages) == 4

    for message in smtp_server.messages:
        alternative = next(part for part in message.walk() if part.get_content_type() == "multipart/alternative")
        assert [part.get_content_type() for part in alternative.iter_parts()] == ["text/plain", "text/html"]
        assert message["Auto-Submitted"] == "auto-generated"

    to_ana = next(
        m for m in smtp_server.messages if m["X-Twofold-Reminder"] == "meeting_upcoming" and cast.ana.email in m["To"]
    )
    assert to_ana.get_content_type() == "multipart/mixed"
    attachment = next(part for part in to_ana.walk() if part.get_content_type() == "text/calendar")
    assert attachment.get_param("method") == "REQUEST" and attachment.get_filename() == "meeting.ics"
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    calendar = Calendar.from_ical(payload)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{planned.pk}@twofold.example.org"
    assert event.decoded("DTSTART") == at(later(1), 14, 30)
    assert event.decoded("DTEND") == at(later(1), 15, 30)
    assert str(event["SUMMARY"]) == f"Meeting with Vera Sales · {relationship.programme.name}"
    assert {str(attendee) for attendee in typed(list, event["ATTENDEE"])} == {
        f"mailto:{cast.ana.email}",
        f"mailto:{cast.vp_sales.email}",
    }
    proposals = [m for m in smtp_server.messages if m["X-Twofold-Reminder"] == "proposal_awaiting"]
    assert all(not any(p.get_content_type() == "text/calendar" for p in m.walk()) for m in proposals)


def test_a_refused_recipient_is_not_recorded_and_is_retried_on_the_next_run(cast, smtp_server) -> None:
    pair(mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=days_ago(3))
    smtp_server.refuse.add(cast.vp_sales.email)
    report = reminders_send(today=TODAY)
    assert [due.recipient.email for due in report.sent] == [cast.ana.email]
    assert [due.recipient.email for due in report.failed] == [cast.vp_sales.email]
    assert list(ReminderSent.objects.values_list("recipient", flat=True)) == [cast.ana.email]

    smtp_server.refuse.clear()
    report = reminders_send(today=TODAY)
    assert [due.recipient.email for due in report.sent] == [cast.vp_sales.email] and report.failed == []
    assert len(smtp_server.messages) == 2


def test_an_unreachable_mail_server_fails_the_run_and_records_nothing(cast, settings) -> None:
    pair(mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=days_ago(3))
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    with pytest.raises(OSError):
        reminders_send(today=TODAY)
    assert ReminderSent.objects.count() == 0


def test_a_mail_server_that_goes_down_mid_batch_leaves_the_rest_unrecorded_and_they_go_out_once_later(
    cast, smtp_server
) -> None:
    pair(mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=days_ago(3))
    pair(mentor=cast.ben, mentee=cast.vp_tech, state=RelationshipState.PROPOSED, proposed_at=days_ago(3))
    smtp_server.down_after = 1  # the server takes one message, then answers "service not available"
    report = reminders_send(today=TODAY)
    assert len(report.sent) == 1 and len(report.failed) == 3 and len(smtp_server.messages) == 1
    assert ReminderSent.objects.count() == 1 and not ReminderSent.objects.filter(pending=True).exists()

    smtp_server.down_after = None
    report = reminders_send(today=TODAY)
    assert len(report.sent) == 3 and report.failed == []
    assert reminders_send(today=TODAY).sent == []
    sent = [(message["To"], message["X-Twofold-Reminder"]) for message in smtp_server.messages]
    assert len(sent) == len(set(sent)) == 4
    assert ReminderSent.objects.filter(pending=False).count() == 4


def test_a_claim_left_by_a_run_that_died_is_released_and_its_reminder_sent(cast, smtp_server) -> None:
    pair(mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=days_ago(3))
    # A run on this machine whose process is gone claimed Ana's reminder and never confirmed it.
    ReminderSent.objects.create(
        kind="proposal_awaiting",
        key=f"relationship:{Relationship.objects.get().pk}:proposal",
        recipient=cast.ana.email,
        sent_on=TODAY,
        pending=True,
        claimed_by=f"{socket.gethostname()}:{2**22 + 1}",
        claimed_at=timezone.now(),
    )
    report = reminders_send(today=TODAY)
    assert sorted(due.recipient.email for due in report.sent) == sorted([cast.ana.email, cast.vp_sales.email])
    assert ReminderSent.objects.filter(pending=False).count() == 2 and len(smtp_server.messages) == 2


# --- many runs at once ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_concurrent_runs_send_each_reminder_exactly_once(cast, mailoutbox) -> None:
    busy_day(cast)
    expected = len(reminders_due(today=TODAY))
    start = threading.Barrier(4)
    reports = []

    def run() -> None:
        start.wait()
        try:
            reports.append(reminders_send(today=TODAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reports) == 4
    assert sum(len(report.sent) for report in reports) == expected == len(mail.outbox)
    assert len({(m.extra_headers["X-Twofold-Reminder"], m.to[0], m.subject) for m in mail.outbox}) == expected


# --- the command ---------------------------------------------------------------------------------


def test_send_reminders_command_dry_run_then_for_real(cast, mailoutbox, capsys) -> None:
    pair(mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=days_ago(3))
    call_command("send_reminders", "--date", TODAY.isoformat(), "--dry-run")
    out = capsys.readouterr().out
    assert "Reminders due on Tuesday 10 March 2026 (dry run: nothing sent)" in out
    assert f"would send proposal_awaiting to Ana Junior <{cast.ana.email}>" in out
    assert "Would send 2: proposal_awaiting 2, meeting_upcoming 0" in out
    assert mailoutbox == [] and ReminderSent.objects.count() == 0

    call_command("send_reminders", "--date", TODAY.isoformat())
    out = capsys.readouterr().out
    assert f"sent proposal_awaiting to Vera Sales <{cast.vp_sales.email}>" in out and "Sent 2:" in out
    assert len(mailoutbox) == 2

    call_command("send_reminders", "--date", TODAY.isoformat())
    assert "Sent 0:" in capsys.readouterr().out and len(mailoutbox) == 2
    with pytest.raises(CommandError, match="not a date"):
        call_command("send_reminders", "--date", "10/03/2026")


# --- the daily task ------------------------------------------------------------------------------


def queued_runs() -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path=reminders_daily.module_path, status="READY"))


def test_daily_task_sends_today_and_books_tomorrow_once(cast, mailoutbox, settings) -> None:
    settings.TIME_ZONE = "Europe/London"
    now = timezone.now()
    pair(mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=now - timedelta(days=3))

    result = reminders_daily.call(at="06:30")
    assert result["sent"]["proposal_awaiting"] == 2 and result["failed"] == 0 and len(mailoutbox) == 2
    (queued,) = queued_runs()
    run_after = timezone.localtime(queued.run_after)
    assert run_after.time() == time(6, 30) and timedelta(0) < run_after - now <= timedelta(days=1)
    assert queued.args_kwargs == {"args": [], "kwargs": {"at": "06:30"}}

    # Another run, or an operator scheduling again, keeps one chain of daily runs.
    reminders_daily.call(at="06:30")
    assert reminders_schedule(at="09:00").created is False
    assert len(queued_runs()) == 1 and len(mailoutbox) == 2
    moved = reminders_schedule(at="09:00", replace=True)
    assert moved.created and timezone.localtime(moved.run_after).time() == time(9, 0)
    assert [run.run_after for run in queued_runs()] == [moved.run_after]


# The worker closes "old" connections between tasks, which ends a test's enclosing transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_schedule_reminders_command_and_the_worker_running_the_queue(cast, mailoutbox, capsys) -> None:
    call_command("schedule_reminders", "--at", "07:15")
    assert "Daily reminders scheduled: the first run is on" in capsys.readouterr().out
    call_command("schedule_reminders")
    assert "already scheduled" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not a time of day"):
        call_command("schedule_reminders", "--at", "quarter past seven", "--replace")
    assert len(queued_runs()) == 1

    # A run that is due now, as after the worker was down overnight: the worker sends and books on.
    pair(
        mentor=cast.ana,
        mentee=cast.vp_sales,
        state=RelationshipState.PROPOSED,
        proposed_at=timezone.now() - timedelta(days=3),
    )
    reminders_daily.enqueue(at="07:15")
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for number, handler in handlers.items():  # the worker installs its own; give pytest back its own
            signal.signal(number, handler)
    assert len(mailoutbox) == 2
    assert len(queued_runs()) == 1


def test_immediate_backend_runs_at_once_and_schedules_nothing(cast, mailoutbox, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    pair(
        mentor=cast.ana,
        mentee=cast.vp_sales,
        state=RelationshipState.PROPOSED,
        proposed_at=timezone.now() - timedelta(days=3),
    )
    result = reminders_daily.enqueue()
    assert result.status == "SUCCESSFUL"
    assert result.return_value is not None and result.return_value["sent"]["proposal_awaiting"] == 2
    assert len(mailoutbox) == 2
    with pytest.raises(ValueError, match="cannot schedule a daily run"):
        reminders_schedule()
    with pytest.raises(CommandError, match="send-reminders"):
        call_command("schedule_reminders")


def test_send_reminders_first_expires_unanswered_proposals(db, capsys) -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from tests.factories import RelationshipFactory
    from twofold.relationships.models import RelationshipState

    relationship = RelationshipFactory(state=RelationshipState.PROPOSED)
    type(relationship).objects.filter(pk=relationship.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    call_command("send_reminders")
    assert "Expired 1 proposal nobody answered in time." in capsys.readouterr().out
    relationship.refresh_from_db()
    assert relationship.state == RelationshipState.EXPIRED
