"""The import page: check a file, see every problem or what would change, then confirm."""

from __future__ import annotations

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.factories import grant
from tests.people.test_views import signed_in
from twofold.people.import_uploads import import_upload_discard, import_uploads_purge
from twofold.people.models import Person
from twofold.relationships.tasks import reminders_daily


def upload(client, text: str, name: str = "people.csv", **fields):  # type: ignore[no-untyped-def]
    data = {"file": SimpleUploadedFile(name, text.encode()), "preset": "generic", **fields}
    return client.post(reverse("people:import"), data)


@pytest.fixture
def importer(cast, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The cast's programme manager, granted the import permission; uploads go under ``tmp_path``."""
    settings.VAR_DIR = tmp_path
    return grant(cast.programme_manager, "people.import_people")


def test_import_page_reports_row_errors_and_writes_nothing(importer, tmp_path) -> None:
    client = signed_in(importer)
    response = upload(client, "employee_id,name,email,level,manager_id\nN1,Nia,nia@x.org,3,NOPE\nN2,,n2@x.org,x,\n")
    assert response.status_code == 400
    page = response.content.decode()
    assert "3 problems in people.csv" in page
    assert "unknown manager id &#x27;NOPE&#x27;" in page and "name is empty" in page
    assert not Person.objects.filter(employee_id__in=["N1", "N2"]).exists()
    assert not list((tmp_path / "imports").iterdir())


def test_import_page_preview_then_confirm(cast, importer, tmp_path) -> None:
    client = signed_in(importer)
    response = upload(
        client,
        "employee_id,name,email,level,manager_id\nN1,Nia New,nia@x.org,3,V1\nJ1,Ana Junior,j1@example.org,3,L1\n",
    )
    page = response.content.decode()
    assert response.status_code == 200 and "is good: here is what importing it would do" in page
    assert "J1: level" in page
    assert not Person.objects.filter(employee_id="N1").exists()
    response = client.post(reverse("people:import_confirm"))
    assert response.status_code == 302
    assert Person.objects.get(employee_id="N1").manager == cast.vp_tech
    assert Person.objects.get(employee_id="J1").level == 3
    follow = client.get(response["Location"]).content.decode()
    assert "Imported people.csv: 1 created, 1 updated, 0 deactivated." in follow
    # Confirming twice does nothing more: the checked file is gone.
    response = client.post(reverse("people:import_confirm"))
    assert response.status_code == 302 and response["Location"] == reverse("people:import")


# --- the checked file is kept no longer than needed ------------------------------------------------

CHANGE_ANA = "employee_id,name,email,level\nJ1,Ana Junior,j1@example.org,3\n"


def waiting_files(tmp_path) -> list[str]:  # type: ignore[no-untyped-def]
    folder = tmp_path / "imports"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def age(path, hours: float) -> None:  # type: ignore[no-untyped-def]
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_hole_2_the_checked_file_is_deleted_once_confirmed_or_replaced(importer, tmp_path) -> None:
    client = signed_in(importer)
    upload(client, CHANGE_ANA, name="first.csv")
    (first,) = waiting_files(tmp_path)
    upload(client, CHANGE_ANA, name="second.csv")
    (second,) = waiting_files(tmp_path)
    assert second != first
    assert client.post(reverse("people:import_confirm")).status_code == 302
    assert waiting_files(tmp_path) == []
    assert Person.objects.get(employee_id="J1").level == 3
    # A file that changes nothing is not kept either: there is nothing to confirm.
    page = upload(client, CHANGE_ANA).content.decode()
    assert "No changes" in page and waiting_files(tmp_path) == []


def test_hole_2_the_checked_file_is_deleted_when_cancelled(importer, tmp_path) -> None:
    client = signed_in(importer)
    page = upload(client, CHANGE_ANA).content.decode()
    assert 'formaction="/people/import/cancel/"' in page
    assert len(waiting_files(tmp_path)) == 1
    response = client.post(reverse("people:import_cancel"))
    assert response.status_code == 302 and waiting_files(tmp_path) == []
    assert (
        "Cancelled: people.csv was deleted and nothing was imported."
        in client.get(response["Location"]).content.decode()
    )
    assert client.post(reverse("people:import_confirm")).status_code == 302
    assert Person.objects.get(employee_id="J1").level == 2
    assert client.get(reverse("people:import_cancel")).status_code == 405


def test_hole_2_an_abandoned_file_cannot_be_confirmed_after_the_retention(importer, tmp_path, settings) -> None:
    settings.IMPORT_UPLOAD_RETENTION_HOURS = 2
    client = signed_in(importer)
    upload(client, CHANGE_ANA)
    (name,) = waiting_files(tmp_path)
    age(tmp_path / "imports" / name, hours=3)
    response = client.post(reverse("people:import_confirm"))
    assert response.status_code == 302 and response["Location"] == reverse("people:import")
    assert Person.objects.get(employee_id="J1").level == 2
    assert waiting_files(tmp_path) == []


def test_hole_2_the_daily_run_deletes_files_abandoned_longer_than_the_retention(
    cast, importer, tmp_path, settings, capsys
) -> None:
    settings.IMPORT_UPLOAD_RETENTION_HOURS = 24
    upload(signed_in(importer), CHANGE_ANA)
    upload(signed_in(cast.admin), CHANGE_ANA)
    old, fresh = waiting_files(tmp_path)
    age(tmp_path / "imports" / old, hours=25)
    age(tmp_path / "imports" / fresh, hours=23)
    result = reminders_daily.call()
    assert result["import_uploads_deleted"] == 1
    assert waiting_files(tmp_path) == [fresh]
    # The same daily work run from cron instead of the task worker.
    age(tmp_path / "imports" / fresh, hours=30)
    call_command("send_reminders")
    assert "Deleted 1 import file nobody confirmed in time." in capsys.readouterr().out
    assert waiting_files(tmp_path) == []
    # Nothing outside the folder is ever touched, and an empty or missing folder is fine.
    outside = tmp_path / "people.csv"
    outside.write_text(CHANGE_ANA)
    age(outside, hours=99)
    assert import_uploads_purge() == 0 and outside.exists()
    import_upload_discard(outside)
    assert outside.exists()
