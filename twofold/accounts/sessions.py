"""The session engine (``SESSION_ENGINE``): Django's database sessions, each row tagged with its account.

See :class:`twofold.accounts.models.AccountSession` for why. The row is read together with the
account it names, in one query: every signed-in request needs both, and
:class:`twofold.accounts.middleware.AuthenticationMiddleware` hands that account to the backend
(:func:`account_read_with_session`) instead of reading it a second time.

Every request that carries a session cookie asks that query, and building it with the ORM (the
filter, the join, the SQL) cost more CPU than everything else an empty page does. Its SQL is built by
the ORM once per database connection object and kept (:func:`_session_query`): it depends only on the
models and the database's kind, which do not change while a process runs. Each request then only
binds its session key and the time, and turns the row into the session and its account as the ORM's
``get()`` would (``from_db`` and Django's ``RelatedPopulator``, the database's converters applied).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import django
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query import MAX_GET_RESULTS, get_related_populators  # type: ignore[attr-defined]
from django.utils import timezone

from twofold.accounts.models import AccountSession, User

# The kept query leans on the ORM's internals as Django 5.2 has them (get_related_populators, the
# compiler's select and klass_info, from_db): under another release the session is read through the
# ORM until the kept query is checked against that release's and this gate moved.
KEPT_QUERY = django.VERSION[:2] == (5, 2)

# The session of the request whose signed-in user is being found, while it is (and only then).
_session_being_read: ContextVar[SessionStore | None] = ContextVar("twofold_session_being_read", default=None)


class SessionStore(DatabaseSessionStore):
    # The account the session's row names, as read with the row; None before it is read or without one.
    account: User | None = None

    @classmethod
    def get_model_class(cls) -> type[AccountSession]:
        return AccountSession

    def _get_session_from_db(self) -> AccountSession | None:
        try:
            if self.session_key is None or not KEPT_QUERY:  # IS NULL is not the kept query's SQL
                session = _sessions_with_account().get(session_key=self.session_key, expire_date__gt=timezone.now())
            else:
                session = _session_read(self.session_key, timezone.now())
        except (AccountSession.DoesNotExist, SuspiciousOperation) as error:
            if isinstance(error, SuspiciousOperation):  # as Django's own engine reports it
                logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            self._session_key = None
            return None
        self.account = session.user
        return session

    def create_model_instance(self, data: dict[str, Any]) -> AccountSession:
        session = super().create_model_instance(data)
        assert isinstance(session, AccountSession)
        try:
            session.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            session.user_id = None
        return session


def _sessions_with_account() -> Any:
    return AccountSession.objects.select_related("user")


@dataclass(frozen=True)
class _SessionQuery:
    """The session query's SQL, as the ORM built it for one database, and what turns its row into
    objects as the ORM's ``get()`` does."""

    sql: str
    params: Callable[[BaseDatabaseWrapper, str, datetime], list[Any]]
    fields: slice
    attnames: list[str]
    populators: list[Any]
    columns: list[Any]
    converted: bool


# By database alias: the SQL depends on the models and the database's kind, fixed while a process runs.
_queries: dict[str, _SessionQuery] = {}


def session_query_of_orm(alias: str, session_key: str, now: datetime) -> Any:
    """The compiler of what ``AccountSession.objects.select_related("user").get(session_key=…,
    expire_date__gt=now)`` runs: the query whose SQL :func:`_session_query` keeps."""
    queryset = _sessions_with_account().using(alias).filter(session_key=session_key, expire_date__gt=now).order_by()
    queryset.query.set_limits(high=MAX_GET_RESULTS)
    return queryset.query.get_compiler(alias)


def _session_params(connection: BaseDatabaseWrapper, session_key: str, now: datetime) -> list[Any]:
    """The parameters of the session query: each value prepared as its lookup does (gt on the expiry,
    exact on the key), in the order its WHERE clause names them (``filter()`` sorts its keywords).
    :func:`_session_query` checks them against the ORM's."""
    meta = AccountSession._meta
    return [
        meta.get_field("expire_date").get_db_prep_value(now, connection),
        meta.get_field("session_key").get_db_prep_value(session_key, connection),
    ]


def _session_query(alias: str) -> _SessionQuery:
    kept = _queries.get(alias)
    if kept is not None:
        return kept
    sample_key, sample_now = "0" * 32, timezone.now()
    compiler = session_query_of_orm(alias, sample_key, sample_now)
    sql, sample_params = compiler.as_sql()
    if list(sample_params) != _session_params(connections[alias], sample_key, sample_now):
        raise AssertionError(f"the session query's parameters are not the ORM's: {sample_params!r}")
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    columns = [column[0] for column in select]
    kept = _SessionQuery(
        sql=sql,
        params=_session_params,
        fields=slice(fields[0], fields[-1] + 1),
        attnames=[column.target.attname for column in columns[fields[0] : fields[-1] + 1]],
        populators=get_related_populators(klass_info, select, alias),
        columns=columns,
        converted=bool(compiler.get_converters(columns)),
    )
    _queries[alias] = kept
    return kept


def _converted(row: tuple[Any, ...], columns: list[Any], connection: BaseDatabaseWrapper) -> list[Any]:
    """``row`` through the database's and the fields' converters, as ``SQLCompiler.get_converters``
    and ``apply_converters`` pass it (with this thread's connection: the kept query holds none)."""
    values = list(row)
    for position, column in enumerate(columns):
        for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            values[position] = converter(values[position], column, connection)
    return values


def _session_read(session_key: str, now: datetime) -> AccountSession:
    """The unexpired session ``session_key`` with its account, as the ORM's ``get()`` reads it (the
    same SQL, the same objects), without building the query again."""
    alias = router.db_for_read(AccountSession)
    query = _session_query(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(query.sql, query.params(connection, session_key, now))
        rows = cursor.fetchall()
    if not rows:
        raise AccountSession.DoesNotExist("AccountSession matching query does not exist.")
    if len(rows) > 1:  # the key is the primary key: never, as long as it is
        raise AccountSession.MultipleObjectsReturned(f"get() returned more than one AccountSession -- {len(rows)}")
    row = rows[0]
    if query.converted:
        row = _converted(row, query.columns, connection)
    session = AccountSession.from_db(alias, query.attnames, row[query.fields])
    for populator in query.populators:
        populator.populate(row, session)
    assert isinstance(session, AccountSession)
    return session


@contextmanager
def session_being_read(session: Any) -> Iterator[None]:
    """While the signed-in user of the request holding ``session`` is found (see :func:`account_read_with_session`)."""
    token = _session_being_read.set(session if isinstance(session, SessionStore) else None)
    try:
        yield
    finally:
        _session_being_read.reset(token)


def account_read_with_session(user_id: Any) -> User | None:
    """The account ``user_id``, as the query that read this request's session row found it; None when
    no session is being read, or its row names no account or another one (the caller reads it then)."""
    session = _session_being_read.get()
    account = session.account if session is not None else None
    return account if account is not None and account.pk == user_id else None
