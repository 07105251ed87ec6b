"""The import page: check a file, see every problem or what would change, then confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.factories import grant
from twofold.people.models import Person


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


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
