"""The email of a new proposal: sent by the worker once the proposal is committed, to each person of
it (to the partner only, when a mentee requested them), in the programme's wording, once per
person and proposal however often the task runs or dies — through a real SMTP server."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import OPERATOR, ProgrammeFactory, acting
from tests.matchruns.test_match_runs import matching_programme
from tests.people.test_views import signed_in
from tests.relationships.pairing import MENTEE, MENTOR, enrol
from twofold.accounts.permissions import NotPermitted
from twofold.matchruns.choice import partner_request
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.services import match_run_start
from twofold.programmes.emails import programme_email_save
from twofold.programmes.models import Acceptance, EmailKind, Enrolment, MatchingMode, ProgrammeState
from twofold.relationships.models import Relationship, ReminderSent
from twofold.relationships.reminders.proposals import proposal_emails_send
from twofold.relationships.tasks import proposal_emails_task, reminders_daily

SITE = "https://twofold.example.org"


@pytest.fixture(autouse=True)
def _worker(settings) -> None:  # type: ignore[no-untyped-def]
    # The worker's task runs as soon as it is queued, i.e. when the transaction commits.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = SITE


def body_of(message, kind: str = "plain") -> str:  # type: ignore[no-untyped-def]
    return str(message.get_body(preferencelist=(kind,)).get_content())


def recipients(inbox) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(message["To"].addresses[0].addr_spec for message in inbox.messages)


def published(cast: Cast, django_capture_on_commit_callbacks, **settings: object) -> list[Relationship]:  # type: ignore[no-untyped-def]
    programme = matching_programme(cast, **settings)
    programme_email_save(
        actor=OPERATOR,
        programme=programme,
        kind=EmailKind.PROPOSAL_MADE,
        subject="{{ first_name }}, meet {{ partner_name }}",
        body="Dear {{ name }},\n\nYour {{ partner_role }} is <b>{{ partner_name }}</b>. {{ next_step }}\n\n{{ link }}",
    )
    run = match_run_start(actor=OPERATOR, programme=programme)
    with django_capture_on_commit_callbacks(execute=True):
        result = match_run_publish(actor=OPERATOR, run=run)
    assert result.proposed == 2
    return list(Relationship.objects.filter(programme=programme).order_by("pk"))


def test_a_publication_of_n_proposals_emails_both_people_of_each_in_the_edited_wording(
    cast: Cast, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    pairs = published(cast, django_capture_on_commit_callbacks)
    people = sorted(person.email for pair in pairs for person in (pair.mentor, pair.mentee))
    assert len(smtp_server.messages) == 2 * len(pairs) and recipients(smtp_server) == people
    ana_pair = next(pair for pair in pairs if pair.mentor == cast.ana)
    to_ana = next(m for m in smtp_server.messages if cast.ana.email in m["To"])
    assert to_ana["Subject"] == f"{cast.ana.name.split()[0]}, meet {ana_pair.mentee.name}"
    assert to_ana["X-Twofold-Email"] == "proposal_made"
    text, html = body_of(to_ana), body_of(to_ana, "html")
    link = f"{SITE}/relationships/{ana_pair.pk}/"
    assert f"Dear {cast.ana.name}," in text and "Please accept or decline the proposal by" in text and link in text
    # The manager's markup is shown as text; the footer they cannot remove stays under the wording.
    assert "&lt;b&gt;" in html and "<b>" not in html and f'href="{link}"' in html
    assert "It was sent once, automatically, when the proposal was made" in text
    assert to_ana["List-Unsubscribe"] == f"<{link}>"
    # Each email is recorded as sent (confirmed, not merely claimed).
    assert ReminderSent.objects.filter(kind="proposal_made", pending=False).count() == 4


def test_a_retried_task_sends_nothing_twice_and_finishes_what_a_dead_worker_left(
    cast: Cast, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.down_after = 1  # the server goes away after the first email
    pairs = published(cast, django_capture_on_commit_callbacks)
    ids = [pair.pk for pair in pairs]
    assert len(smtp_server.messages) == 1
    assert ReminderSent.objects.filter(kind="proposal_made").count() == 1  # the failures were released
    smtp_server.down_after = None
    # A worker killed after claiming one email and before the server answered: its claim is released.
    dead = next(m for m in [p.mentee for p in pairs] if m.email not in recipients(smtp_server))
    dead_pair = next(p for p in pairs if p.mentee == dead)
    ReminderSent.objects.create(
        kind="proposal_made",
        key=f"relationship:{dead_pair.pk}:proposed",
        recipient=dead.email,
        sent_on=dead_pair.proposed_at.date(),
        pending=True,
        claimed_by=f"{socket.gethostname()}:999999999",
    )
    outcome = proposal_emails_task.call(ids)
    assert outcome == {"sent": 3, "failed": 0, "already_sent": 1}
    assert len(smtp_server.messages) == 4
    assert recipients(smtp_server) == sorted(p.email for pair in pairs for p in (pair.mentor, pair.mentee))
    # Run again, and again as a republication queues it: nobody gets a second email.
    assert proposal_emails_task.call(ids)["sent"] == 0
    run = pairs[0].programme.match_runs.get()
    with django_capture_on_commit_callbacks(execute=True):
        match_run_publish(actor=OPERATOR, run=run)
    assert len(smtp_server.messages) == 4
    assert not ReminderSent.objects.filter(pending=True).exists()


def test_a_claim_another_live_run_holds_is_left_to_it(
    cast: Cast, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.down_after = 0
    pairs = published(cast, django_capture_on_commit_callbacks)
    smtp_server.down_after = None
    pair = pairs[0]
    ReminderSent.objects.create(
        kind="proposal_made",
        key=f"relationship:{pair.pk}:proposed",
        recipient=pair.mentor.email,
        sent_on=pair.proposed_at.date(),
        pending=True,
        claimed_by=f"{socket.gethostname()}:{__import__('os').getpid()}",  # this very process: alive
    )
    report = proposal_emails_send(relationship_ids=[p.pk for p in pairs])
    assert len(report.sent) == 3 and report.already_sent == 1
    assert pair.mentor.email not in recipients(smtp_server)


def test_a_refused_publication_emails_nobody(cast: Cast, smtp_server, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    programme = matching_programme(cast)
    run = match_run_start(actor=OPERATOR, programme=programme)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotPermitted):
        match_run_publish(actor=cast.ana_user, run=run)
    assert smtp_server.messages == [] and not Relationship.objects.exists() and not ReminderSent.objects.exists()


def test_one_sided_acceptance_tells_the_mentor_there_is_nothing_to_answer(
    cast: Cast, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    published(cast, django_capture_on_commit_callbacks, acceptance=Acceptance.ONE_SIDED)
    to_ana = next(m for m in smtp_server.messages if cast.ana.email in m["To"])
    assert "There is nothing for you to answer" in body_of(to_ana)
    to_mentee = next(m for m in smtp_server.messages if cast.vp_sales.email in m["To"] or cast.vp_tech.email in m["To"])
    assert "Please accept or decline the proposal" in body_of(to_mentee)


def test_a_request_emails_only_the_partner_asked(cast: Cast, smtp_server, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, matching_mode=MatchingMode.PARTICIPANT_CHOICE)
    enrol(programme, cast.ana, MENTOR)
    enrol(programme, cast.vp_sales, MENTEE)
    programme_email_save(
        actor=OPERATOR,
        programme=programme,
        kind=EmailKind.PARTNER_REQUESTED,
        subject="{{ partner_name }} would like you as {{ own_role }}",
        body="Hello {{ first_name }}, answer by {{ answer_by }}: {{ link }}",
    )
    mine = Enrolment.objects.get(programme=programme, person=cast.vp_sales)
    partner = Enrolment.objects.get(programme=programme, person=cast.ana)
    with django_capture_on_commit_callbacks(execute=True):
        relationship = partner_request(actor=acting(cast.vp_sales), enrolment=mine, partner=partner)
    [message] = smtp_server.messages
    assert message["To"].addresses[0].addr_spec == cast.ana.email
    assert message["Subject"] == f"{cast.vp_sales.name} would like you as {programme.mentor_label}"
    assert message["X-Twofold-Email"] == "partner_requested"
    assert f"{SITE}/relationships/{relationship.pk}/" in body_of(message)


def test_a_manager_pick_emails_both_and_the_wording_page_previews_it(
    cast: Cast, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from twofold.relationships.services import relationship_pick_partner

    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, managers=[cast.programme_manager])
    enrol(programme, cast.ana, MENTOR)
    enrol(programme, cast.vp_sales, MENTEE)
    with django_capture_on_commit_callbacks(execute=True):
        relationship_pick_partner(
            programme_enrolment=Enrolment.objects.get(programme=programme, person=cast.vp_sales),
            partner_enrolment=Enrolment.objects.get(programme=programme, person=cast.ana),
            actor=cast.programme_manager,
        )
    assert recipients(smtp_server) == sorted([cast.ana.email, cast.vp_sales.email])
    client = signed_in(cast.programme_manager)
    for kind in (EmailKind.PROPOSAL_MADE, EmailKind.PARTNER_REQUESTED):
        page = client.get(reverse("programmes:email", args=[programme.pk, kind])).content.decode()
        assert "Sam Example" in page and "{{ answer_by }}" in page and "when the proposal was made" in page
    listing = client.get(reverse("programmes:emails", args=[programme.pk])).content.decode()
    assert "New proposal" in listing and "Partner requested" in listing


@pytest.mark.parametrize("kind", [EmailKind.PROPOSAL_MADE, EmailKind.PARTNER_REQUESTED])
def test_the_manager_sends_a_test_of_each_proposal_email_to_themselves(cast: Cast, kind: str, smtp_server) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, managers=[cast.programme_manager])
    cast.programme_manager.email = "pm@example.org"
    cast.programme_manager.save()
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:email", args=[programme.pk, kind])
    response = client.post(url, {"action": "test", "subject": "Meet {{ partner_name }}", "body": "By {{ answer_by }}"})
    assert response.status_code == 200
    [message] = smtp_server.messages
    assert message["Subject"] == "[Test] Meet Sam Example" and message["To"].addresses[0].addr_spec == "pm@example.org"
    assert "By Tuesday 17 March 2026" in body_of(message) and "when the proposal was made" in body_of(message)
    # A placeholder the email does not have is refused, and nothing is saved or sent.
    refused = client.post(url, {"action": "save", "subject": "Hi", "body": "{{ invited_by }}"})
    assert refused.status_code == 400 and len(smtp_server.messages) == 1
    assert not programme.emails.exists()


def test_an_email_the_server_refused_is_sent_by_the_next_daily_run_once(
    cast: Cast, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.down_after = 0  # the server refuses everything while the proposals are published
    pairs = published(cast, django_capture_on_commit_callbacks)
    assert smtp_server.messages == [] and not ReminderSent.objects.exists()
    smtp_server.down_after = None
    outcome = reminders_daily.call()
    assert outcome["sent"]["proposal_made"] == 4 and outcome["failed"] == 0
    assert recipients(smtp_server) == sorted(p.email for pair in pairs for p in (pair.mentor, pair.mentee))
    reminders_daily.call()
    assert len(smtp_server.messages) == 4  # the next day's run sends none of them again
