"""The import page's column guide and template file: built from one list, valid as they are, and
true to the documentation."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from django.urls import reverse

from tests.factories import OPERATOR, grant
from tests.people.test_views import signed_in
from twofold.people.hris_presets import PERSON_FIELDS, RESTRICTED_FIELDS
from twofold.people.import_services import people_import_bytes
from twofold.people.import_template import COLUMN_GUIDE, template_csv
from twofold.people.models import Person

DOCS = Path(__file__).resolve().parents[2] / "docs" / "importing-people.md"


def test_the_template_imports_cleanly_as_it_is(db) -> None:
    """Downloaded and uploaded unchanged, the template's example row is a valid person."""
    for with_restricted in (False, True):
        data = template_csv(with_restricted=with_restricted).encode()
        result = people_import_bytes(data, name="template.csv", actor=OPERATOR, dry_run=True)
        assert len(result.created) == 2
    assert not Person.objects.exists()  # a dry run writes nothing


def test_the_template_download_leaves_restricted_columns_to_org_admins(cast) -> None:
    importer = grant(cast.programme_manager, "people.import_people")
    header = next(csv.reader(io.StringIO(signed_in(importer).get(reverse("people:import_template")).content.decode())))
    assert header[:4] == ["employee_id", "name", "email", "title"]
    assert not set(header) & set(RESTRICTED_FIELDS)
    response = signed_in(cast.admin).get(reverse("people:import_template"))
    assert response["Content-Disposition"] == 'attachment; filename="twofold-people-template.csv"'
    admin_header = next(csv.reader(io.StringIO(response.content.decode())))
    assert {"gender", "ethnicity", "birth_year", "disability"} <= set(admin_header)


def test_the_import_page_lists_every_column(cast) -> None:
    importer = grant(cast.programme_manager, "people.import_people")
    page = signed_in(importer).get(reverse("people:import")).content.decode()
    for column in COLUMN_GUIDE:
        assert f"<code>{column.name}</code>" in page
    assert reverse("people:import_template") in page


def test_the_documentation_names_every_importable_column() -> None:
    """docs/importing-people.md's field table and the guide on the page name the same columns."""
    documented = set(
        re.findall(r"`([a-z_]+)`", "\n".join(line for line in DOCS.read_text().splitlines() if line.startswith("| `")))
    )
    assert documented >= set(PERSON_FIELDS)
