"""One person at a time from an identity provider (SCIM), through the import's own rules.

An identity provider pushes people one by one instead of sending a file, but what it may change and
how is exactly what an HRIS import does: :func:`person_provision` turns the person into a one-row
table and runs it through the import's parser (lengths, email, level, flags, control characters),
its check against the directory (unique employee id and email, known manager, no manager cycle) and
its writer (the management tree, and leaving and coming back through
:mod:`~twofold.people.leavers`). Nothing here is a second copy of those rules. The check reads only
the rows the person concerns and the tree moves only their subtree (``people_plan(…,
one_person=True)``), so a provisioning call costs the same at 100 people as at 100,000.

The acting account needs the import permission (and the high-potential flag the right to see it),
as a person importing a file would. Each call is one entry in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold import audit
from twofold.accounts import permissions
from twofold.people.hris_presets import ColumnMapping
from twofold.people.import_services import ImportNotPermitted
from twofold.people.import_writes import people_plan, people_write
from twofold.people.importing import parse_people
from twofold.people.leavers import people_deactivate
from twofold.people.models import Person
from twofold.people.tabular import FileRejected, Problem, Table
from twofold.people.tree_moves import tree_lock

# The fields a provisioned person may carry, as the import names them.
PROVISIONED_FIELDS = (
    "employee_id",
    "name",
    "email",
    "title",
    "level",
    "department",
    "location",
    "manager_id",
    "high_potential",
    "active",
)


@dataclass(frozen=True)
class ProvisionedPerson:
    """A person as an identity provider describes them. ``labels`` names each field the way the
    provider's protocol does (e.g. ``userName``), for the messages of a refusal."""

    employee_id: str
    name: str
    email: str
    level: str | int | None
    title: str = ""
    department: str = ""
    location: str = ""
    manager_employee_id: str | None = None
    high_potential: bool | None = None
    active: bool = True
    labels: dict[str, str] = field(default_factory=dict)


@transaction.atomic
def person_provision(*, actor: Any, person: ProvisionedPerson, current: Person | None = None) -> Person:
    """Create ``person`` (``current`` None) or bring ``current`` in line with it, all or nothing.

    Raises :class:`~twofold.people.tabular.FileRejected` listing every problem (nothing is written),
    :class:`~twofold.people.import_services.ImportNotPermitted` when ``actor`` may not import people
    or set the high-potential flag. The employee id may change (the provider knows the person by
    its own id), to one nobody else has.
    """
    labels = {name: person.labels.get(name, name) for name in PROVISIONED_FIELDS}
    try:
        permissions.authorize(actor, "people.import")
    except permissions.NotPermitted as refusal:
        raise ImportNotPermitted("Provisioning people needs the “Can import people” permission.") from refusal
    values = {
        "employee_id": person.employee_id,
        "name": person.name,
        "email": person.email,
        "title": person.title,
        "level": "" if person.level is None else str(person.level),
        "department": person.department,
        "location": person.location,
        "manager_id": person.manager_employee_id or "",
        "active": "active" if person.active else "inactive",
    }
    # Written only when it changes (a new person is not flagged), and only by those who may see it,
    # as an import's high-potential column is.
    flagged = current.high_potential if current is not None else False
    if person.high_potential is not None and person.high_potential != flagged:
        try:
            permissions.authorize(actor, "people.view_talent_flags")
        except permissions.NotPermitted as refusal:
            raise ImportNotPermitted(
                "The high-potential flag is set by programme managers and org admins only.",
                columns=[labels["high_potential"]],
            ) from refusal
        values["high_potential"] = "yes" if person.high_potential else "no"
    others = Person.objects.exclude(pk=current.pk) if current is not None else Person.objects.all()
    if others.filter(employee_id=person.employee_id).exists():
        raise ProvisionConflict(
            [_problem(labels["employee_id"], f"employee id {person.employee_id!r} already belongs to someone")]
        )
    columns = list(values)
    table = Table(
        source="SCIM",
        format="scim",
        columns=[labels[name] for name in columns],
        rows=[(1, [values[name] for name in columns])],
        row_label="resource",
    )
    mapping = ColumnMapping(fields={name: (labels[name],) for name in columns})
    parsed = parse_people(table, mapping, today=timezone.localdate())
    if parsed.problems:
        raise FileRejected(parsed.problems)
    # Only the rows of this person, their managers and their new manager's chain are locked: a
    # provisioning call does not hold up others elsewhere in the tree (see tree_moves).
    tree_lock(
        person_ids=[current.pk] if current is not None else [],
        manager_employee_ids=[person.manager_employee_id] if person.manager_employee_id else [],
    )
    renumbered = current is not None and current.employee_id != person.employee_id
    if current is not None and renumbered:
        # The provider corrected the employee id (its own id for the person stays): the import
        # then knows the person by the new one.
        Person.objects.filter(pk=current.pk).update(employee_id=person.employee_id, updated_at=timezone.now())
    try:
        # The import's checks and writer, reading and writing only the rows this person concerns.
        plan = people_plan(parsed, one_person=True)
    except FileRejected as rejected:
        # The import's own check says when an email is someone else's (a uniqueness conflict, not
        # a malformed value): an identity provider answers the two differently.
        taken = any(p.column == labels["email"] and "already belongs to" in p.message for p in rejected.problems)
        raise (ProvisionConflict(rejected.problems) if taken else rejected) from None
    people_write(plan, actor=actor)
    provisioned = Person.objects.get(employee_id=person.employee_id)
    audit.record(
        "people.provision",
        actor=actor,
        target=provisioned,
        detail={
            "created": bool(plan.result.created),
            "changed": sorted(plan.result.updated.get(person.employee_id, [])),
        },
    )
    return provisioned


class ProvisionConflict(FileRejected):
    """The employee id or the email is already someone else's."""


def _problem(column: str, message: str) -> Problem:
    return Problem(1, column, message, row_label="resource")


@transaction.atomic
def person_deprovision(*, actor: Any, person: Person) -> None:
    """The identity provider removed ``person``: they leave the organisation (never deleted), as
    through an import (:func:`~twofold.people.leavers.people_deactivate`)."""
    people_deactivate(person_ids=[person.pk], actor=actor)
    audit.record("people.deprovision", actor=actor, target=person)
