"""Writes to accounts: creating users with roles, the demo's sign-ins, and authenticator apps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.utils import reset as axes_reset
from django.db import transaction
from django.db.models import Max, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofold.accounts import two_factor
from twofold.accounts.models import User
from twofold.accounts.passwords import DEMO_PASSWORD
from twofold.people.models import Person


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    person: str


@transaction.atomic
def user_upsert(
    *,
    username: str,
    password: str | None = None,
    person: Person | None = None,
    org_admin: bool = False,
    programme_manager: bool = False,
    executive: bool = False,
) -> User:
    """Create or update an account with the given roles; the person's name and email follow the person."""
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


def _first(people: QuerySet[Person], description: str) -> Person:
    person = people.order_by("employee_id").first()
    if person is None:
        raise LookupError(f"the directory has no {description} for a demo account")
    return person


@transaction.atomic
def demo_accounts_ensure(password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    """The five demo sign-ins, each tied to a fitting person in the generated organisation.

    The junior (a level 1–3 employee who can teach digital skills) and the senior leader (level 8
    wanting to learn them) sit in different departments, so that neither is in the other's
    reporting line and the two can be matched for reverse mentoring.
    """
    active = Person.objects.filter(active=True)
    executive = _first(active.filter(level=active.aggregate(top=Max("level"))["top"]), "most senior person")
    manager = active.filter(department="People", level__range=(5, 7)).order_by("employee_id").first() or _first(
        active.filter(level__range=(5, 7)), "manager"
    )
    senior = _first(
        active.filter(
            level=8, skills__wants_to_learn=True, skills__skill__category__in=["digital", "trends"]
        ).distinct(),
        "senior leader",
    )
    # A junior who can teach something the senior wants to learn: the demo pair has a reason to meet.
    wanted = senior.skills.filter(wants_to_learn=True).values("skill")
    junior = _first(
        active.filter(level__lte=3, skills__can_teach=True, skills__skill__in=wanted)
        .exclude(department=senior.department)
        .exclude(pk=manager.pk)
        .distinct(),
        "junior employee",
    )
    user_upsert(username="admin", password=password, org_admin=True)
    user_upsert(username="manager", password=password, person=manager, programme_manager=True)
    user_upsert(username="junior", password=password, person=junior)
    user_upsert(username="senior", password=password, person=senior)
    user_upsert(username="executive", password=password, person=executive, executive=True)
    return [
        DemoLogin("admin", password, "Org admin", "(no employee record)"),
        DemoLogin("manager", password, "Programme manager", f"{manager.name}, {manager.title}"),
        DemoLogin("junior", password, "Junior employee", f"{junior.name}, {junior.title}"),
        DemoLogin("senior", password, "Senior leader", f"{senior.name}, {senior.title}"),
        DemoLogin("executive", password, "Executive", f"{executive.name}, {executive.title}"),
    ]


def demo_programmes_load(*, seed: int = 1) -> Any:
    """The demo's two programmes, matched by the engine and lived for six months (see programmes.demo)."""
    from twofold.programmes.demo import demo_programmes_build
    from twofold.programmes.services import match_run_publish, match_run_start

    def run_match(programme: Any, created_by: Any, now: Any, locked: list[tuple[int, int]]) -> None:
        run = match_run_start(programme=programme, created_by=created_by, locked=locked, background=False)
        match_run_publish(run=run, now=now)

    manager = User.objects.get(username="manager")
    junior = User.objects.select_related("person").get(username="junior").person
    senior = User.objects.select_related("person").get(username="senior").person
    assert junior is not None and senior is not None
    return demo_programmes_build(manager=manager, junior=junior, senior=senior, seed=seed, run_match=run_match)


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
