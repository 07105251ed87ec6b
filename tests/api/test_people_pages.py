"""The API's directory pages: the unfiltered pages of the default size read by kept queries, every
other request by the ORM, with the same answers either way."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import Cast
from tests.factories import PersonFactory
from twofold.accounts import kept_queries
from twofold.accounts.models import User
from twofold.accounts.tokens import issue_token
from twofold.api.routers.people import FIRST_PAGE, PAGE_AFTER, PERSON_OUT_FIELDS
from twofold.people.models import Person


def client_of(user: User) -> Client:
    _, raw = issue_token(actor=user, user=user, name="test", scopes=["people:read"], kind="personal")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def walk(client: Client, query: str = "") -> list[bytes]:
    """Every page's answer, each page asked with the previous one's cursor."""
    answers, url = [], f"/api/v1/people?{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        answers.append(response.content)
        following = response.json()["next_cursor"]
        url = f"/api/v1/people?{query}&cursor={following}" if following else ""
    return answers


@pytest.fixture
def directory(cast: Cast) -> list[Person]:
    """More people than a page of the default size holds, leavers and talent flags among them."""
    return [
        PersonFactory(active=n % 7 != 0, high_potential=n % 3 == 0, manager=cast.vp_tech if n % 2 else None)
        for n in range(120)
    ]


@pytest.fixture
def kept_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept pages not yet built in this process, so that a test sees which requests build them."""
    monkeypatch.setattr(FIRST_PAGE, "_compiled", {})
    monkeypatch.setattr(PAGE_AFTER, "_compiled", {})


def test_the_kept_pages_are_the_orms(directory: list[Person]) -> None:
    """The kept SQL is the ORM's, and its rows the dicts the ORM's values() yields, converters applied."""
    assert FIRST_PAGE.compiled(DEFAULT_DB_ALIAS).sql == FIRST_PAGE.compiler_of_orm(DEFAULT_DB_ALIAS, ()).as_sql()[0]
    first = FIRST_PAGE.dicts()
    assert first == list(FIRST_PAGE.queryset()) and len(first) == 51
    assert all(list(row) == [*PERSON_OUT_FIELDS, "high_potential"] for row in first)
    assert all(type(row["active"]) is bool and row["active"] for row in first)
    for after in (0, first[-1]["id"], directory[100].pk, directory[-1].pk, 2**62):
        sql, params = PAGE_AFTER.compiler_of_orm(DEFAULT_DB_ALIAS, (after,)).as_sql()
        assert PAGE_AFTER.compiled(DEFAULT_DB_ALIAS).sql == sql and list(params) == [after]
        assert PAGE_AFTER.dicts(after) == list(PAGE_AFTER.queryset(after))
    assert PAGE_AFTER.dicts(directory[-1].pk) == []


@pytest.mark.parametrize("kept", [True, False])
def test_the_common_pages_are_read_by_the_kept_queries(
    cast: Cast, directory: list[Person], monkeypatch: pytest.MonkeyPatch, kept_afresh: None, kept: bool
) -> None:
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
    client = client_of(cast.programme_manager)
    pages = walk(client, "limit=50")
    assert bool(FIRST_PAGE._compiled) == kept and bool(PAGE_AFTER._compiled) == kept
    shown = [item["id"] for page in pages for item in json.loads(page)["items"]]
    assert shown == sorted(person.pk for person in Person.objects.filter(active=True))
    assert len(pages) == 3 and json.loads(pages[-1])["next_cursor"] is None


def test_the_kept_and_the_orms_pages_answer_alike(
    cast: Cast, directory: list[Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    for user in (cast.programme_manager, cast.ana_user):  # with the talent flags, and without
        client = client_of(user)
        kept = walk(client, "limit=50")
        monkeypatch.setattr(kept_queries, "KEPT_QUERY", False)
        assert walk(client, "limit=50") == kept
        monkeypatch.setattr(kept_queries, "KEPT_QUERY", True)
    flags = [item["high_potential"] for item in json.loads(kept[0])["items"]]
    assert flags == [None] * 50  # ana's answers, the flags blanked


@pytest.mark.parametrize(
    "query",
    [
        "limit=10",
        "limit=49",
        "department=Sales",
        "q=person",
        "level=3",
        "high_potential=true",
        "include_inactive=true",
        f"limit=50&q=person&cursor={cursor(0)}",
    ],
)
def test_other_requests_are_read_by_the_orm_with_the_same_rows(
    cast: Cast, directory: list[Person], kept_afresh: None, query: str
) -> None:
    client = client_of(cast.admin)
    pages = walk(client, query)
    assert not FIRST_PAGE._compiled and not PAGE_AFTER._compiled
    shown = [item["id"] for page in pages for item in json.loads(page)["items"]]
    people = Person.objects.all() if "include_inactive" in query else Person.objects.filter(active=True)
    if "department" in query:
        people = people.filter(department="Sales")
    if "level" in query:
        people = people.filter(level=3)
    if "high_potential" in query:
        people = people.filter(high_potential=True)
    if "q=" in query:
        people = people.filter(name__icontains="person")
    assert shown == sorted(person.pk for person in people) and shown


def test_leavers_are_listed_only_for_whoever_may_list_them(cast: Cast, directory: list[Person]) -> None:
    leavers = {person.pk for person in directory if not person.active}
    for user, listed in ((cast.admin, True), (cast.programme_manager, False)):
        pages = walk(client_of(user), "include_inactive=true")
        shown = {item["id"] for page in pages for item in json.loads(page)["items"]}
        assert (leavers <= shown) is listed and bool(leavers & shown) is listed


def test_the_common_page_asks_no_permission_query(cast: Cast, directory: list[Person]) -> None:
    """The token read and the page alone: whether the caller may list leavers is asked only when
    leavers are asked for."""
    client = client_of(cast.programme_manager)
    assert client.get("/api/v1/people").status_code == 200  # the token's first use written
    for url in ("/api/v1/people", f"/api/v1/people?cursor={cursor(directory[10].pk)}"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == 2
        assert 'FROM "accounts_accesstoken"' in queries[0]["sql"] and 'FROM "people_person"' in queries[1]["sql"]


@pytest.mark.parametrize("bad", ["xyz", cursor(-1), "e30", base64.urlsafe_b64encode(b'{"after": true}').decode()])
def test_a_bad_cursor_is_refused_on_the_kept_way_too(cast: Cast, bad: str, kept_afresh: None) -> None:
    response: Any = client_of(cast.programme_manager).get(f"/api/v1/people?limit=50&cursor={bad}")
    assert response.status_code == 400 and not PAGE_AFTER._compiled
