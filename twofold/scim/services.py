"""Writes of SCIM provisioning: the people directory through its own services, plus the identity
provider's names for the person (:class:`~twofold.scim.models.ScimIdentity`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from twofold.people.models import Person
from twofold.people.provisioning import (
    ProvisionConflict,
    ProvisionedPerson,
    person_deprovision,
    person_provision,
)
from twofold.people.tabular import FileRejected, Problem
from twofold.plain_text import control_character_problem
from twofold.scim.models import ScimIdentity


@dataclass(frozen=True)
class ScimNames:
    """The provider's names for a person: its sign-in name, its own id, and the person's names."""

    user_name: str
    external_id: str = ""
    display_name: str = ""
    name_formatted: str = ""
    given_name: str = ""
    family_name: str = ""


@transaction.atomic
def scim_user_save(*, actor: Any, person: ProvisionedPerson, names: ScimNames, current: Person | None) -> Person:
    """Create (``current`` None) or update a person from a SCIM User, with the rules of the import.

    A ``userName`` is one person's: another identity's name, or the email of someone the identity
    provider has not provisioned, is a conflict. Creating someone the provider deleted before (the
    same employee id) brings them back rather than making a second person: nothing was deleted.
    """
    if current is None:
        current = Person.objects.filter(employee_id=person.employee_id, scim_identity__deleted_at__isnull=False).first()
    _check_names(names, labels=person.labels)
    user_name = names.user_name
    others = Person.objects.exclude(pk=current.pk) if current is not None else Person.objects.all()
    lowered = user_name.lower()
    taken = (
        ScimIdentity.objects.annotate(lowered=Lower("user_name")).filter(lowered=lowered).exclude(person=current)
    ).exists() or others.filter(scim_identity__isnull=True).annotate(lowered=Lower("email")).filter(
        lowered=lowered
    ).exists()
    if taken:
        raise ProvisionConflict(
            [
                Problem(
                    1,
                    person.labels.get("user_name", "userName"),
                    f"{user_name!r} is someone else's",
                    row_label="resource",
                )
            ]
        )
    fields = {
        "user_name": user_name,
        "external_id": names.external_id,
        "display_name": names.display_name,
        "name_formatted": names.name_formatted,
        "given_name": names.given_name,
        "family_name": names.family_name,
    }
    saved = person_provision(
        actor=actor, person=replace(person, name=ScimIdentity(**fields).derived_name), current=current
    )
    ScimIdentity.objects.update_or_create(person=saved, defaults={**fields, "deleted_at": None})
    return saved


def _check_names(names: ScimNames, *, labels: dict[str, str]) -> None:
    """The provider's names fit their columns and are plain one-line text (before any write)."""
    problems = []
    for field in ("user_name", "external_id", "display_name", "name_formatted", "given_name", "family_name"):
        value = getattr(names, field)
        limit = getattr(ScimIdentity._meta.get_field(field), "max_length", 0) or 0
        label = labels.get(field, field)
        if field == "user_name" and not value:
            problems.append(Problem(1, label, "userName is empty", row_label="resource"))
        elif len(value) > limit:
            problems.append(Problem(1, label, f"longer than {limit} characters", row_label="resource"))
        elif control := control_character_problem(value):
            problems.append(Problem(1, label, control, row_label="resource"))
    if problems:
        raise FileRejected(problems)


@transaction.atomic
def scim_user_delete(*, actor: Any, person: Person) -> None:
    """The identity provider deleted the User: the person leaves the organisation (deactivated,
    never deleted), and SCIM answers 404 for them from now on."""
    person_deprovision(actor=actor, person=person)
    identity, _ = ScimIdentity.objects.get_or_create(person=person, defaults={"user_name": person.email})
    identity.deleted_at = timezone.now()
    identity.save(update_fields=["deleted_at", "updated_at"])
