"""Who may import the directory, and the record every import leaves behind."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import grant
from tests.people.test_views import signed_in
from twofold.accounts.models import User
from twofold.people.import_services import ImportNotPermitted, people_import_file
from twofold.people.models import AppendOnlyError, ImportOutcome, ImportRecord, Person, SelfIdentification

# A one-row file that rewrites Ben's manager: the kind of org-wide write the permission guards.
REWRITE_BEN = "employee_id,name,email,level,manager_id\nJ2,Ben Junior,j2@example.org,2,V1\n"


def upload(client, text: str, name: str = "people.csv", **fields):  # type: ignore[no-untyped-def]
    data = {"file": SimpleUploadedFile(name, text.encode()), "preset": "generic", **fields}
    return client.post(reverse("people:import"), data)


def manager_of_ben() -> str:
    return Person.objects.select_related("manager").get(employee_id="J2").manager.employee_id  # type: ignore[union-attr]


def test_hole_2_programme_managers_no_longer_import_by_default(cast, settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    client = signed_in(cast.programme_manager)
    assert client.get(reverse("people:import")).status_code == 403
    assert upload(client, REWRITE_BEN).status_code == 403
    assert client.post(reverse("people:import_confirm")).status_code == 403
    assert "Import</a>" not in client.get(reverse("people:directory")).content.decode()
    path = tmp_path / "people.csv"
    path.write_text(REWRITE_BEN)
    with pytest.raises(ImportNotPermitted):
        people_import_file(path, actor=cast.programme_manager)
    assert manager_of_ben() == "V2"
    assert not (tmp_path / "imports").exists() or not list((tmp_path / "imports").iterdir())
    # Refused, but on the record.
    (record,) = ImportRecord.objects.all()
    assert (record.actor, record.outcome, record.rows) == (cast.programme_manager, ImportOutcome.REFUSED, 0)


@pytest.mark.parametrize("employee", [False, True], ids=["programme manager", "employee"])
def test_hole_2_the_import_permission_is_granted_to_a_user_or_through_a_group(
    cast, settings, tmp_path, employee
) -> None:
    settings.VAR_DIR = tmp_path
    user = cast.ana_user if employee else cast.programme_manager
    permission = Permission.objects.get(content_type__app_label="people", codename="import_people")
    stewards = Group.objects.create(name="HR data stewards")
    stewards.permissions.add(permission)
    user.groups.add(stewards)
    client = signed_in(user)
    assert client.get(reverse("people:import")).status_code == 200
    assert "Import</a>" in client.get(reverse("people:directory")).content.decode()
    user.groups.clear()
    assert signed_in(User.objects.get(pk=user.pk)).get(reverse("people:import")).status_code == 403
    user = grant(user, "people.import_people")
    assert signed_in(user).get(reverse("people:import")).status_code == 200


def test_hole_2_org_admins_import_without_a_grant_and_inactive_accounts_never(cast, tmp_path) -> None:
    assert signed_in(cast.admin).get(reverse("people:import")).status_code == 200
    path = tmp_path / "people.csv"
    path.write_text(REWRITE_BEN)
    granted = grant(cast.programme_manager, "people.import_people")
    granted.is_active = False
    granted.save()
    with pytest.raises(ImportNotPermitted):
        people_import_file(path, actor=granted)
    assert manager_of_ben() == "V2"
    people_import_file(path, actor=cast.admin)
    assert manager_of_ben() == "V1"


def test_hole_2_every_web_import_is_recorded_with_who_when_file_hash_mode_and_counts(cast, settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    importer = grant(cast.programme_manager, "people.import_people")
    client = signed_in(importer)
    text = REWRITE_BEN + "N1,Nia New,nia@x.org,3,V1\n"
    assert upload(client, text, name="hris.csv").status_code == 200
    assert client.post(reverse("people:import_confirm")).status_code == 302
    upload(client, "employee_id,name,email,level\nN2,,n2@x.org,x\n", name="broken.csv")
    checked, applied, rejected = ImportRecord.objects.order_by("pk")
    digest = hashlib.sha256(text.encode()).hexdigest()
    for record in (checked, applied):
        assert (record.actor, record.actor_name, record.kind) == (importer, "pm", "people")
        assert (record.file_name, record.file_sha256, record.file_size) == ("hris.csv", digest, len(text))
        assert (record.rows, record.created, record.updated, record.deactivated, record.errors) == (2, 1, 1, 0, 0)
        assert record.created_at is not None
    assert (checked.outcome, checked.dry_run, checked.mode) == (ImportOutcome.CHECKED, True, "partial, dry run")
    assert (applied.outcome, applied.dry_run, applied.mode) == (ImportOutcome.APPLIED, False, "partial, applied")
    assert (rejected.outcome, rejected.file_name, rejected.errors, rejected.created) == (
        ImportOutcome.REJECTED,
        "broken.csv",
        2,
        0,
    )


def test_hole_2_command_line_imports_are_recorded_too(cast, tmp_path, capsys) -> None:
    people = tmp_path / "people.csv"
    people.write_text(REWRITE_BEN)
    call_command("import_people", str(people), "--dry-run")
    call_command("import_people", str(people), "--preset", "generic")
    events = tmp_path / "events.csv"
    events.write_text("employee_id,kind,effective_date\nJ2,role_change,2025-06-01\n")
    call_command("import_events", str(events))
    broken = tmp_path / "broken.csv"
    broken.write_text("employee_id,kind,effective_date\nNOPE,exit,2025-01-01\n")
    with pytest.raises(CommandError):
        call_command("import_events", str(broken))
    records = list(ImportRecord.objects.order_by("pk"))
    assert [(r.kind, r.outcome, r.mode, r.file_name) for r in records] == [
        ("people", "checked", "partial, dry run", "people.csv"),
        ("people", "applied", "partial, applied", "people.csv"),
        ("career_events", "applied", "applied", "events.csv"),
        ("career_events", "rejected", "applied", "broken.csv"),
    ]
    assert all(r.actor is None and r.actor_name.startswith("command line (system user ") for r in records)
    assert records[1].updated == 1 and records[2].created == 1 and records[3].errors == 1
    assert records[1].file_sha256 == hashlib.sha256(REWRITE_BEN.encode()).hexdigest()


def test_hole_2_import_records_are_append_only_and_read_only_for_org_admins(cast, tmp_path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(REWRITE_BEN)
    call_command("import_people", str(people))
    record = ImportRecord.objects.get()
    record.rows = 99
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        ImportRecord.objects.update(rows=99)
    with pytest.raises(AppendOnlyError):
        ImportRecord.objects.all().delete()
    assert ImportRecord.objects.get().rows == 1

    admin = signed_in(cast.admin)
    changelist = reverse("admin:people_importrecord_changelist")
    change = reverse("admin:people_importrecord_change", args=[record.pk])
    assert "people.csv" in admin.get(changelist).content.decode()
    page = admin.get(change).content.decode()
    assert "people.csv" in page and 'name="_save"' not in page
    assert admin.get(reverse("admin:people_importrecord_add")).status_code == 403
    assert admin.get(reverse("admin:people_importrecord_delete", args=[record.pk])).status_code == 403
    assert admin.post(change, {"rows": 5}).status_code == 403
    # Staff with every model permission are still not org admins.
    staff = cast.programme_manager
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="people"))
    assert signed_in(staff).get(changelist).status_code == 403
    assert ImportRecord.objects.get().rows == 1

    # Deleting an account that imported keeps its records, with the name it had.
    people_import_file(people, actor=cast.admin, dry_run=True)
    cast.admin.delete()
    assert list(ImportRecord.objects.values_list("actor", "actor_name").order_by("pk"))[1] == (None, "admin")


def without_csrf_tokens(page: str) -> str:
    """The page without its CSRF tokens, which are masked afresh on every response."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", page)


ANA_ROW = "J1,Ana Junior,j1@example.org,2"


@pytest.mark.parametrize(
    ("column", "stored", "wrong"),
    [
        ("gender", {"gender": "Woman"}, "Man"),
        ("ethnicity", {"ethnicity": "Black British"}, "White British"),
        ("birth_year", {"birth_year": 1998}, "1997"),
        ("birth_date", {"birth_year": 1998}, "1997-03-01"),
        ("disability", {"disability": "Yes"}, "No"),
    ],
)
def test_hole_1_import_preview_does_not_leak_restricted_values(cast, settings, tmp_path, column, stored, wrong) -> None:
    settings.VAR_DIR = tmp_path
    SelfIdentification.objects.create(person=cast.ana, **stored)
    right = "1998-03-01" if column == "birth_date" else str(next(iter(stored.values())))
    manager = grant(cast.programme_manager, "people.import_people")
    client = signed_in(manager)
    responses = [
        upload(client, f"employee_id,name,email,level,{column}\n{ANA_ROW},{guess}\n", name="guess.csv")
        for guess in (right, wrong)
    ]
    assert [response.status_code for response in responses] == [403, 403]
    pages = [without_csrf_tokens(response.content.decode()) for response in responses]
    assert pages[0] == pages[1]
    assert f"‘{column}’" in pages[0] and "org admins only" in pages[0]
    assert "No changes" not in pages[0] and "would do" not in pages[0]
    assert not list((tmp_path / "imports").iterdir())
    assert client.post(reverse("people:import_confirm")).status_code == 302  # nothing waits to be confirmed
    assert SelfIdentification.objects.filter(person=cast.ana, **stored).count() == 1
    # The same through the service: the same refusal whatever the guess, before any comparison.
    messages = []
    for guess in (right, wrong):
        path = tmp_path / "guess.csv"
        path.write_text(f"employee_id,name,email,level,{column}\n{ANA_ROW},{guess}\n")
        with pytest.raises(ImportNotPermitted) as refused:
            people_import_file(path, actor=manager, dry_run=True)
        assert refused.value.columns == [column]
        messages.append(str(refused.value))
    assert messages[0] == messages[1]
    assert set(ImportRecord.objects.values_list("outcome", "rows")) == {(ImportOutcome.REFUSED, 0)}


def test_hole_1_org_admins_still_import_restricted_columns(cast, settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    SelfIdentification.objects.create(person=cast.ana, gender="Woman")
    client = signed_in(cast.admin)
    response = upload(client, f"employee_id,name,email,level,gender\n{ANA_ROW},Non-binary\n")
    page = response.content.decode()
    assert response.status_code == 200 and "would do" in page
    assert "<dt>Restricted attributes changed for</dt><dd>1 person</dd>" in page
    assert client.post(reverse("people:import_confirm")).status_code == 302
    assert SelfIdentification.objects.get(person=cast.ana).gender == "Non-binary"


def test_hole_1_the_high_potential_flag_is_imported_only_by_those_who_may_see_it(cast, settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    text = f"employee_id,name,email,level,high_potential\n{ANA_ROW},yes\n"
    employee = grant(cast.ben_user, "people.import_people")
    refused = upload(signed_in(employee), text)
    assert refused.status_code == 403 and "‘high_potential’" in refused.content.decode()
    manager = grant(cast.programme_manager, "people.import_people")
    allowed = upload(signed_in(manager), text)
    assert allowed.status_code == 200 and "No changes" in allowed.content.decode()


# --- "whole workforce": never by accident ---------------------------------------------------------

ONLY_ANA = f"employee_id,name,email,level\n{ANA_ROW}\n"
EVERYONE_BUT_BEN = (
    "employee_id,name,email,level\n"
    "C1,Cleo Chief,c1@example.org,10\nV1,Victor Tech,v1@example.org,8\nV2,Vera Sales,v2@example.org,8\n"
    f"L1,Lena Lead,l1@example.org,5\n{ANA_ROW}\n"
)


def active_ids() -> set[str]:
    return set(Person.objects.filter(active=True).values_list("employee_id", flat=True))


def test_hole_2_whole_workforce_on_a_one_row_file_is_refused_unless_forced_and_counted(cast, tmp_path) -> None:
    everyone = active_ids()
    path = tmp_path / "one-row.csv"
    path.write_text(ONLY_ANA)
    call_command("import_people", str(path), "--full", "--dry-run")
    for options in (
        [],
        ["--yes"],
        ["--confirm-deactivations", "5"],
        ["--allow-mass-deactivation"],
        ["--allow-mass-deactivation", "--confirm-deactivations", "4"],
    ):
        with pytest.raises(CommandError) as refused:
            call_command("import_people", str(path), "--full", *options)
        assert "would mark 5 of the 6 active people as having left" in str(refused.value)
        assert "Nothing was imported" in str(refused.value)
        assert active_ids() == everyone
    call_command("import_people", str(path), "--full", "--allow-mass-deactivation", "--confirm-deactivations", "5")
    assert active_ids() == {"J1"}
    outcomes = list(ImportRecord.objects.order_by("pk").values_list("outcome", "deactivated"))
    assert outcomes == [("checked", 5), *[("refused", 0)] * 5, ("applied", 5)]
    refusals = list(ImportRecord.objects.filter(outcome="refused").order_by("pk").values_list("detail", flat=True))
    assert "more than the 10% limit (0)" in refusals[0] and "was not confirmed" in refusals[3]


def test_hole_2_whole_workforce_within_the_limit_still_asks_for_the_number(
    cast, tmp_path, settings, monkeypatch, capsys
) -> None:
    settings.IMPORT_MAX_DEACTIVATION_PERCENT = 20  # 1 of 6 is within it
    path = tmp_path / "hris.csv"
    path.write_text(EVERYONE_BUT_BEN)
    call_command("import_people", str(path), "--full", "--dry-run")
    assert "That is 1 of the 6 active people; importing needs --confirm-deactivations 1" in capsys.readouterr().out
    with pytest.raises(CommandError, match="confirm with --confirm-deactivations 1 \\(or --yes in a scheduled job\\)"):
        call_command("import_people", str(path), "--full")
    # Asked at a terminal: anything but the number stops it.
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    with pytest.raises(CommandError):
        call_command("import_people", str(path), "--full")
    with pytest.raises(CommandError):
        call_command("import_people", str(path), "--full", "--no-input")
    assert "J2" in active_ids()
    monkeypatch.setattr("builtins.input", lambda prompt: "1")
    call_command("import_people", str(path), "--full")
    assert "This import would mark 1 of the 6 active people as having left: J2." in capsys.readouterr().out
    assert "J2" not in active_ids()
    # A scheduled job: --yes, within the limit.
    Person.objects.filter(employee_id="J2").update(active=True)
    call_command("import_people", str(path), "--full", "--yes", "--no-input")
    assert "J2" not in active_ids()


def test_hole_2_whole_workforce_on_the_web_needs_the_number_typed_and_the_limit_forced(
    cast, settings, tmp_path
) -> None:
    settings.VAR_DIR = tmp_path
    everyone = active_ids()
    client = signed_in(grant(cast.programme_manager, "people.import_people"))
    page = upload(client, ONLY_ANA, full="on").content.decode()
    assert "Importing marks 5 of the 6 active people as having left." in page
    assert "more than the 10% limit (0)" in page and 'name="allow_mass_deactivation"' in page
    for confirmation in ({}, {"deactivations": "4", "allow_mass_deactivation": "on"}, {"deactivations": "5"}):
        response = client.post(reverse("people:import_confirm"), confirmation)
        assert response.status_code == 400 and "Nothing was imported" in response.content.decode()
        assert active_ids() == everyone
        # The checked file is gone: confirming means checking it again.
        assert not list((tmp_path / "imports").iterdir())
        upload(client, ONLY_ANA, full="on")
    response = client.post(reverse("people:import_confirm"), {"deactivations": "5", "allow_mass_deactivation": "on"})
    assert response.status_code == 302
    assert active_ids() == {"J1"}
