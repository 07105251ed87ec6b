"""The audit log cannot be changed or emptied: not by the model, its queries, the admin or (on
PostgreSQL) SQL sent straight to the database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from tests.conftest import Cast
from tests.people.test_views import signed_in
from twofold.audit import record
from twofold.audit.models import AuditEntry, AuditLogIsAppendOnly


@pytest.fixture
def entry(cast: Cast) -> AuditEntry:
    return record("relationship_end", actor=cast.admin, target=cast.ana, detail={"reason": "test"})


def test_an_entry_cannot_be_saved_again_or_deleted(entry: AuditEntry) -> None:
    entry.action = "something_else"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.action == "relationship_end"


def test_queries_cannot_update_or_delete_entries(entry: AuditEntry) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action="rewritten")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "relationship_end"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize("sql", ["UPDATE audit_auditentry SET action = 'rewritten'", "DELETE FROM audit_auditentry"])
def test_postgresql_refuses_sql_that_changes_or_deletes_entries(entry: AuditEntry, sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).action == "relationship_end"


def test_the_admin_shows_entries_read_only_to_org_admins(cast: Cast, entry: AuditEntry) -> None:
    admin = signed_in(cast.admin)
    assert admin.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    page = admin.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert admin.post(reverse("admin:audit_auditentry_change", args=[entry.pk]), {"action": "x"}).status_code == 403
    assert admin.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    bulk = admin.post(
        reverse("admin:audit_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert AuditEntry.objects.get(pk=entry.pk).action == "relationship_end"


def test_nobody_else_sees_the_log_in_the_admin(cast: Cast, entry: AuditEntry) -> None:
    cast.programme_manager.is_staff = True
    cast.programme_manager.save()
    response = signed_in(cast.programme_manager).get(reverse("admin:audit_auditentry_changelist"))
    assert response.status_code == 403
