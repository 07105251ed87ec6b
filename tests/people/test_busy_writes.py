"""A move of a person that loses to another write at the database, through the API's
``people_set_manager`` and the admin's person form alike (one helper, operations.errors).

Played for real on PostgreSQL with a second connection. A deadlock (two moves on one chain, each
waiting for the other) ends one transaction: that move is run again whole and made. A lock not had
within ``lock_timeout`` is answered 503 with Retry-After, and nothing is changed (as SCIM does,
tests/scim/test_busy.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.accounts.test_admin_forms import person_form
from tests.conftest import Cast
from tests.people.test_tree_races import assert_tree_as_rebuilt
from tests.people.test_views import signed_in
from twofold.accounts.tokens import issue_token
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: row locks, deadlocks"),
]


def _session(setting: str) -> int:
    """Set ``setting`` on this test's (the requests') connection; returns its backend's pid."""
    with connection.cursor() as cursor:
        cursor.execute(setting)
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


@contextmanager
def deadlocked(victim: int, *, first: int, then: int) -> Iterator[None]:
    """A second connection locks person ``first``; once backend ``victim`` waits for that row, it asks
    for person ``then``'s, which the victim holds: a deadlock, which PostgreSQL resolves by ending
    the victim's transaction (its deadlock_timeout is the shorter). Then it lets go of both."""
    params = connection.get_connection_params()
    holder = psycopg.connect(**params)
    watcher = psycopg.connect(**params, autocommit=True)
    holder.execute("SET deadlock_timeout = '60s'")
    holder.execute("SELECT id FROM people_person WHERE id = %s FOR UPDATE", [first])

    def close_the_circle() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row = watcher.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [victim]).fetchone()
            if row is not None and row[0] == "Lock":
                holder.execute("SELECT id FROM people_person WHERE id = %s FOR UPDATE", [then])
                break
            time.sleep(0.01)
        holder.rollback()

    circle = threading.Thread(target=close_the_circle)
    circle.start()
    try:
        yield
    finally:
        circle.join(timeout=60)
        holder.close()
        watcher.close()
        _session("RESET deadlock_timeout")


@contextmanager
def row_held(person: Person) -> Iterator[None]:
    """Another connection holds ``person``'s row while this one gives up waiting after 300 ms."""
    _session("SET lock_timeout = '300ms'")
    holder = psycopg.connect(**connection.get_connection_params())
    try:
        holder.execute("SELECT id FROM people_person WHERE id = %s FOR UPDATE", [person.pk])
        yield
    finally:
        holder.rollback()
        holder.close()
        _session("RESET lock_timeout")


def api_move(cast: Cast, person: Person, manager: Person) -> Any:
    _, raw = issue_token(actor=cast.admin, user=cast.admin, name="t", scopes=["people:write"], kind="personal")
    return Client().put(
        f"/api/v1/people/{person.pk}/manager",
        json.dumps({"manager_id": manager.pk}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )


def admin_move(client: Client, person: Person, manager: Person) -> Any:
    person = Person.objects.get(pk=person.pk)
    return client.post(
        reverse("admin:people_person_change", args=[person.pk]), person_form(person, manager=str(manager.pk))
    )


def _retried(caplog: pytest.LogCaptureFixture) -> bool:
    return any("40P01" in record.getMessage() for record in caplog.records)


def test_a_move_through_the_api_that_deadlocks_is_run_again_and_made(
    cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    people_tree_rebuild()
    caplog.set_level(logging.WARNING, logger="twofold.operations.errors")
    victim = _session("SET deadlock_timeout = '2s'")
    # Ana's move locks the top of the tree (for share) first, then Ana's row, held by the other.
    with deadlocked(victim, first=cast.ana.pk, then=cast.ceo.pk):
        answer = api_move(cast, cast.ana, cast.vp_sales)

    assert answer.status_code == 200, answer.content
    assert _retried(caplog)
    assert Person.objects.get(pk=cast.ana.pk).manager_id == cast.vp_sales.pk
    assert_tree_as_rebuilt()


def test_an_admin_save_that_deadlocks_is_run_again_and_made(cast: Cast, caplog: pytest.LogCaptureFixture) -> None:
    people_tree_rebuild()
    client = signed_in(cast.admin)
    caplog.set_level(logging.WARNING, logger="twofold.operations.errors")
    victim = _session("SET deadlock_timeout = '2s'")
    with deadlocked(victim, first=cast.ana.pk, then=cast.ceo.pk):
        answer = admin_move(client, cast.ana, cast.vp_sales)

    assert answer.status_code == 302, answer.content
    assert _retried(caplog)
    assert Person.objects.get(pk=cast.ana.pk).manager_id == cast.vp_sales.pk
    assert_tree_as_rebuilt()


def test_a_move_that_cannot_lock_in_time_is_a_503_and_changes_nothing(cast: Cast) -> None:
    people_tree_rebuild()
    client = signed_in(cast.admin)
    before = list(Person.objects.order_by("pk").values())
    with row_held(cast.ana):
        through_api = api_move(cast, cast.ana, cast.vp_sales)
        through_admin = admin_move(client, cast.ana, cast.vp_sales)
    assert through_api.status_code == 503 and through_api["Content-Type"] == "application/problem+json"
    assert through_api["Retry-After"].isdigit() and json.loads(through_api.content)["status"] == 503
    assert through_admin.status_code == 503 and through_admin["Retry-After"].isdigit()
    assert list(Person.objects.order_by("pk").values()) == before

    # Once the other write is done, the same move goes through.
    assert api_move(cast, cast.ana, cast.vp_sales).status_code == 200
    assert Person.objects.get(pk=cast.ana.pk).manager_id == cast.vp_sales.pk
    assert_tree_as_rebuilt()
