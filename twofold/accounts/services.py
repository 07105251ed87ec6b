"""Writes to accounts: creating users with roles, closing and reopening the accounts of leavers."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from twofold.accounts.models import AccountSession, User

# Ids per IN (…) list: well inside every database's limit on query parameters.
CHUNK = 5000


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


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


@dataclass(frozen=True)
class AccountsClosed:
    accounts: int
    sessions: int


@transaction.atomic
def accounts_close(*, person_ids: Collection[int]) -> AccountsClosed:
    """Stop the accounts of these people (by person id) from working, at once.

    Each account is made inactive (nobody can sign in to it) and every session it holds is deleted,
    so a browser already signed in is sent to the sign-in page on its next request. A few queries
    per 5,000 people, whatever the number of accounts or sessions.
    """
    accounts = sessions = 0
    for chunk in _chunks(person_ids):
        users = User.objects.filter(person_id__in=chunk)
        accounts += users.filter(is_active=True).update(is_active=False)
        sessions += AccountSession.objects.filter(user__in=users.values("pk")).delete()[0]
    return AccountsClosed(accounts=accounts, sessions=sessions)


@transaction.atomic
def accounts_reopen(*, person_ids: Collection[int]) -> int:
    """Let the accounts of these people sign in again (someone who left came back); returns how many.

    Only signing in comes back: the sessions ended when they left stay ended.
    """
    reopened = 0
    for chunk in _chunks(person_ids):
        reopened += User.objects.filter(person_id__in=chunk, is_active=False).update(is_active=True)
    return reopened
