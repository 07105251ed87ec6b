"""Shared fixtures: a small named cast of people and accounts, and the browser switch."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

from tests.factories import PersonFactory, UserFactory
from twofold.accounts.models import User
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild

# The loopback HTTP receiver and the worker helpers for webhook tests (tests/webhooks, tests/browser);
# the route matrices' scene (tests/test_route_matrix.py, tests/api).
pytest_plugins = ["tests.loopback", "tests.route_scene"]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "a-long-test-password"


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    browser = f"Chromium at {CHROMIUM}" if chromium_available() else "NO CHROMIUM: browser tests will be skipped"
    return [f"twofold: database {engine}; {browser}"]


def chromium_required() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    browser_tests = [item for item in items if item.get_closest_marker("browser")]
    if not browser_tests or chromium_available() or chromium_required():
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}; install Debian's chromium to run browser tests")
    for item in browser_tests:
        item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    skipped = [
        report for report in terminalreporter.stats.get("skipped", []) if "Chromium not found" in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} BROWSER TESTS SKIPPED: Chromium is not installed", red=True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Under CI=true each browser test fails, naming the cause, when Chromium is missing. (Raised at
    # collection instead, the message would be lost inside make test's pytest-xdist workers.)
    if item.get_closest_marker("browser") and chromium_required() and not chromium_available():
        pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM}: install Debian's chromium for the browser tests")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # Real hashers are slow on purpose; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _insights_live(settings) -> None:  # type: ignore[no-untyped-def]
    # Each insights page computes its snapshot in the request (stored, then read back as the pages
    # read it): a test sees the records it just wrote. tests/insights/test_snapshots.py turns it off.
    settings.INSIGHTS_LIVE = True


@dataclass
class Cast:
    """The people every permission test reuses.

    ceo
    ├── vp_tech (senior, Engineering, level 8)
    │   └── lead_tech (level 5)
    │       └── ana (junior, level 2)
    └── vp_sales (senior, Sales, level 8)
        └── ben (junior, level 2)
    """

    ceo: Person
    vp_tech: Person
    vp_sales: Person
    lead_tech: Person
    ana: Person
    ben: Person
    admin: User
    programme_manager: User
    ana_user: User
    ben_user: User
    vp_tech_user: User
    vp_sales_user: User
    executive: User
    outsider: User


@pytest.fixture
def cast(db) -> Cast:  # type: ignore[no-untyped-def]
    ceo = PersonFactory(employee_id="C1", name="Cleo Chief", level=10, department="Executive Office", title="CEO")
    vp_tech = PersonFactory(employee_id="V1", name="Victor Tech", level=8, manager=ceo, title="VP Engineering")
    vp_sales = PersonFactory(
        employee_id="V2",
        name="Vera Sales",
        level=8,
        manager=ceo,
        department="Sales",
        title="VP Sales",
        location="Berlin",
    )
    lead_tech = PersonFactory(employee_id="L1", name="Lena Lead", level=5, manager=vp_tech, title="Manager")
    ana = PersonFactory(employee_id="J1", name="Ana Junior", level=2, manager=lead_tech, high_potential=True)
    ben = PersonFactory(
        employee_id="J2", name="Ben Junior", level=2, manager=vp_sales, department="Sales", location="Berlin"
    )
    people_tree_rebuild()
    for person in (ceo, vp_tech, vp_sales, lead_tech, ana, ben):
        person.refresh_from_db()
    return Cast(
        ceo=ceo,
        vp_tech=vp_tech,
        vp_sales=vp_sales,
        lead_tech=lead_tech,
        ana=ana,
        ben=ben,
        admin=UserFactory(username="admin", is_superuser=True, is_staff=True),
        programme_manager=UserFactory(username="pm", is_programme_manager=True),
        ana_user=UserFactory(username="ana", person=ana),
        ben_user=UserFactory(username="ben", person=ben),
        vp_tech_user=UserFactory(username="victor", person=vp_tech),
        vp_sales_user=UserFactory(username="vera", person=vp_sales),
        executive=UserFactory(username="exec", person=ceo, is_executive=True),
        outsider=UserFactory(username="outsider"),
    )
