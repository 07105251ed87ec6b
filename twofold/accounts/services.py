"""Writes to accounts: users with roles, closing and reopening leavers' accounts, authenticator apps, lockouts."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from axes.utils import reset as axes_reset
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofold.accounts import two_factor
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


# --- two-step sign-in: the authenticator app ------------------------------------------------------


class TwoStepRefused(Exception):
    """A two-step change the user may not make, or a code that did not verify; the message says why."""


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator-app secret for an org admin, replacing an unfinished one.

    It counts for nothing until ``totp_device_confirm`` has seen a code from it.
    """
    if not two_factor.can_enrol(user):
        raise TwoStepRefused("Authenticator apps are for org admins.")
    if two_factor.confirmed_device(user) is not None:
        raise TwoStepRefused("You already have an authenticator app; remove it first to set up another.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_device_confirm(*, user: User, code: str) -> TOTPDevice:
    """Confirm the unfinished device with a code it produced; from then on sign-in asks for its codes."""
    # Not one atomic block around the refusal: a wrong code's record (which slows the next guess)
    # must be kept, not rolled back with the exception.
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            raise TwoStepRefused("Start setting up an authenticator app first.")
        refusal = _verify(device, code)
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    if refusal is not None:
        raise TwoStepRefused(refusal)
    return device


def totp_code_check(*, user: User, code: str) -> TOTPDevice:
    """The user's confirmed device, if ``code`` is its current code; each code works once."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            raise TwoStepRefused("This account has no authenticator app.")
        refusal = _verify(device, code)
    if refusal is not None:
        raise TwoStepRefused(refusal)
    return device


@transaction.atomic
def totp_device_remove(*, user: User) -> None:
    """Remove the user's authenticator app; refused where org admins must have one."""
    if two_factor.enrolment_required(user):
        raise TwoStepRefused(
            "Org admins must use an authenticator app here, so yours stays. If it is lost, another org admin "
            "can remove it in the admin, and you set up a new one at your next sign-in."
        )
    TOTPDevice.objects.filter(user=user).delete()


def _verify(device: TOTPDevice, code: str) -> str | None:
    """Why ``code`` is refused, or None when it is the device's current code (recorded as used)."""
    allowed, why = device.verify_is_allowed()
    if not allowed:
        wait = why.get("locked_until") if why else None
        return "Too many wrong codes in a row. Wait a little, then enter the newest code" + (
            f" (after {wait:%H:%M:%S} UTC)." if wait else "."
        )
    # verify_token saves the attempt: the time step on success (so the code cannot be replayed),
    # the failure count on a wrong code (so guessing slows down exponentially).
    if not device.verify_token(code.replace(" ", "")):
        return "That code did not match. Check the time on your phone and enter the newest code."
    return None


def signin_lockout_clear(*, username: str) -> None:
    """Forget the failed sign-ins counted against a username, ending its lockout."""
    axes_reset(username=username)
