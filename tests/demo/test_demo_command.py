"""Hole 3: ``twofold demo`` against a real directory. In production mode, or beside anyone the demo
did not generate, it refuses with a clear message and exit status 1, and changes nothing: no demo
sign-ins, no roles for real people, no made-up promotions or check-ins."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from twofold.accounts.models import User
from twofold.demo.services import DemoRefused, demo_accounts_ensure, demo_programmes_load
from twofold.people.models import CareerEvent, Person
from twofold.people.selectors import demo_refusal
from twofold.programmes.models import Enrolment, Programme
from twofold.relationships.models import CheckIn, Relationship

ROOT = Path(__file__).resolve().parents[2]

# A small organisation as an HRIS would export it: a chief executive, two vice presidents with
# digital skills to learn, managers and juniors who could teach them.
REAL_DIRECTORY = """employee_id,name,email,title,level,department,location,manager_id,hire_date,wants_to_learn,can_teach
100,Grace Okafor,grace@corp.example,Chief Executive,10,Executive,London,,2012-03-01,Generative AI:1,
110,Henrik Lund,henrik@corp.example,VP Engineering,8,Engineering,London,100,2015-06-01,Social media:1,
120,Isabel Moreau,isabel@corp.example,VP Sales,8,Sales,Paris,100,2016-01-15,Generative AI:0,
111,Jon Park,jon@corp.example,Engineering Manager,6,Engineering,London,110,2018-09-01,,
121,Kemi Adeyemi,kemi@corp.example,People Partner,6,People,Paris,120,2019-02-01,,
112,Lara Novak,lara@corp.example,Software Engineer,2,Engineering,London,111,2024-01-08,,Generative AI:3
122,Mo Haddad,mo@corp.example,Account Executive,1,Sales,Paris,121,2025-05-01,,Social media:4
"""
REAL_EVENTS = """employee_id,kind,effective_date,from_level,to_level
112,promotion,2025-04-01,1,2
111,promotion,2023-04-01,5,6
"""


def footprint() -> dict[str, object]:
    """Everything the demo would add to: accounts and their roles, history, programmes."""
    return {
        "people": sorted(Person.objects.values_list("employee_id", "level", "title", "active")),
        "users": sorted(
            User.objects.values_list(
                "username", "person_id", "is_superuser", "is_programme_manager", "is_executive", "password"
            )
        ),
        "career_events": sorted(CareerEvent.objects.values_list("person_id", "kind", "effective_date")),
        "check_ins": CheckIn.objects.count(),
        "programmes": Programme.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "relationships": Relationship.objects.count(),
    }


@pytest.fixture
def real_directory(db, tmp_path: Path) -> dict[str, object]:
    people, events = tmp_path / "people.csv", tmp_path / "events.csv"
    people.write_text(REAL_DIRECTORY, encoding="utf-8")
    events.write_text(REAL_EVENTS, encoding="utf-8")
    call_command("import_people", str(people))
    call_command("import_events", str(events))
    # The organisation's own administrator, signed up for real.
    User.objects.create_superuser(username="it-admin", password="a-real-and-long-password")
    assert Person.objects.count() == 7
    return footprint()


def test_hole_3_demo_refuses_a_real_directory_and_changes_nothing(real_directory) -> None:
    with pytest.raises(CommandError, match="7 people the demo did not generate") as refused:
        call_command("demo")
    assert refused.value.returncode == 1
    assert footprint() == real_directory
    assert not User.objects.filter(username__in=["admin", "manager", "junior", "senior", "executive"]).exists()


def test_hole_3_the_demo_services_refuse_a_real_directory_themselves(real_directory) -> None:
    # Whoever calls them (a script, a benchmark), not only the command.
    with pytest.raises(DemoRefused, match="did not generate"):
        demo_accounts_ensure()
    with pytest.raises(DemoRefused, match="did not generate"):
        demo_programmes_load()
    assert footprint() == real_directory


def test_hole_3_demo_org_never_replaces_a_real_directory(real_directory) -> None:
    with pytest.raises(CommandError, match="did not generate") as refused:
        call_command("demo_org", people=50, replace=True)
    assert refused.value.returncode == 1
    assert footprint() == real_directory


def test_hole_3_one_real_person_in_a_demo_directory_stops_the_demo(db, tmp_path: Path) -> None:
    call_command("demo_org", people=300, seed=2, as_of=date(2026, 6, 1))
    assert demo_refusal() is None
    logins = demo_accounts_ensure()
    assert [login.username for login in logins] == ["admin", "manager", "junior", "senior", "executive"]
    path = tmp_path / "new.csv"
    path.write_text("employee_id,name,email,level\nR1,Real Newcomer,newcomer@corp.example,3\n", encoding="utf-8")
    call_command("import_people", str(path))
    before = footprint()
    with pytest.raises(CommandError, match="1 person the demo did not generate"):
        call_command("demo")
    assert footprint() == before


def test_hole_3_demo_refuses_in_production_mode(db, settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production mode") as refused:
        call_command("demo")
    assert refused.value.returncode == 1
    with pytest.raises(CommandError, match="production mode"):
        call_command("demo_org", people=50)
    assert not Person.objects.exists() and not User.objects.exists()


def test_hole_3_twofold_demo_exits_with_status_1_in_production(tmp_path: Path) -> None:
    database = tmp_path / "production.sqlite3"
    env = {
        **os.environ,
        "TWOFOLD_PRODUCTION": "1",
        "SECRET_KEY": "a-production-secret-that-is-long-enough-for-django-checks",
        "ALLOWED_HOSTS": "twofold.example.org",
        "DATABASE_URL": f"sqlite:///{database}",
        "TWOFOLD_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "twofold", "demo"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "production mode (TWOFOLD_PRODUCTION=1), where the demo never runs" in result.stderr
    # Refused before touching the database: not even the tables were created.
    assert not database.exists() or database.stat().st_size == 0
