"""Sign-in accounts and the roles they hold."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """An account. Org admins are Django superusers; the other roles are flags.

    A user may hold several roles: a programme manager is usually an employee with a ``person``
    too, and may take part in a programme they do not manage.
    """

    person = models.OneToOneField(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="user"
    )
    is_programme_manager = models.BooleanField(
        default=False, help_text="Runs programmes: enrolment, matching, review, health."
    )
    is_executive = models.BooleanField(
        default=False, help_text="Sees programme aggregates only, never individual records."
    )

    @property
    def is_org_admin(self) -> bool:
        return self.is_superuser

    @property
    def role_names(self) -> list[str]:
        roles = []
        if self.is_org_admin:
            roles.append("Org admin")
        if self.is_programme_manager:
            roles.append("Programme manager")
        if self.is_executive:
            roles.append("Executive")
        if self.person_id:
            roles.append("Employee")
        return roles
