"""The org admins' audit log page and ``twofold audit-export``."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.people.test_views import signed_in
from twofold.audit.models import AuditEntry
from twofold.audit.recording import record


@pytest.fixture
def log(cast: Cast) -> list[AuditEntry]:
    now = timezone.now()
    made = []
    for days, action, target in [
        (40, "relationship_end", cast.ana),
        (10, "enrolment.approve", cast.ben),
        (1, "person.export", cast.ana),
    ]:
        entry = AuditEntry(
            at=now - timedelta(days=days),
            actor_kind="user",
            actor_user_id=cast.admin.pk,
            actor_name="admin",
            action=action,
            target_type="person",
            target_id=str(target.pk),
            target_label=str(target),
            subject_person_id=target.pk,
            channel="web",
        )
        entry.save()
        made.append(entry)
    return made


def test_only_org_admins_read_the_log(cast: Cast, log: list[AuditEntry]) -> None:
    for user in (cast.programme_manager, cast.executive, cast.ana_user):
        assert signed_in(user).get(reverse("audit:log")).status_code == 403
    assert not AuditEntry.objects.filter(action="audit.search").exists()
    page = signed_in(cast.admin).get(reverse("audit:log"))
    assert page.status_code == 200
    text = page.content.decode()
    # Newest first.
    assert text.index("person.export") < text.index("enrolment.approve") < text.index("relationship_end")


def test_the_log_filters_by_person_action_and_dates(cast: Cast, log: list[AuditEntry]) -> None:
    client = signed_in(cast.admin)

    def shown(**query: str) -> list[str]:
        response = client.get(reverse("audit:log"), query)
        assert response.status_code == 200
        return [entry.action for entry in response.context["page"].object_list if entry.action != "audit.search"]

    assert shown(person=str(cast.ana.pk)) == ["person.export", "relationship_end"]
    assert shown(action="approve") == ["enrolment.approve"]
    today = timezone.localdate()
    assert shown(since=str(today - timedelta(days=20)), until=str(today - timedelta(days=5))) == ["enrolment.approve"]
    assert shown(target_type="person", target_id=str(cast.ben.pk)) == ["enrolment.approve"]
    assert shown(allowed="no") == []


def test_bad_filters_are_a_400_saying_what_is_wrong(cast: Cast, log: list[AuditEntry]) -> None:
    response = signed_in(cast.admin).get(reverse("audit:log"), {"since": "last tuesday", "person": "ana"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "is not a date" in text and "is not a person" in text


def test_reading_the_log_is_recorded_once_per_search(cast: Cast, log: list[AuditEntry]) -> None:
    client = signed_in(cast.admin)
    client.get(reverse("audit:log"), {"action": "approve"})
    (entry,) = AuditEntry.objects.filter(action="audit.search")
    assert entry.detail == {"action": "approve"}


def test_the_log_is_paginated(cast: Cast) -> None:
    for number in range(120):
        record(f"bulk.{number:03d}", actor=cast.admin)
    page = signed_in(cast.admin).get(reverse("audit:log"), {"action": "bulk", "page": "3"})
    assert page.status_code == 200
    assert [e.action for e in page.context["page"].object_list] == [f"bulk.{n:03d}" for n in range(19, -1, -1)]


def test_audit_export_csv_neutralises_formulas_and_takes_a_date_range(
    cast: Cast, log: list[AuditEntry], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    record("people.import", actor='=HYPERLINK("http://evil")', target_label="+cmd|' /C calc'!A0")
    out = tmp_path / "audit.csv"
    call_command("audit_export", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["action"] for row in rows] == [
        "relationship_end",
        "enrolment.approve",
        "person.export",
        "people.import",
    ]
    assert rows[-1]["actor_name"].startswith("'=HYPERLINK")
    assert rows[-1]["target_label"].startswith("'+cmd")
    today = timezone.localdate()
    call_command(
        "audit_export",
        "--out",
        str(out),
        "--since",
        str(today - timedelta(days=20)),
        "--until",
        str(today - timedelta(days=5)),
    )
    assert [row["action"] for row in csv.DictReader(out.open(encoding="utf-8"))] == ["enrolment.approve"]
    exports = AuditEntry.objects.filter(action="audit.export")
    assert [entry.detail["entries"] for entry in exports.order_by("pk")] == [4, 1]


def test_audit_export_json_lines(cast: Cast, log: list[AuditEntry]) -> None:
    out = StringIO()
    call_command("audit_export", "--format", "jsonl", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["action"] for line in lines] == ["relationship_end", "enrolment.approve", "person.export"]
    assert lines[0]["subject_person_id"] == cast.ana.pk


def test_audit_export_refuses_bad_dates(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="not a date"):
        call_command("audit_export", "--since", "yesterday")
    with pytest.raises(CommandError, match="after --until"):
        call_command("audit_export", "--since", "2026-05-02", "--until", "2026-05-01")
