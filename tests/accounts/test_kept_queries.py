"""The token read of every API call, kept as the session read is: the ORM's SQL, values bound each time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models.functions import Upper
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.accounts.test_session_account import fields_of
from tests.conftest import Cast
from twofold.accounts import kept_queries
from twofold.accounts.kept_queries import KeptQuery
from twofold.accounts.models import AccessToken, User
from twofold.accounts.tokens import TOKEN_READ, authenticate_token, issue_token, live_tokens, revoke_token
from twofold.people.models import Person


def issued(cast: Cast, **kwargs: Any) -> tuple[AccessToken, str]:
    return issue_token(
        actor=cast.admin,
        user=cast.ana_user,
        name="HRIS",
        scopes=["people:read", "scim"],
        kind="service",
        **kwargs,
    )


def orm_read(now: datetime, digest: str) -> AccessToken | None:
    """The token read as the ORM asks it."""
    token: AccessToken | None = live_tokens(now).select_related("user").filter(digest=digest).first()
    return token


def test_the_kept_token_query_is_the_orms(cast: Cast) -> None:
    """The SQL kept once per process and the parameters bound each time are those of the ORM's
    ``first()``, and the row becomes the same token and account, the account cached on the token."""
    token, _ = issued(cast, expires_days=30)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(hours=1))
    now = timezone.now()
    kept = TOKEN_READ.compiled(DEFAULT_DB_ALIAS)
    sql, params = TOKEN_READ.compiler_of_orm(DEFAULT_DB_ALIAS, (now, token.digest)).as_sql()
    assert kept.sql == sql and "LIMIT 1" in sql and "ORDER BY" in sql
    assert TOKEN_READ.params(connection, (now, token.digest)) == list(params)

    with CaptureQueriesContext(connection) as queries:
        read = TOKEN_READ.first(now, token.digest)
        orm = orm_read(now, token.digest)
    assert queries[0]["sql"] == queries[1]["sql"]  # the same SQL with the same values
    assert read is not None and orm is not None
    assert fields_of(read) == fields_of(orm) == fields_of(AccessToken.objects.get(pk=token.pk))
    assert read.scopes == ["people:read", "scim"] and read.expires_at is not None
    assert read.expires_at.tzinfo is not None and read.expires_at == token.expires_at
    assert (read._state.db, read._state.adding) == (orm._state.db, orm._state.adding)
    with CaptureQueriesContext(connection) as queries:
        account = read.user
    assert len(queries) == 0
    assert fields_of(account) == fields_of(orm.user) == fields_of(User.objects.get(pk=cast.ana_user.pk))
    assert TOKEN_READ.first(now, "0" * 64) is None and orm_read(now, "0" * 64) is None


def test_the_kept_token_query_binds_each_reads_time(cast: Cast) -> None:
    """The expiry is compared with the time each read binds, never with the time the SQL was kept."""
    token, _ = issued(cast, expires_days=1)
    assert token.expires_at is not None
    TOKEN_READ.compiled(DEFAULT_DB_ALIAS)  # kept before any of the times below
    before, after = token.expires_at - timedelta(seconds=1), token.expires_at + timedelta(seconds=1)
    for now, live in [(before, True), (after, False), (before, True), (token.expires_at, False)]:
        assert (TOKEN_READ.first(now, token.digest) is not None) is live
        assert (orm_read(now, token.digest) is not None) is live


def test_a_token_expiring_after_the_query_was_kept_stops_working(cast: Cast) -> None:
    token, raw = issued(cast, expires_days=1)
    assert authenticate_token(raw) is not None  # the query is kept by now
    AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(microseconds=1))
    assert authenticate_token(raw) is None


def test_the_kept_token_query_refuses_what_the_orm_refuses(cast: Cast) -> None:
    revoked, _ = issued(cast)
    revoke_token(actor=cast.admin, token=revoked)
    leaver, _ = issued(cast)
    User.objects.filter(pk=cast.ana_user.pk).update(is_active=False)
    now = timezone.now()
    for digest in (revoked.digest, leaver.digest):
        assert TOKEN_READ.first(now, digest) is None and orm_read(now, digest) is None
    User.objects.filter(pk=cast.ana_user.pk).update(is_active=True)
    assert TOKEN_READ.first(now, leaver.digest) is not None


@pytest.mark.parametrize("kept", [True, False])
def test_the_orm_reads_the_token_when_the_kept_query_is_off(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
    monkeypatch.setattr(TOKEN_READ, "_compiled", {})
    token, raw = issued(cast)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/people?limit=5").status_code == 200
    assert bool(TOKEN_READ._compiled) == kept  # the switch decides which way the token was read
    token_reads = [query["sql"] for query in queries if 'FROM "accounts_accesstoken"' in query["sql"]]
    assert len(token_reads) == 1 and 'JOIN "accounts_user"' in token_reads[0]
    assert AccessToken.objects.get(pk=token.pk).last_used_at is not None
    revoke_token(actor=cast.admin, token=token)
    assert client.get("/api/v1/people?limit=5").status_code == 401


def test_a_kept_query_whose_sql_holds_a_value_is_refused(db: None) -> None:
    def samples() -> tuple[tuple[datetime, str], tuple[datetime, str]]:
        now = timezone.now()
        return (now, "a"), (now - timedelta(days=1), "b")

    def written_in(now: datetime, digest: str) -> Any:  # the time written into the SQL as well as bound
        written = AccessToken.objects.extra(where=[f"created_at < '{now.isoformat()}'"])
        return written.filter(expires_at__gt=now).filter(digest=digest)[:1]

    with pytest.raises(AssertionError, match="depends on its values"):
        KeptQuery(AccessToken, written_in, parameters=("expires_at", "digest"), samples=samples).compiled(
            DEFAULT_DB_ALIAS
        )

    def bound(now: datetime, digest: str) -> Any:
        return AccessToken.objects.filter(expires_at__gt=now).filter(digest=digest)[:1]

    def two_times(expires: datetime, revoked: datetime) -> Any:
        return AccessToken.objects.filter(revoked_at__lt=revoked).filter(expires_at__gt=expires)[:1]

    def times() -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
        now = timezone.now()
        return (now, now - timedelta(days=1)), (now - timedelta(days=2), now - timedelta(days=3))

    with pytest.raises(AssertionError, match="not the ORM's"):  # the values in another order than the SQL's
        KeptQuery(AccessToken, two_times, parameters=("expires_at", "revoked_at"), samples=times).compiled(
            DEFAULT_DB_ALIAS
        )
    with pytest.raises(AssertionError, match="share a value"):
        alike = ((timezone.now(), "a"), (timezone.now() - timedelta(days=1), "a"))
        KeptQuery(AccessToken, bound, parameters=("expires_at", "digest"), samples=lambda: alike).compiled(
            DEFAULT_DB_ALIAS
        )
    good = KeptQuery(AccessToken, bound, parameters=("expires_at", "digest"), samples=samples)
    assert good.compiled(DEFAULT_DB_ALIAS).sql.count("%s") == 2


def test_a_token_s_last_use_is_written_at_most_once_a_minute(cast: Cast) -> None:
    from twofold.accounts.tokens import LAST_USED_RESOLUTION

    token, raw = issued(cast)
    now = timezone.now()
    recent = now - LAST_USED_RESOLUTION / 2
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    assert authenticate_token(raw) is not None
    assert AccessToken.objects.get(pk=token.pk).last_used_at == recent  # within the minute: not written

    AccessToken.objects.filter(pk=token.pk).update(last_used_at=now - 2 * LAST_USED_RESOLUTION)
    assert authenticate_token(raw) is not None
    assert AccessToken.objects.get(pk=token.pk).last_used_at >= now  # a minute and more: written


def _people_after(after: int) -> Any:
    return Person.objects.filter(pk__gt=after).values("id", "name", "active", "manager__name").order_by("pk")[:10]


def test_a_kept_values_query_gives_the_orms_dicts(cast: Cast) -> None:
    """A values() queryset kept: the ORM's SQL (a join included), its rows the dicts the ORM yields,
    converted as the ORM converts them (SQLite's booleans)."""
    people = KeptQuery(Person, _people_after, parameters=("id",), samples=lambda: ((3,), (4,)))
    for after in (0, cast.vp_tech.pk, cast.ben.pk):
        with CaptureQueriesContext(connection) as queries:
            read = people.dicts(after)
            orm = list(_people_after(after))
        assert queries[0]["sql"] == queries[1]["sql"] and read == orm
    assert [list(row) for row in read] == [["id", "name", "active", "manager__name"]] * len(read)
    assert {row["manager__name"] for row in people.dicts(0)} >= {None, "Victor Tech"}
    assert all(row["active"] is True for row in people.dicts(0))
    with pytest.raises(TypeError):
        people.objects(0)
    with pytest.raises(TypeError):
        TOKEN_READ.dicts(timezone.now(), "0" * 64)


def test_a_kept_values_query_with_more_than_columns_is_refused(db: None) -> None:
    def annotated(after: int) -> Any:
        return Person.objects.filter(pk__gt=after).annotate(shouted=Upper("name")).values("id", "shouted")[:10]

    with pytest.raises(AssertionError, match="more than columns"):
        KeptQuery(Person, annotated, parameters=("id",), samples=lambda: ((3,), (4,))).compiled(DEFAULT_DB_ALIAS)


def test_an_integer_its_column_cannot_hold_is_read_by_the_orm(cast: Cast) -> None:
    """A value past the column's integers (an address's id of 25 digits) is no SQL parameter the
    database takes (SQLite overflows): the ORM reads it, which knows that ``> 10**25`` matches
    nothing and ``> -10**25`` everything."""
    people = KeptQuery(Person, _people_after, parameters=("id",), samples=lambda: ((3,), (4,)))
    assert people.dicts(0)  # kept, with a value the column holds
    for after in (10**25, -(10**25)):
        assert people.dicts(after) == list(_people_after(after))
    assert people.dicts(10**25) == [] and people.dicts(-(10**25)) == people.dicts(0)
