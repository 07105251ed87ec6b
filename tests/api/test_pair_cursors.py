"""The pairs list's sorted cursors: they name the last row only (no names or dates in URLs and access
logs); the server reads that row's keys again, so any name pages through, and a cursor tampered with
or naming a row the caller cannot see is a 400, never a 500 — on SQLite and PostgreSQL alike."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.test_flows import as_user
from tests.conftest import Cast
from tests.factories import PersonFactory, ProgrammeFactory
from tests.relationships.pairing import pair_up, propose
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild
from twofold.programmes.models import Programme
from twofold.relationships.models import Relationship

pytestmark = pytest.mark.django_db

# 200 characters, none of them ASCII: as JSON in base64 it is far past the cursor's 200 characters.
LONG_NAME = ("Łukasz Żółć-Ørsted Ñúñez Ἀθηνᾶ 東京都 " * 8)[:200]


@pytest.fixture
def programme(cast: Cast) -> Programme:
    return ProgrammeFactory(managers=[cast.programme_manager], capacity=2)


@pytest.fixture
def pairs(cast: Cast, programme: Programme) -> list[Relationship]:
    month_ago = timezone.now() - timedelta(days=30)
    people = [
        PersonFactory(employee_id="LONG1", name=LONG_NAME, level=2, department="Legal", manager=cast.ceo),
        PersonFactory(employee_id="LONG2", name=LONG_NAME[::-1], level=8, department="Legal", manager=cast.ceo),
        PersonFactory(employee_id="OTTO1", name="Otto Ops", level=8, department="Operations", manager=cast.ceo),
        PersonFactory(employee_id="PIA1", name="Pia Plans", level=8, department="Strategy", manager=cast.ceo),
    ]
    people_tree_rebuild()
    long_junior, long_senior, otto, pia = (Person.objects.get(pk=person.pk) for person in people)
    return [
        pair_up(programme, long_junior, long_senior, now=month_ago),
        pair_up(programme, cast.ben, cast.vp_tech, now=month_ago),
        propose(programme, cast.ana, otto, now=timezone.now()),
        propose(programme, long_junior, pia, now=timezone.now()),
    ]


def cursor_of(content: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(content).encode()).decode().rstrip("=")


def paged(cast: Cast, programme: Programme, sort: str) -> list[int]:
    manager = as_user(cast.programme_manager, "programmes:read")
    seen: list[int] = []
    cursor = None
    while True:
        answer = manager(
            "GET", f"/programmes/{programme.pk}/pairs?sort={sort}&limit=1" + (f"&cursor={cursor}" if cursor else "")
        )
        assert answer.status_code == 200, answer.json()
        seen += [item["id"] for item in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return seen
        assert len(cursor) <= 200 and LONG_NAME[:10] not in base64.urlsafe_b64decode(cursor + "==").decode()


@pytest.mark.parametrize("sort", ["name", "state", "recent", "last_met"])
def test_every_sort_pages_past_a_long_non_ascii_name_with_every_pair_once(
    cast: Cast, programme: Programme, pairs: list[Relationship], sort: str
) -> None:
    whole = as_user(cast.programme_manager, "programmes:read")("GET", f"/programmes/{programme.pk}/pairs?sort={sort}")
    in_one_page = [item["id"] for item in whole.json()["items"]]

    assert sorted(in_one_page) == sorted(pair.pk for pair in pairs)
    assert paged(cast, programme, sort) == in_one_page


def test_a_pair_added_while_paging_is_neither_repeated_nor_skipped(
    cast: Cast, programme: Programme, pairs: list[Relationship]
) -> None:
    manager = as_user(cast.programme_manager, "programmes:read")
    path = f"/programmes/{programme.pk}/pairs?sort=name&limit=2"
    first = manager("GET", path).json()
    june = PersonFactory(employee_id="JUNE3", name="June Junior", level=2, manager=cast.ceo, department="Design")
    zed = PersonFactory(employee_id="ZED1", name="Zed Zenith", level=8, department="Legal", manager=cast.ceo)
    people_tree_rebuild()
    added = propose(programme, Person.objects.get(pk=june.pk), Person.objects.get(pk=zed.pk), now=timezone.now())
    rest = manager("GET", f"{path}&limit=10&cursor={first['next_cursor']}").json()

    seen = [item["id"] for item in first["items"] + rest["items"]]
    assert sorted(seen) == sorted([pair.pk for pair in pairs] + [added.pk])


def test_tampered_and_foreign_cursors_are_refused_with_a_400(
    cast: Cast, programme: Programme, pairs: list[Relationship]
) -> None:
    manager = as_user(cast.programme_manager, "programmes:read")
    path = f"/programmes/{programme.pk}/pairs"
    by_name = manager("GET", f"{path}?sort=name&limit=1").json()["next_cursor"]
    by_id = manager("GET", f"{path}?limit=1").json()["next_cursor"]
    elsewhere = pair_up(ProgrammeFactory(capacity=2), cast.ana, cast.vp_sales, now=timezone.now())
    tampered = [
        ("name", cursor_of({"sort": "name", "after": ["\u0000", "x", pairs[0].pk]})),  # a NUL hidden in base64
        ("name", cursor_of({"sort": "name", "after": ["Ana\u0000", "x", pairs[0].pk]})),
        ("name", cursor_of({"sort": "name\u0000", "after": pairs[0].pk})),
        ("recent", cursor_of({"sort": "recent", "after": ["0001-01-01T00:00:00+01:00", pairs[0].pk]})),
        ("last_met", cursor_of({"sort": "last_met", "after": ["9999-12-31T23:59:59-01:00", None, pairs[0].pk]})),
        ("recent", cursor_of({"sort": "recent", "after": "0001-01-01T00:00:00+01:00"})),
        ("name", cursor_of({"sort": "name", "after": 2**70})),
        ("name", cursor_of({"sort": "name", "after": True})),
        ("name", cursor_of({"sort": "name", "after": pairs[0].pk, "mentor__name": "x"})),
        ("name", cursor_of({"sort": "name", "after": 10**9})),  # no such pair
        ("state", cursor_of({"sort": "state", "after": elsewhere.pk})),  # a pair of a programme not managed
        ("name", cursor_of(["name", pairs[0].pk])),
        ("name", "not base64 at all!"),
    ]
    for sort, cursor in tampered:
        answer = manager("GET", f"{path}?sort={sort}&cursor={cursor}")
        assert answer.status_code == 400, (sort, cursor, answer.status_code)
        assert answer.json()["type"].endswith("invalid_cursor")
    # Another sort's cursor, or the id order's, and the id order given a sort's: refused as well.
    assert manager("GET", f"{path}?sort=state&cursor={by_name}").status_code == 400
    assert manager("GET", f"{path}?sort=name&cursor={by_id}").status_code == 400
    assert manager("GET", f"{path}?cursor={by_name}").status_code == 400


def test_a_cursor_whose_pair_is_gone_is_a_400(cast: Cast, programme: Programme, pairs: list[Relationship]) -> None:
    manager = as_user(cast.programme_manager, "programmes:read")
    path = f"/programmes/{programme.pk}/pairs?sort=recent&limit=1"
    first = manager("GET", path).json()
    Relationship.objects.filter(pk=first["items"][0]["id"]).delete()

    answer = manager("GET", f"{path}&cursor={first['next_cursor']}")

    assert answer.status_code == 400 and answer.json()["type"].endswith("invalid_cursor")
