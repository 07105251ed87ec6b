"""Filling a programme: the invitation preview, invitation emails and their wording, adding people
directly (picked or from a file), and a programme made from another."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import EnrolmentFactory, PersonFactory, ProgrammeFactory
from tests.people.test_views import signed_in
from tests.relationships.conftest import smtp_server  # noqa: F401  (a fixture, used by name)
from twofold.accounts.permissions import NotPermitted
from twofold.people.tabular import FileRejected
from twofold.programmes.emails import (
    EMAILS,
    invitation_reminders_send,
    invitations_email,
    programme_email_save,
    programme_email_test,
    wording_problems,
)
from twofold.programmes.enrolment_services import enrolment_invite_by_filter, enrolments_add
from twofold.programmes.models import (
    EmailKind,
    Enrolment,
    EnrolmentEmailSent,
    EnrolmentStatus,
    Programme,
    ProgrammeEmail,
    ProgrammeState,
)
from twofold.programmes.pool_file import pool_file_read
from twofold.programmes.selectors import InviteFilter, invite_preview
from twofold.programmes.services import ProgrammeRuleBroken, programme_copy, programme_create

MENTOR, MENTEE = "mentor", "mentee"


@pytest.fixture
def programme(cast) -> Programme:  # type: ignore[no-untyped-def]
    programme = programme_create(actor=cast.programme_manager, name="Digital fluency", kind="reverse_mentoring")
    programme.state = ProgrammeState.ENROLLING
    programme.save()
    return programme


def snapshot() -> tuple[list[tuple], list[tuple], list[tuple]]:  # type: ignore[type-arg]
    return (
        list(Enrolment.objects.order_by("pk").values_list("pk", "person_id", "role", "status")),
        list(ProgrammeEmail.objects.order_by("pk").values_list("pk", "kind", "subject", "body")),
        list(Programme.objects.order_by("pk").values_list("pk", "name")),
    )


# --- the preview shows what the invitation does ---------------------------------------------------


def test_the_preview_leaves_out_exactly_whom_the_invitation_leaves_out(cast, programme) -> None:
    # Reverse mentoring: mentors at level 3 or below. Lena (5) is not eligible; Ben is invited already.
    PersonFactory(employee_id="J9", name="Jo New", level=1)
    EnrolmentFactory(programme=programme, person=cast.ben, role=MENTOR, status=EnrolmentStatus.INVITED)
    where = InviteFilter(max_level=5, departments=["Engineering", "Sales"])

    preview = invite_preview(programme, MENTOR, where)
    assert not Enrolment.objects.exclude(person=cast.ben).exists()  # the preview writes nothing
    excluded = {person.employee_id: (code, message) for person, code, message in preview.excluded}
    assert excluded["J2"][0] == "already_enrolled" and "already in this programme (invited)" in excluded["J2"][1]
    assert excluded["L1"] == ("not_eligible", "a mentor must be at level 3 or below (Lena Lead is at 5)")

    result = enrolment_invite_by_filter(actor=cast.programme_manager, programme=programme, role=MENTOR, where=where)
    assert sorted(e.person.employee_id for e in result.invited) == sorted(p.employee_id for p in preview.invited)
    assert {p.employee_id: reason for p, reason in result.not_eligible} == {
        employee_id: message for employee_id, (code, message) in excluded.items() if code == "not_eligible"
    }
    assert sorted(p.employee_id for p in result.already) == ["J2"]


def test_the_preview_page_pages_and_names_reasons_and_posting_invites(cast, programme) -> None:
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:invite", args=[programme.pk])
    page = client.get(url, {"role": MENTOR, "max_level": 5}).content.decode()
    assert "to invite as mentors" in page and "A mentor must be at level 3 or below (Lena Lead is at 5)" in page
    assert not Enrolment.objects.exists()
    partial = client.get(url, {"role": MENTOR, "max_level": 5}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "Lena Lead" in partial
    assert client.get(url, {"role": MENTOR, "min_level": 4, "max_level": 2}).status_code == 400
    response = client.post(url, {"role": MENTOR, "max_level": 5})
    assert response.status_code == 302
    assert set(Enrolment.objects.values_list("person__employee_id", flat=True)) == {"J1", "J2"}


def test_someone_else_cannot_invite_and_nothing_changes(cast, programme) -> None:
    before = snapshot()
    with pytest.raises(NotPermitted):
        enrolment_invite_by_filter(actor=cast.ana_user, programme=programme, role=MENTOR, where=InviteFilter())
    assert snapshot() == before


# --- the emails --------------------------------------------------------------------------------------


def test_an_invitation_reaches_a_real_smtp_server_with_both_parts_and_the_managers_address(
    cast,
    programme,
    smtp_server,  # noqa: F811
) -> None:
    result = enrolment_invite_by_filter(
        actor=cast.programme_manager, programme=programme, role=MENTOR, where=InviteFilter(departments=["Sales"])
    )
    [ben] = result.invited
    report = invitations_email(enrolment_ids=[ben.pk], base_url="http://twofold.test:8123")
    assert report.sent == [ben.pk]
    [message] = smtp_server.messages
    assert message["To"] == "Ben Junior <" + cast.ben.email + ">"
    assert message["Subject"] == "You are invited to Digital fluency"
    assert message["List-Unsubscribe"] == f"<http://twofold.test:8123/programmes/{programme.pk}/apply/>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"http://twofold.test:8123/programmes/{programme.pk}/apply/"
    assert "Hello Ben," in text and link in text and "127.0.0.1" not in text
    assert f'<a href="{link}">' in html
    assert "You get this email because" in text and "decline the invitation" in html
    # Once each: a second run sends nothing.
    assert invitations_email(enrolment_ids=[ben.pk]).sent == []
    assert len(smtp_server.messages) == 1


def test_the_invitation_is_reminded_once_shortly_before_enrolment_closes(cast, programme, mailoutbox) -> None:
    [ben] = enrolment_invite_by_filter(
        actor=cast.programme_manager, programme=programme, role=MENTOR, where=InviteFilter(departments=["Sales"])
    ).invited
    invitations_email(enrolment_ids=[ben.pk])
    today = timezone.localdate()
    programme.enrolment_closes_on = today + timedelta(days=10)
    programme.save()
    assert invitation_reminders_send(today=today).sent == []  # too early
    programme.enrolment_closes_on = today + timedelta(days=2)
    programme.save()
    assert invitation_reminders_send(today=today).sent == [ben.pk]
    assert invitation_reminders_send(today=today + timedelta(days=1)).sent == []  # once
    assert [m.subject for m in mailoutbox] == [
        "You are invited to Digital fluency",
        "Reminder: your invitation to Digital fluency",
    ]
    assert set(EnrolmentEmailSent.objects.values_list("kind", flat=True)) == {"invitation", "invitation_reminder"}


def test_the_wording_is_the_programmes_own_and_unknown_placeholders_are_refused(cast, programme, mailoutbox) -> None:
    problems = wording_problems(EmailKind.INVITATION, subject="Hi {{ frist_name }}", body="{{ link }} {{ oops")
    assert problems["subject"][0].startswith("Unknown placeholder {{ frist_name }}: use one of {{ first_name }}")
    assert "is not part of a placeholder" in problems["body"][0]
    before = snapshot()
    with pytest.raises(ProgrammeRuleBroken) as refused:
        programme_email_save(
            actor=cast.programme_manager, programme=programme, kind="invitation", subject="Hi {{ nme }}", body="x"
        )
    assert refused.value.field == "subject" and snapshot() == before
    with pytest.raises(NotPermitted):
        programme_email_save(actor=cast.ana_user, programme=programme, kind="invitation", subject="Hi", body="Hi")
    assert snapshot() == before

    programme_email_save(
        actor=cast.programme_manager,
        programme=programme,
        kind="invitation",
        subject="{{ first_name }}, join {{ programme_name }}",
        body="<b>{{ name }}</b> is asked by {{ invited_by }}: {{ link }}",
    )
    [ben] = enrolment_invite_by_filter(
        actor=cast.programme_manager, programme=programme, role=MENTOR, where=InviteFilter(departments=["Sales"])
    ).invited
    invitations_email(enrolment_ids=[ben.pk])
    [message] = mailoutbox
    assert message.subject == "Ben, join Digital fluency"
    html = message.alternatives[0][0]
    assert "&lt;b&gt;Ben Junior&lt;/b&gt;" in html  # the wording is text: nothing in it becomes markup
    assert "You get this email because" in message.body  # the footer stays


def test_send_me_a_test_goes_to_the_manager_and_the_page_previews(cast, programme, mailoutbox) -> None:
    cast.programme_manager.email = "pm@example.org"
    cast.programme_manager.save()
    address = programme_email_test(
        actor=cast.programme_manager,
        programme=programme,
        kind="invitation",
        subject=EMAILS["invitation"].subject,
        body=EMAILS["invitation"].body,
        base_url="http://localhost:9000",
    )
    assert address == "pm@example.org" and mailoutbox[0].subject == "[Test] You are invited to Digital fluency"
    assert f"http://localhost:9000/programmes/{programme.pk}/apply/" in mailoutbox[0].body

    client = signed_in(cast.programme_manager)
    url = reverse("programmes:email", args=[programme.pk, "invitation"])
    page = client.get(url).content.decode()
    assert "You are invited to Digital fluency" in page and "{{ first_name }}" in page
    response = client.post(url, {"action": "save", "subject": "Hi {{ whoever }}", "body": "Hello"})
    assert response.status_code == 400 and "Unknown placeholder {{ whoever }}" in response.content.decode()
    assert not ProgrammeEmail.objects.exists()
    response = client.post(url, {"action": "test", "subject": "Try {{ programme_name }}", "body": "Hello"})
    assert response.status_code == 200 and mailoutbox[-1].subject == "[Test] Try Digital fluency"
    assert mailoutbox[-1].to == ["pm@example.org"] and not ProgrammeEmail.objects.exists()


def test_inviting_from_the_page_emails_with_the_requests_host_and_port(
    cast, programme, settings, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.ALLOWED_HOSTS = ["twofold.example"]
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:invite", args=[programme.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"role": MENTOR, "departments": ["Sales"]}, headers={"Host": "twofold.example:8443"}
        )
    assert response.status_code == 302
    [message] = mailoutbox
    assert f"http://twofold.example:8443/programmes/{programme.pk}/apply/" in message.body


# --- adding people directly ------------------------------------------------------------------------


def test_adding_is_all_or_nothing_and_only_for_the_programmes_managers(cast, programme) -> None:
    before = snapshot()
    with pytest.raises(NotPermitted):
        enrolments_add(actor=cast.ana_user, programme=programme, entries=[(cast.ben, MENTOR)])
    assert snapshot() == before
    with pytest.raises(ProgrammeRuleBroken) as refused:
        enrolments_add(
            actor=cast.programme_manager, programme=programme, entries=[(cast.ben, MENTOR), (cast.lead_tech, MENTOR)]
        )
    assert refused.value.problems == ["a mentor must be at level 3 or below (Lena Lead is at 5)"]
    assert snapshot() == before
    added = enrolments_add(
        actor=cast.programme_manager, programme=programme, entries=[(cast.ben, MENTOR), (cast.vp_tech, MENTEE)]
    )
    assert [(e.person.employee_id, e.role, e.status) for e in added] == [
        ("J2", MENTOR, EnrolmentStatus.ACTIVE),
        ("V1", MENTEE, EnrolmentStatus.ACTIVE),
    ]


def test_a_pool_file_names_every_problem_by_row_and_column(cast, programme) -> None:
    EnrolmentFactory(programme=programme, person=cast.ana, role=MENTOR)
    data = "Employee ID,Role\nJ2,mentor\nL1,mentor\nJ2,mentee\nNOPE,mentor\nV1,boss\nJ1,mentor\n,protégé\n"
    with pytest.raises(FileRejected) as rejected:
        pool_file_read(programme, data.encode(), name="pool.csv")
    assert [str(problem) for problem in rejected.value.problems] == [
        "row 3, column 'Employee ID': a mentor must be at level 3 or below (Lena Lead is at 5)",
        "row 4, column 'Employee ID': J2 is listed already in row 2",
        "row 5, column 'Employee ID': no one in the directory has the employee id NOPE",
        "row 6, column 'Role': boss: the role is mentor, sponsor, mentee or protégé",
        "row 7, column 'Employee ID': Ana Junior is already in this programme (active)",
        "row 8, column 'Employee ID': empty: every row needs an employee id",
    ]
    with pytest.raises(FileRejected) as rejected:
        pool_file_read(programme, b"id,role\nJ2,mentor\n", name="pool.csv")
    assert "no 'employee_id' column" in str(rejected.value)


def test_a_pool_file_with_a_short_row_is_refused_by_its_row(cast, programme) -> None:
    with pytest.raises(FileRejected) as rejected:
        pool_file_read(programme, b"employee_id,role\nJ2,mentor\nV1\n", name="pool.csv")
    assert [(problem.row, problem.columns) for problem in rejected.value.problems] == [(3, ("role",))]


def test_a_pool_file_from_the_page_adds_everyone_or_nobody(cast, programme) -> None:
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:add_file", args=[programme.pk])
    bad = io.BytesIO(b"employee_id,role\nJ2,sponsor\nL1,mentor\n")
    bad.name = "pool.csv"
    response = client.post(url, {"file": bad})
    page = response.content.decode()
    assert response.status_code == 400 and "Row 3, column &#x27;employee_id&#x27;: a mentor must be at level 3" in page
    assert not Enrolment.objects.exists()

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["employee_id", "role"])
    sheet.append(["J2", "Sponsor"])
    sheet.append(["V1", "Protégé"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "pool.xlsx"
    assert client.post(url, {"file": upload}).status_code == 302
    assert set(Enrolment.objects.values_list("person__employee_id", "role")) == {("J2", MENTOR), ("V1", MENTEE)}


def test_search_and_pick_adds_through_the_page(cast, programme) -> None:
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:add", args=[programme.pk])
    page = client.get(url, {"q": "Junior"}).content.decode()
    assert "Ana Junior" in page and "Ben Junior" in page
    partial = client.get(url, {"q": "Lena"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "A mentee must be at level 6 or above" in partial
    response = client.post(url, {"person": [cast.ben.pk], f"role-{cast.ben.pk}": MENTOR})
    assert response.status_code == 302
    response = client.post(url, {"person": [cast.ben.pk, cast.ana.pk], f"role-{cast.ben.pk}": MENTOR})
    assert response.status_code == 400 and "Choose a role for Ana Junior" in response.content.decode()
    assert list(Enrolment.objects.values_list("person__employee_id", flat=True)) == ["J2"]


# --- a programme made from another ----------------------------------------------------------------


def test_a_programme_made_from_another_copies_its_settings_and_wording(cast, programme) -> None:
    programme.cadence_days, programme.capacity = 21, 2
    programme.save()
    programme_email_save(
        actor=cast.programme_manager, programme=programme, kind="invitation", subject="Own {{ name }}", body="Body"
    )
    ProgrammeFactory(name="Someone else's")
    before = snapshot()
    with pytest.raises(NotPermitted):
        programme_copy(actor=cast.ana_user, source=programme, name="Stolen")
    assert snapshot() == before
    copy = programme_copy(actor=cast.programme_manager, source=programme, name="Round two", starts_on=None)
    assert (copy.kind, copy.cadence_days, copy.capacity, copy.state) == (programme.kind, 21, 2, ProgrammeState.DRAFT)
    assert list(copy.emails.values_list("kind", "subject")) == [("invitation", "Own {{ name }}")]
    assert list(copy.managers.all()) == [cast.programme_manager] and not copy.enrolments.exists()

    page = signed_in(cast.programme_manager).get(reverse("programmes:copy", args=[programme.pk])).content.decode()
    assert "Digital fluency (copy)" in page and 'name="cadence_days" value="21"' in page
