"""Erasing a person on request: pseudonymise them, keeping every aggregate as it was.

What stays, so that programme figures, match history and the fairness of later runs do not move:
the person row (with level, department, location: the dimensions aggregates use), their skills,
every relationship with its dates, states and scores, meetings (when, how long), check-in scores,
knowledge-transfer proficiencies, advocacy kinds and outcomes, career events' kinds, dates and levels.

What goes: their name, email and employee id (replaced by a pseudonym), title and hire date,
restricted attributes (deleted), every free text they wrote (private notes deleted; shared meeting
notes, knowledge and advocacy notes, check-in comments, concerns, agreement goals of their pairs,
enrolment goals and aspirations, nomination statements by or about them, career-event titles and
notes emptied), their calendar feed, and their account's username, name, email and password (the
account is disabled and signed out everywhere). Someone still active is first marked as having
left, exactly as a leaver is (open proposals withdrawn, active pairs ended, seats freed).

The erasure is audited as ``person.erase`` with the counts, naming the person only by id. Earlier
audit entries keep the names they were written with: the log is append-only (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace

from twofold.accounts import permissions
from twofold.accounts.models import AccountSession, User
from twofold.audit import record
from twofold.dataprotection.permissions import REFUSAL
from twofold.matchruns.models import Proposal, Unmatched
from twofold.people.leavers import people_deactivate
from twofold.people.models import CareerEvent, Person, SelfIdentification
from twofold.programmes.models import Enrolment
from twofold.relationships.models import (
    AdvocacyAction,
    Agreement,
    CalendarFeed,
    CheckIn,
    Concern,
    KnowledgeTransfer,
    Meeting,
    Nomination,
    PrivateNote,
    Relationship,
)

ERASED_TEXT = ""


def pseudonym(person_id: int) -> str:
    return f"Erased person {person_id}"


@dataclass
class ErasureReport:
    """What erasing one person changes (or, in a dry run, would change): counts by what."""

    person_id: int
    dry_run: bool
    changes: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{what}: {count}" for what, count in self.changes.items() if count]


def _blank(queryset: QuerySet[Any], *fields: str, dry_run: bool) -> int:
    """Empty ``fields`` on the rows that have any of them set; returns how many rows."""
    having = Q()
    for name in fields:
        having |= ~Q(**{name: ""})
    rows = queryset.filter(having)
    if dry_run:
        return rows.count()
    return rows.update(**dict.fromkeys(fields, ERASED_TEXT))


# Reasons written by Twofold that may name other people ("Removed from a pair with Ana Junior …",
# "Ana Junior has left the organisation"): the name is replaced by the pseudonym wherever it appears.
GENERATED_REASONS: list[tuple[type[Any], str]] = [
    (Unmatched, "reason"),
    (Proposal, "skipped_reason"),
    (Enrolment, "status_reason"),
    (Relationship, "end_reason"),
]


def _renamed_in_reasons(name: str, replacement: str, *, dry_run: bool) -> int:
    changed = 0
    for model, field_name in GENERATED_REASONS:
        rows = model.objects.filter(**{f"{field_name}__contains": name})
        if dry_run:
            changed += rows.count()
        else:
            changed += rows.update(**{field_name: Replace(field_name, Value(name), Value(replacement))})
    return changed


def _delete(queryset: QuerySet[Any], *, dry_run: bool) -> int:
    return queryset.count() if dry_run else queryset.delete()[0]


def person_erase(*, actor: Any, person: Person, dry_run: bool = False) -> ErasureReport:
    """Pseudonymise ``person`` (see the module docstring); ``dry_run`` counts without writing.

    Org admins and the command line only; audited (refusals included), the dry run as
    ``person.erase_preview``.
    """
    action = "person.erase_preview" if dry_run else "person.erase"
    label = f"person {person.pk}"
    if not permissions.allowed(actor, action, person):
        record(
            action,
            actor=actor,
            target_type="person",
            target_id=person.pk,
            target_label=label,
            subject_person_id=person.pk,
            allowed=False,
        )
        raise PermissionDenied(REFUSAL)
    return _erase(actor=actor, person=person, dry_run=dry_run, action=action, label=label)


@transaction.atomic
def _erase(*, actor: Any, person: Person, dry_run: bool, action: str, label: str) -> ErasureReport:
    person = Person.objects.select_for_update().get(pk=person.pk)
    report = ErasureReport(person_id=person.pk, dry_run=dry_run)
    changes = report.changes
    if person.active:
        if dry_run:
            open_pairs = Relationship.objects.filter(
                Q(mentor=person) | Q(mentee=person), state__in=["proposed", "active"]
            )
            changes["open proposals and relationships closed (left the organisation)"] = open_pairs.count()
        else:
            result = people_deactivate(person_ids=[person.pk], actor=actor, reason="left the organisation")
            changes["open proposals and relationships closed (left the organisation)"] = sum(
                count for name, count in result.consequences.items() if name.startswith(("relationships", "proposals"))
            )
    changes["directory record pseudonymised"] = 1
    pairs = Relationship.objects.filter(Q(mentor=person) | Q(mentee=person))
    changes["restricted attributes deleted"] = _delete(
        SelfIdentification.objects.filter(person=person), dry_run=dry_run
    )
    changes["private notes deleted"] = _delete(PrivateNote.objects.filter(author=person), dry_run=dry_run)
    changes["shared meeting notes and places emptied"] = _blank(
        Meeting.objects.filter(created_by=person), "shared_note", "location", dry_run=dry_run
    )
    changes["knowledge-transfer notes emptied"] = _blank(
        KnowledgeTransfer.objects.filter(recorded_by=person), "note", dry_run=dry_run
    )
    changes["advocacy descriptions emptied"] = _blank(
        AdvocacyAction.objects.filter(recorded_by=person), "description", "outcome_note", dry_run=dry_run
    )
    changes["check-in comments emptied"] = _blank(CheckIn.objects.filter(person=person), "comment", dry_run=dry_run)
    changes["concerns emptied"] = _blank(
        Concern.objects.filter(raised_by=person), "text", "resolution", dry_run=dry_run
    )
    changes["agreement goals emptied"] = _blank(
        Agreement.objects.filter(relationship__in=pairs), "goals", dry_run=dry_run
    )
    changes["end reasons emptied"] = _blank(pairs.filter(ended_by=person), "end_reason", dry_run=dry_run)
    changes["enrolment goals emptied"] = _blank(
        Enrolment.objects.filter(person=person), "goals", "aspiration", "status_reason", dry_run=dry_run
    )
    changes["nomination statements emptied"] = _blank(
        Nomination.objects.filter(Q(nominee=person) | Q(nominator=person)), "statement", dry_run=dry_run
    )
    changes["career-event titles and notes emptied"] = _blank(
        CareerEvent.objects.filter(person=person), "from_title", "to_title", "note", dry_run=dry_run
    )
    if person.name.strip():
        changes["mentions of their name in reasons replaced"] = _renamed_in_reasons(
            person.name, pseudonym(person.pk), dry_run=dry_run
        )
    changes["calendar feed deleted"] = _delete(CalendarFeed.objects.filter(person=person), dry_run=dry_run)
    users = User.objects.filter(person=person)
    changes["accounts disabled and renamed"] = users.count()
    changes["sessions ended"] = _delete(AccountSession.objects.filter(user__in=users.values("pk")), dry_run=dry_run)
    if not dry_run:
        for user in users:
            user.username = f"erased-{person.pk}-{user.pk}"
            user.first_name = user.last_name = user.email = ""
            user.password = make_password(None)
            user.is_active = False
            user.save(update_fields=["username", "first_name", "last_name", "email", "password", "is_active"])
        person.name = pseudonym(person.pk)
        person.email = f"erased-{person.pk}@erased.invalid"
        person.employee_id = f"erased-{person.pk}"
        person.title = ""
        person.hire_date = None
        person.save(update_fields=["name", "email", "employee_id", "title", "hire_date", "updated_at"])
    record(
        action,
        actor=actor,
        target_type="person",
        target_id=person.pk,
        target_label=label,
        subject_person_id=person.pk,
        detail={"changes": {what: count for what, count in changes.items() if count}},
    )
    return report
