"""A data-subject access request: ``twofold person-export ID`` and the org admins' page give the
same export, with everything held about the person and nothing that is someone else's."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.conftest import Cast
from tests.dataprotection.conftest import Story
from tests.people.test_views import signed_in
from twofold.audit import record
from twofold.audit.models import AuditEntry, Channel


def test_the_command_writes_everything_held_as_json_and_html(cast: Cast, story: Story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    record("relationship_end", actor=cast.admin, target=cast.ana)
    call_command("person_export", str(cast.ana.pk), "--out", str(tmp_path))
    data = json.loads((tmp_path / f"person-{cast.ana.pk}.json").read_text())
    assert data["person"]["name"] == "Ana Junior" and data["person"]["email"] == cast.ana.email
    assert data["self_identification"]["gender"] == "Woman"
    assert [skill["skill"] for skill in data["skills"]] == ["Prompt writing"]
    assert [e["programme"] for e in data["enrolments"]] == ["Digital fluency"]
    (relationship,) = data["relationships"]
    assert (relationship["role"], relationship["partner"], relationship["state"]) == ("mentor", "Vera Sales", "active")
    assert relationship["agreement"]["goals"] == "Ana teaches Vera prompt writing"
    assert [m["shared_note"] for m in relationship["meetings"]] == ["", "We covered prompts"]
    assert [note["text"] for note in data["private_notes"]] == ["Vera seemed distracted"]
    assert [c["comment"] for c in data["check_ins"]] == ["Going well"]
    assert [c["text"] for c in data["concerns_raised"]] == ["Vera cancels a lot"]
    assert [e["note"] for e in data["career_events"]] == ["Fast riser"]
    assert data["account"]["username"] == "ana"
    assert "relationship_end" in [entry["action"] for entry in data["audit_entries"]]
    # Someone else's private note is theirs alone.
    assert "Vera's secret" not in json.dumps(data)
    html = (tmp_path / f"person-{cast.ana.pk}.html").read_text()
    for text in ("Ana Junior", "Woman", "Vera seemed distracted", "Vera cancels a lot", "Going well", "Fast riser"):
        assert text in html
    assert "Vera&#x27;s secret" not in html and "Vera's secret" not in html


def test_the_export_is_audited_as_a_sensitive_read_from_the_command_line(cast: Cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    call_command("person_export", str(cast.ben.pk), "--out", str(tmp_path))
    (entry,) = AuditEntry.objects.filter(action="person.export")
    assert (entry.subject_person_id, entry.channel, entry.allowed) == (cast.ben.pk, Channel.COMMAND_LINE, True)


@pytest.mark.parametrize("argument", ["987654", "ana"])
def test_an_unknown_id_is_refused_clearly(db, argument: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match=r"no person with id|not a person's id"):
        call_command("person_export", argument, "--out", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_the_page_gives_org_admins_the_same_export(cast: Cast, story: Story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(cast.admin)
    found = client.get(reverse("dataprotection:requests"), {"person": cast.ana.employee_id})
    assert found.status_code == 200 and "Ana Junior" in found.content.decode()
    response = client.get(reverse("dataprotection:person_export_json", args=[cast.ana.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="person-{cast.ana.pk}.json"'
    from_page = json.loads(response.content)
    call_command("person_export", str(cast.ana.pk), "--out", str(tmp_path))
    from_command = json.loads((tmp_path / f"person-{cast.ana.pk}.json").read_text())
    for data in (from_page, from_command):
        data.pop("generated_at")
        data.pop("audit_entries")  # the second export sees the first one's entry
    assert from_page == from_command
    html = client.get(reverse("dataprotection:person_export_html", args=[cast.ana.pk]))
    assert "Vera seemed distracted" in html.content.decode()
    web = AuditEntry.objects.filter(action="person.export", channel=Channel.WEB)
    assert web.count() == 2 and set(web.values_list("actor_user_id", flat=True)) == {cast.admin.pk}


def test_nobody_else_gets_the_page_or_the_export(cast: Cast, story: Story) -> None:
    for user in (cast.programme_manager, cast.executive, cast.ana_user):
        client = signed_in(user)
        assert client.get(reverse("dataprotection:requests"), {"person": "J1"}).status_code == 403
        response = client.get(reverse("dataprotection:person_export_json", args=[cast.ana.pk]))
        assert response.status_code == 404
        assert b"Vera seemed distracted" not in response.content
    refused = AuditEntry.objects.filter(action="person.export", allowed=False)
    assert refused.count() == 3


def test_the_page_says_when_nobody_matches(cast: Cast) -> None:
    response = signed_in(cast.admin).get(reverse("dataprotection:requests"), {"person": "nobody@example.org"})
    assert response.status_code == 404
    assert "Nobody found" in response.content.decode()
