"""Writes to accounts: creating users with roles."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from twofold.accounts.models import User


@transaction.atomic
def user_upsert(
    *,
    username: str,
    password: str | None = None,
    person: Any = None,
    org_admin: bool = False,
    programme_manager: bool = False,
    executive: bool = False,
) -> User:
    """Create or update an account with the given roles; the person's name and email follow the person.

    ``person`` is the account's :class:`~twofold.people.models.Person` (people sit above accounts, so
    it is not named here), or None for an account without an employee record.
    """
    user, _ = User.objects.get_or_create(username=username)
    user.person = person
    user.is_superuser = org_admin
    user.is_staff = org_admin
    user.is_programme_manager = programme_manager
    user.is_executive = executive
    if person is not None:
        first, _, last = person.name.partition(" ")
        user.first_name, user.last_name, user.email = first, last, person.email
    if password is not None:
        user.set_password(password)
    user.save()
    return user
