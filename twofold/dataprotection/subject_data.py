"""Everything Twofold holds about one person, for a data-subject access request.

One implementation for the command line (``twofold person-export``) and the org admins' page: a
dictionary of plain JSON values, written as JSON and as a readable HTML page. Another person's
private notes, check-in answers and concerns are not theirs and are not included; what the pair
share (meetings, agreement, knowledge moved, advocacy) is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q
from django.template.loader import render_to_string
from django.utils import timezone

from twofold.accounts import permissions
from twofold.accounts.models import User
from twofold.audit import record
from twofold.audit.selectors import audit_entries_about
from twofold.dataprotection.permissions import REFUSAL
from twofold.people.models import CareerEvent, Person, PersonSkill, SelfIdentification
from twofold.programmes.models import Enrolment
from twofold.relationships.models import (
    CheckIn,
    Concern,
    Nomination,
    PrivateNote,
    Relationship,
)


def _row(instance: Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def _person(person: Person) -> dict[str, Any]:
    return {
        **_row(
            person,
            ["id", "employee_id", "name", "email", "title", "level", "department", "location", "hire_date"],
        ),
        "manager": str(person.manager) if person.manager_id else None,
        "high_potential": person.high_potential,
        "active": person.active,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


def _self_identification(person: Person) -> dict[str, Any] | None:
    found = SelfIdentification.objects.filter(person=person).first()
    if found is None:
        return None
    return _row(
        found, ["gender", "ethnicity", "birth_year", "disability", "consented_at", "withdrawn_at", "updated_at"]
    )


def _account(person: Person) -> dict[str, Any] | None:
    user = User.objects.filter(person=person).first()
    if user is None:
        return None
    return {
        **_row(user, ["username", "email", "first_name", "last_name", "is_active", "date_joined", "last_login"]),
        "roles": user.role_names,
    }


def _relationship(relationship: Relationship, person: Person) -> dict[str, Any]:
    role = "mentor" if relationship.mentor_id == person.pk else "mentee"
    partner = relationship.mentee if role == "mentor" else relationship.mentor
    agreement = getattr(relationship, "agreement", None)
    meetings = list(relationship.meetings.all())
    return {
        "id": relationship.pk,
        "programme": relationship.programme.name,
        "role": role,
        "partner": partner.name,
        "state": relationship.state,
        "proposed_at": relationship.proposed_at,
        "started_at": relationship.started_at,
        "ended_at": relationship.ended_at,
        "end_reason": relationship.end_reason,
        "your_answer": relationship.mentor_answer if role == "mentor" else relationship.mentee_answer,
        "agreement": None
        if agreement is None
        else _row(agreement, ["goals", "cadence_days", "mentor_accepted_at", "mentee_accepted_at"]),
        "meetings": [
            {
                **_row(meeting, ["starts_at", "duration_minutes", "status", "location", "shared_note"]),
                "recorded_by_you": meeting.created_by_id == person.pk,
            }
            for meeting in meetings
        ],
        "knowledge_transfers": [
            {
                "skill": item.skill.name,
                **_row(item, ["direction", "proficiency_before", "proficiency_after", "note", "recorded_on"]),
            }
            for item in relationship.knowledge_transfers.all()
        ],
        "advocacy": [
            _row(item, ["kind", "happened_on", "description", "outcome", "outcome_note"])
            for item in relationship.advocacy_actions.all()
        ],
    }


def person_data(person: Person) -> dict[str, Any]:
    """Everything held about ``person``, as JSON-ready values (dates are ``datetime``/``date``)."""
    relationships = (
        Relationship.objects.filter(Q(mentor=person) | Q(mentee=person))
        .select_related("programme", "mentor", "mentee", "agreement")
        .prefetch_related("meetings", "knowledge_transfers__skill", "advocacy_actions")
        .order_by("proposed_at", "pk")
    )
    return {
        "generated_at": timezone.now(),
        "person": _person(person),
        "self_identification": _self_identification(person),
        "skills": [
            {"skill": item.skill.name, **_row(item, ["proficiency", "can_teach", "wants_to_learn"])}
            for item in PersonSkill.objects.filter(person=person).select_related("skill").order_by("skill__name")
        ],
        "enrolments": [
            {
                "programme": item.programme.name,
                "nominated_by": item.nominated_by.name if item.nominated_by else None,
                **_row(item, ["role", "status", "status_reason", "goals", "aspiration", "created_at", "updated_at"]),
            }
            for item in Enrolment.objects.filter(person=person)
            .select_related("programme", "nominated_by")
            .order_by("created_at", "pk")
        ],
        "nominations_received": [
            {
                "programme": item.programme.name,
                "nominator": item.nominator.name,
                **_row(item, ["statement", "created_at"]),
            }
            for item in Nomination.objects.filter(nominee=person).select_related("programme", "nominator")
        ],
        "nominations_made": [
            {"programme": item.programme.name, "nominee": item.nominee.name, **_row(item, ["statement", "created_at"])}
            for item in Nomination.objects.filter(nominator=person).select_related("programme", "nominee")
        ],
        "relationships": [_relationship(item, person) for item in relationships],
        "private_notes": [
            {
                "meeting_at": note.meeting.starts_at,
                "relationship": note.meeting.relationship_id,
                **_row(note, ["text", "updated_at"]),
            }
            for note in PrivateNote.objects.filter(author=person)
            .select_related("meeting")
            .order_by("meeting__starts_at")
        ],
        "check_ins": [
            {
                "relationship": item.relationship_id,
                **_row(
                    item,
                    [
                        "point",
                        "satisfaction",
                        "psychological_safety",
                        "progress",
                        "comment",
                        "would_recommend",
                        "submitted_at",
                    ],
                ),
            }
            for item in CheckIn.objects.filter(person=person).order_by("submitted_at", "pk")
        ],
        "concerns_raised": [
            {
                "relationship": item.relationship_id,
                **_row(item, ["text", "status", "resolution", "created_at", "updated_at"]),
            }
            for item in Concern.objects.filter(raised_by=person).order_by("created_at", "pk")
        ],
        "career_events": [
            _row(item, ["kind", "effective_date", "from_level", "to_level", "from_title", "to_title", "note"])
            for item in CareerEvent.objects.filter(person=person).order_by("effective_date", "pk")
        ],
        "account": _account(person),
        "audit_entries": [
            {
                "at": entry.at,
                "who": entry.actor_name,
                "action": entry.action,
                "allowed": entry.allowed,
                "target": " ".join(part for part in (entry.target_type, entry.target_id) if part),
                "target_label": entry.target_label,
                "channel": entry.channel,
                "ip_address": entry.ip_address,
            }
            for entry in audit_entries_about(person.pk)
        ],
    }


@dataclass(frozen=True)
class PersonExport:
    person_id: int
    json_text: str
    html_text: str

    @property
    def file_stem(self) -> str:
        return f"person-{self.person_id}"


def person_export(*, actor: Any, person: Person) -> PersonExport:
    """Everything held about ``person`` as JSON and HTML, for an org admin or the command line.

    Audited as a sensitive read (``person.export``), refusals included.
    """
    if not permissions.allowed(actor, "person.export", person):
        record("person.export", actor=actor, target=person, allowed=False)
        raise PermissionDenied(REFUSAL)
    data = person_data(person)
    json_text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    html_text = render_to_string("dataprotection/person_export.html", {"data": data, "sections": _sections(data)})
    record("person.export", actor=actor, target=person, detail={"sections": sorted(k for k, v in data.items() if v)})
    return PersonExport(person_id=person.pk, json_text=json_text, html_text=html_text)


SECTION_TITLES = {
    "person": "Directory record",
    "self_identification": "Self-identification (restricted)",
    "skills": "Skills",
    "enrolments": "Programmes: enrolments and applications",
    "nominations_received": "Nominations received",
    "nominations_made": "Nominations made",
    "relationships": "Relationships, with their meetings",
    "private_notes": "Private notes (yours only)",
    "check_ins": "Check-ins",
    "concerns_raised": "Concerns raised",
    "career_events": "Career events",
    "account": "Account",
    "audit_entries": "Audit log entries about this person or their account",
}


def _plain(value: Any) -> Any:
    """Values for the HTML page: nested structures as indented JSON text, the rest as they are."""
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    return value


def _sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The export as titled sections of rows (a record is one row of fields; a list, one per item)."""
    sections = []
    for key, title in SECTION_TITLES.items():
        value = data.get(key)
        items = value if isinstance(value, list) else ([] if value is None else [value])
        sections.append(
            {
                "title": title,
                "items": [[(field, _plain(field_value)) for field, field_value in item.items()] for item in items],
            }
        )
    return sections
