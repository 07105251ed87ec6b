"""``twofold person-erase ID``: pseudonymised, free text gone, aggregates unchanged, audited."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import PASSWORD, Cast
from tests.dataprotection.conftest import Story
from tests.factories import RelationshipFactory
from twofold.accounts.models import AccountSession, User
from twofold.audit.models import AuditEntry
from twofold.people.models import CareerEvent, Person, PersonSkill, SelfIdentification
from twofold.relationships.models import CheckIn, Concern, Meeting, PrivateNote, Relationship, RelationshipState


def snapshot(cast: Cast) -> dict[str, object]:
    """What aggregates are made of: it must not move when someone is erased."""
    return {
        "relationships": list(Relationship.objects.order_by("pk").values_list("state", "proposed_at", "started_at")),
        "meetings": list(Meeting.objects.order_by("pk").values_list("starts_at", "duration_minutes", "status")),
        "check_ins": list(
            CheckIn.objects.order_by("pk").values_list("satisfaction", "psychological_safety", "progress")
        ),
        "concerns": list(Concern.objects.order_by("pk").values_list("status", "relationship_id")),
        "career": list(CareerEvent.objects.order_by("pk").values_list("kind", "effective_date", "to_level")),
        "skills": list(PersonSkill.objects.order_by("pk").values_list("person_id", "skill_id", "proficiency")),
        "people": list(Person.objects.order_by("pk").values_list("pk", "level", "department", "location")),
    }


def test_dry_run_lists_what_would_change_and_changes_nothing(cast: Cast, story: Story) -> None:
    before = snapshot(cast)
    out = StringIO()
    call_command("person_erase", str(cast.ana.pk), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "dry run: nothing changed" in text
    for line in (
        "restricted attributes deleted: 1",
        "private notes deleted: 1",
        "check-in comments emptied: 1",
        "concerns emptied: 1",
        "accounts disabled and renamed: 1",
    ):
        assert line in text
    cast.ana.refresh_from_db()
    assert cast.ana.name == "Ana Junior" and cast.ana.active
    assert SelfIdentification.objects.filter(person=cast.ana).exists()
    assert snapshot(cast) == before
    (entry,) = AuditEntry.objects.filter(action="person.erase_preview")
    assert entry.subject_person_id == cast.ana.pk


def test_erasure_pseudonymises_and_removes_free_text_keeping_aggregates(cast: Cast, story: Story) -> None:
    others = RelationshipFactory(state=RelationshipState.ENDED_EARLY, end_reason="Ana Junior took over the team.")
    # Ana's active pair is closed as a leaver's would be; that is the only change aggregates see.
    call_command("person_erase", str(cast.ana.pk), stdout=StringIO())
    ana = Person.objects.get(pk=cast.ana.pk)
    assert (ana.name, ana.employee_id, ana.title, ana.active) == (
        f"Erased person {ana.pk}",
        f"erased-{ana.pk}",
        "",
        False,
    )
    assert ana.email.endswith("@erased.invalid")
    assert not SelfIdentification.objects.filter(person=ana).exists()
    assert not PrivateNote.objects.filter(author=ana).exists()
    assert PrivateNote.objects.filter(text="Vera's secret").exists()  # Vera's own note stays hers
    story.meeting.refresh_from_db()
    story.check_in.refresh_from_db()
    story.concern.refresh_from_db()
    assert story.meeting.shared_note == "" and story.check_in.comment == "" and story.concern.text == ""
    assert (story.check_in.satisfaction, story.check_in.progress) == (4, 3)
    assert Relationship.objects.get(pk=story.relationship.pk).agreement.goals == ""
    assert CareerEvent.objects.get(person=ana).note == ""
    assert Relationship.objects.get(pk=others.pk).end_reason == f"Erased person {ana.pk} took over the team."
    user = User.objects.get(pk=cast.ana_user.pk)
    assert not user.is_active and user.username.startswith("erased-") and not user.check_password(PASSWORD)
    assert not AccountSession.objects.filter(user=user).exists()
    relationship = Relationship.objects.get(pk=story.relationship.pk)
    assert (relationship.state, relationship.started_at) == (
        RelationshipState.ENDED_EARLY,
        story.relationship.started_at,
    )


def test_a_second_erasure_changes_no_aggregate(cast: Cast, story: Story) -> None:
    call_command("person_erase", str(cast.ana.pk), stdout=StringIO())
    after_first = snapshot(cast)
    call_command("person_erase", str(cast.ana.pk), stdout=StringIO())
    assert snapshot(cast) == after_first


def test_someone_who_has_left_keeps_their_relationships_shape(cast: Cast, story: Story) -> None:
    from tests.factories import OPERATOR
    from twofold.people.leavers import people_deactivate

    people_deactivate(person_ids=[cast.ana.pk], actor=OPERATOR)
    before = snapshot(cast)
    call_command("person_erase", str(cast.ana.pk), stdout=StringIO())
    after = snapshot(cast)
    assert after == before


def test_the_erasure_is_audited_without_the_erased_data(cast: Cast, story: Story) -> None:
    call_command("person_erase", str(cast.ana.pk), stdout=StringIO())
    (entry,) = AuditEntry.objects.filter(action="person.erase")
    assert (entry.subject_person_id, entry.target_label) == (cast.ana.pk, f"person {cast.ana.pk}")
    written = f"{entry.target_label} {entry.detail} {entry.actor_name}"
    for personal in ("Ana", "Junior", cast.ana.email, "J1", "Woman", "distracted"):
        assert personal not in written
    assert entry.detail["changes"]["private notes deleted"] == 1


def test_an_unknown_id_is_refused_with_a_clear_message(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="There is no person with id 424242; nothing was done"):
        call_command("person_erase", "424242")
    assert not AuditEntry.objects.filter(action="person.erase").exists()
