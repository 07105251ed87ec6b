"""Writes to accounts: creating users with roles, and the demo's sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Max, QuerySet

from twofold.accounts.models import User
from twofold.people.models import Person

DEMO_PASSWORD = "twofold-demo"


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
    manager_user = user_upsert(username="manager", password=password, person=manager, programme_manager=True)
    # Importing is an org admin's power; the demo grants it to its programme manager to show the grant.
    manager_user.user_permissions.add(
        Permission.objects.get(content_type__app_label="people", codename="import_people")
    )
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
