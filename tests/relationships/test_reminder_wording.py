"""The proposal and pair reminders in the wording a programme's managers gave them: one mechanism with
the invitations' (the programme's email pages, placeholders checked, a rendered preview and a test to
oneself), and the edited wording is what reaches a real SMTP server."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.people.test_views import signed_in
from tests.relationships import test_reminders as reminders
from twofold.accounts.permissions import NotPermitted
from twofold.programmes.email_definitions import EMAILS
from twofold.programmes.emails import programme_email_save, programme_email_test, wording_problems
from twofold.programmes.errors import ProgrammeRuleBroken
from twofold.programmes.models import EmailKind, Programme, ProgrammeEmail
from twofold.relationships.models import RelationshipState, ReminderSent
from twofold.relationships.reminders import ReminderKind, reminders_send

TODAY = reminders.TODAY
PAIR_KINDS = [kind.value for kind in ReminderKind]


@pytest.fixture(autouse=True)
def _site(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = reminders.SITE


def managed(cast: Cast) -> Programme:
    programme = reminders.new_programme(name="Digital fluency", cadence_days=14)
    programme.managers.add(cast.programme_manager)
    cast.programme_manager.email = "pm@example.org"
    cast.programme_manager.save()
    return programme


def body_of(message, kind: str = "plain") -> str:  # type: ignore[no-untyped-def]
    return str(message.get_body(preferencelist=(kind,)).get_content())


def test_every_reminder_to_a_pair_is_one_of_the_programmes_emails() -> None:
    assert set(PAIR_KINDS) <= set(EmailKind.values) and set(PAIR_KINDS) <= set(EMAILS)


def test_the_edited_proposal_wording_reaches_the_smtp_server_in_both_parts(cast: Cast, smtp_server) -> None:  # type: ignore[no-untyped-def]
    programme = managed(cast)
    programme_email_save(
        actor=cast.programme_manager,
        programme=programme,
        kind=EmailKind.PROPOSAL_AWAITING,
        subject="{{ first_name }}, {{ partner_name }} waits for you",
        body="Dear {{ name }},\n\nSay yes to <b>{{ partner_name }}</b> by {{ answer_by }}: {{ link }}",
    )
    relationship = reminders.pair(
        programme=programme,
        mentor=cast.ana,
        mentee=cast.vp_sales,
        state=RelationshipState.PROPOSED,
        proposed_at=reminders.days_ago(3),
        expires_at=reminders.at(reminders.later(4)),
    )
    report = reminders_send(today=TODAY)
    assert report.failed == [] and report.counts["proposal_awaiting"] == 2
    to_ana = next(m for m in smtp_server.messages if cast.ana.email in m["To"])
    first = cast.ana.name.split()[0]
    assert to_ana["Subject"] == f"{first}, {cast.vp_sales.name} waits for you"
    assert to_ana["X-Twofold-Reminder"] == "proposal_awaiting"
    link = f"/relationships/{relationship.pk}/"
    text, html = body_of(to_ana), body_of(to_ana, "html")
    assert f"Dear {cast.ana.name}," in text and "Saturday 14 March 2026" in text and link in text
    # The wording is text: the manager's markup is shown, not obeyed; the footer stays under it.
    assert "&lt;b&gt;" in html and "<b>" not in html and f'href="https://twofold.example.org{link}"' in html
    assert "Reminders stop when the relationship ends" in text
    # The other programme's pairs keep the default wording.
    other = reminders.pair(
        mentor=cast.ben, mentee=cast.vp_tech, state=RelationshipState.PROPOSED, proposed_at=reminders.days_ago(3)
    )
    reminders_send(today=TODAY)
    to_ben = next(m for m in smtp_server.messages if cast.ben.email in m["To"])
    assert to_ben["Subject"] == f"Your match with {other.mentee.name} is waiting for your answer"


def test_an_edited_meeting_reminder_keeps_its_calendar_invitation(cast: Cast, smtp_server) -> None:  # type: ignore[no-untyped-def]
    programme = managed(cast)
    programme_email_save(
        actor=cast.programme_manager,
        programme=programme,
        kind=EmailKind.MEETING_UPCOMING,
        subject="See {{ partner_name }} on {{ meeting_starts_short }}",
        body="{{ meeting_starts }} at {{ meeting_location }}, {{ meeting_minutes }} minutes.",
    )
    relationship = reminders.pair(programme=programme, mentor=cast.ana, mentee=cast.vp_sales)
    reminders.meeting(
        relationship,
        reminders.at(reminders.later(1), 14),
        status="scheduled",
        duration_minutes=45,
        location="Room 4",
    )
    reminders_send(today=TODAY)
    to_vera = next(
        m
        for m in smtp_server.messages
        if cast.vp_sales.email in m["To"] and m["X-Twofold-Reminder"] == "meeting_upcoming"
    )
    assert to_vera["Subject"] == f"See {cast.ana.name} on Wed 11 Mar, 14:00"
    assert "Wednesday 11 March 2026, 14:00 UTC at Room 4, 45 minutes." in body_of(to_vera)
    assert any(part.get_content_type() == "text/calendar" for part in to_vera.walk())


@pytest.mark.parametrize("kind", PAIR_KINDS)
def test_a_placeholder_the_reminder_does_not_have_is_refused_and_nothing_is_saved(cast: Cast, kind: str) -> None:
    programme = managed(cast)
    # The invitation's placeholders mean nothing in a pair's email, and a typo is caught as well.
    for wrong in ("{{ invited_by }}", "{{ partner }}", "{{ description }}"):
        assert "body" in wording_problems(kind, subject="Hello", body=f"About {wrong}")
        with pytest.raises(ProgrammeRuleBroken) as refusal:
            programme_email_save(
                actor=cast.programme_manager, programme=programme, kind=kind, subject="Hello", body=f"About {wrong}"
            )
        assert refusal.value.code == "invalid_email"
    assert not ProgrammeEmail.objects.exists()
    assert wording_problems(kind, subject=EMAILS[kind].subject, body=EMAILS[kind].body) == {}


@pytest.mark.parametrize("kind", PAIR_KINDS)
def test_each_reminder_previews_and_sends_a_test_to_the_manager(cast: Cast, kind: str, smtp_server) -> None:  # type: ignore[no-untyped-def]
    programme = managed(cast)
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:email", args=[programme.pk, kind])
    page = client.get(url).content.decode()
    assert "Sam Example" in page and "{{ partner_name }}" in page and "Reminders stop when" in page
    response = client.post(
        url, {"action": "test", "subject": "Test of {{ partner_name }}", "body": "Hello {{ first_name }}"}
    )
    assert response.status_code == 200
    [message] = smtp_server.messages
    assert (
        message["Subject"] == "[Test] Test of Sam Example" and message["To"].addresses[0].addr_spec == "pm@example.org"
    )
    assert not ProgrammeEmail.objects.exists() and not ReminderSent.objects.exists()
    listing = client.get(reverse("programmes:emails", args=[programme.pk])).content.decode()
    assert EmailKind(kind).label in listing


def test_someone_else_cannot_word_a_programmes_reminders(cast: Cast, smtp_server) -> None:  # type: ignore[no-untyped-def]
    programme = managed(cast)
    with pytest.raises(NotPermitted):
        programme_email_test(
            actor=cast.ana_user, programme=programme, kind=EmailKind.MEETING_DUE, subject="Hi", body="Hi"
        )
    assert smtp_server.messages == []
    response = signed_in(cast.outsider).post(
        reverse("programmes:email", args=[programme.pk, "meeting_due"]), {"action": "save", "subject": "x", "body": "y"}
    )
    assert response.status_code == 404 and not ProgrammeEmail.objects.exists()
