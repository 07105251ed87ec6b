"""What is recorded, and how: the permission layer's decisions, sensitive reads on the real pages,
sign-ins, imports, the command line, and where a request came from."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Cast
from tests.factories import ProgrammeFactory
from tests.people.test_views import signed_in
from tests.relationships.pairing import pair_up
from twofold.accounts.permissions import CommandLineOperator, permission_decided
from twofold.audit.models import ActorKind, AuditEntry, Channel
from twofold.people.models import SelfIdentification
from twofold.relationships.models import Concern


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_every_decision_on_a_write_is_recorded_allowed_or_refused(cast: Cast) -> None:
    permission_decided.send(sender=None, actor=cast.ana_user, action="relationship_end", target=cast.ben, allowed=False)
    permission_decided.send(sender=None, actor=cast.admin, action="enrolment.approve", target=cast.ben, allowed=True)
    refused, allowed = entries("relationship_end") + entries("enrolment.approve")
    assert (refused.allowed, refused.actor_user_id, refused.actor_person_id) == (False, cast.ana_user.pk, cast.ana.pk)
    assert refused.actor_name == "Ana Junior (ana)"
    assert (refused.target_type, refused.target_id, refused.subject_person_id) == (
        "person",
        str(cast.ben.pk),
        cast.ben.pk,
    )
    assert refused.target_label == str(cast.ben)
    assert allowed.allowed is True
    assert refused.channel == Channel.COMMAND_LINE  # no request: the server's shell


def test_ordinary_reads_are_not_recorded_but_sensitive_ones_are(cast: Cast) -> None:
    for action in ("view_person", "programmes.list", "see_overview"):
        permission_decided.send(sender=None, actor=cast.ana_user, action=action, target=cast.ben, allowed=True)
    for action in ("view_self_identification", "list_concerns", "view_import", "read_export"):
        permission_decided.send(sender=None, actor=cast.admin, action=action, target=cast.ben, allowed=True)
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == [
        "list_concerns",
        "read_export",
        "view_import",
        "view_self_identification",
    ]


def test_an_org_admin_reading_someone_s_restricted_attributes_is_recorded_with_where_from(cast: Cast) -> None:
    SelfIdentification.objects.create(person=cast.ana, gender="Woman")
    client = signed_in(cast.admin)
    response = client.get(
        reverse("admin:people_selfidentification_change", args=[cast.ana.pk]),
        HTTP_USER_AGENT="Firefox/140",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert "Woman" in response.content.decode()
    (entry,) = entries("person.view_self_identification")
    assert (entry.actor_user_id, entry.subject_person_id, entry.channel) == (cast.admin.pk, cast.ana.pk, Channel.WEB)
    assert entry.user_agent == "Firefox/140"
    # X-Forwarded-For is not believed unless a setting says a proxy sets it.
    assert entry.ip_address == "127.0.0.1"
    # The person reading their own answers on their page is not someone else reading them.
    page = signed_in(cast.ana_user).get(reverse("people:person", args=[cast.ana.pk]))
    assert "Woman" in page.content.decode()
    assert len(entries("person.view_self_identification")) == 1


def test_behind_a_trusted_proxy_the_address_it_added_is_recorded(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUST_X_FORWARDED_FOR = True
    SelfIdentification.objects.create(person=cast.ana, gender="Woman")
    signed_in(cast.admin).get(
        reverse("admin:people_selfidentification_change", args=[cast.ana.pk]),
        HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.9",
    )
    (entry,) = entries("person.view_self_identification")
    assert entry.ip_address == "203.0.113.9"


def test_the_admin_s_restricted_attributes_page_is_a_recorded_read(cast: Cast) -> None:
    SelfIdentification.objects.create(person=cast.ben, ethnicity="Mixed")
    signed_in(cast.admin).get(reverse("admin:people_selfidentification_change", args=[cast.ben.pk]))
    (entry,) = entries("person.view_self_identification")
    assert entry.subject_person_id == cast.ben.pk


def test_reading_concerns_records_which_were_shown(cast: Cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    relationship = pair_up(programme, cast.ana, cast.vp_sales)
    concern = Concern.objects.create(relationship=relationship, raised_by=cast.ana, text="Meetings keep moving")
    signed_in(cast.programme_manager).get(reverse("relationships:concerns"))
    (entry,) = entries("concerns.view")
    assert entry.detail == {"concerns": [concern.pk]}
    assert entry.actor_user_id == cast.programme_manager.pk


def test_refusals_in_a_request_are_recorded_after_it(cast: Cast) -> None:
    response = signed_in(cast.ana_user).get(reverse("dataprotection:person_export_json", args=[cast.ben.pk]))
    assert response.status_code == 404
    (entry,) = entries("person.export")
    assert (entry.allowed, entry.actor_user_id, entry.channel) == (False, cast.ana_user.pk, Channel.WEB)


def test_sign_ins_and_failed_sign_ins_are_recorded(cast: Cast) -> None:
    client = Client()
    client.post(reverse("login"), {"username": "ana", "password": "wrong"})
    client.post(reverse("login"), {"username": "ana", "password": PASSWORD})
    failed, succeeded = entries("account.sign_in")
    assert (failed.allowed, failed.target_label, failed.actor_kind) == (False, "ana", ActorKind.ANONYMOUS)
    assert (succeeded.allowed, succeeded.actor_user_id) == (True, cast.ana_user.pk)
    assert "wrong" not in str(failed.detail)


def test_changes_in_the_django_admin_are_recorded(cast: Cast) -> None:
    client = signed_in(cast.admin)
    client.post(
        reverse("admin:people_skill_add"), {"name": "Prompt engineering", "category": "digital", "description": ""}
    )
    (entry,) = entries("admin.add")
    assert (entry.target_type, entry.target_label, entry.actor_user_id) == (
        "skill",
        "Prompt engineering",
        cast.admin.pk,
    )


def test_commands_are_recorded_as_the_command_line_with_the_system_user(cast: Cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    call_command("export_people", str(tmp_path / "people.csv"), "--include-restricted")
    (entry,) = entries("people.export_restricted")
    assert entry.actor_kind == ActorKind.COMMAND_LINE
    assert entry.channel == Channel.COMMAND_LINE
    assert entry.actor_name == f"command line (system user {CommandLineOperator().os_user})"
    assert entry.detail == {"people": 6, "restricted": True}


@pytest.mark.parametrize("dry_run", [True, False])
def test_imports_and_their_previews_are_recorded(cast: Cast, tmp_path, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.csv"
    path.write_text("employee_id,name,email,level\nN1,New Person,new@example.org,3\n")
    call_command("import_people", str(path), *(["--dry-run"] if dry_run else []))
    action = "people.import_preview" if dry_run else "people.import"
    # The permission layer's decision, and the import's outcome with its counts and the file's hash.
    decisions = [e for e in entries(action) if e.target_type != "importrecord"]
    assert all(e.allowed for e in decisions)
    (entry,) = [e for e in entries(action) if e.target_type == "importrecord"]
    assert entry.detail["rows"] == 1 and entry.detail["created"] == 1
    assert len(entry.detail["file_sha256"]) == 64


def test_a_refusal_at_the_command_line_outlives_the_transaction_it_happened_in(cast: Cast) -> None:
    from django.db import transaction

    from twofold.audit.context import command_line_context

    with command_line_context():
        try:
            with transaction.atomic():
                permission_decided.send(
                    sender=None, actor=cast.ben_user, action="relationship_end", target=cast.ana, allowed=False
                )
                raise RuntimeError("the refusal's error rolls the transaction back")
        except RuntimeError:
            pass
        assert not AuditEntry.objects.filter(action="relationship_end").exists()  # written when the command ends
    (entry,) = entries("relationship_end")
    assert (entry.allowed, entry.actor_user_id, entry.channel) == (False, cast.ben_user.pk, Channel.COMMAND_LINE)


def test_a_decision_about_many_rows_names_their_kind_without_reading_them(
    cast: Cast, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from twofold.people.models import Person

    with django_assert_max_num_queries(1):  # the entry's insert; the queryset is never run
        permission_decided.send(
            sender=None, actor=cast.ana_user, action="people.deactivate", target=Person.objects.all(), allowed=False
        )
    (entry,) = entries("people.deactivate")
    assert (entry.target_type, entry.target_label) == ("person", "several")


def test_the_actors_name_alone_is_read_once_for_all_its_entries(cast: Cast) -> None:
    """Naming the actor reads its person's name, not the whole person (restricted columns included),
    and once however many entries the account's request writes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twofold.accounts.models import User

    actor = User.objects.get(pk=cast.ana_user.pk)
    with CaptureQueriesContext(connection) as queries:
        for action in ("list_concerns", "read_export"):
            permission_decided.send(sender=None, actor=actor, action=action, target=cast.ben, allowed=True)
    person_reads = [query["sql"] for query in queries if 'FROM "people_person"' in query["sql"]]
    assert len(person_reads) == 1
    assert person_reads[0].split(" FROM ")[0] == 'SELECT "people_person"."name" AS "name"'  # that column only
    assert [entry.actor_name for entry in entries("list_concerns") + entries("read_export")] == ["Ana Junior (ana)"] * 2

    holding = User.objects.select_related("person").get(pk=cast.ana_user.pk)  # its person read already
    with CaptureQueriesContext(connection) as queries:
        permission_decided.send(sender=None, actor=holding, action="list_concerns", target=cast.ben, allowed=True)
    assert [query["sql"] for query in queries if 'FROM "people_person"' in query["sql"]] == []
    assert entries("list_concerns")[-1].actor_name == "Ana Junior (ana)"
