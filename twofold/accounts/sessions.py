"""The session engine (``SESSION_ENGINE``): Django's database sessions, each row tagged with its account.

See :class:`twofold.accounts.models.AccountSession` for why. The row is read together with the
account it names and the account's permissions, in one query: every signed-in request needs them, and
:class:`twofold.accounts.middleware.AuthenticationMiddleware` hands that account to the backend
(:func:`account_read_with_session`) instead of reading it a second time.

Every request that carries a session cookie asks that query, and building it with the ORM (the
filter, the join, the SQL) cost more CPU than everything else an empty page does: it is a
:class:`~twofold.accounts.kept_queries.KeptQuery`, its SQL built by the ORM once per process and
database, each request only binding its session key and the time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation
from django.db.models.query import MAX_GET_RESULTS
from django.utils import timezone

from twofold.accounts.held_permissions import held_permissions, keep_held_permissions
from twofold.accounts.kept_queries import KeptQuery
from twofold.accounts.models import AccountSession, User

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
            session = SESSION_READ.get(timezone.now(), self.session_key)
        except (AccountSession.DoesNotExist, SuspiciousOperation) as error:
            if isinstance(error, SuspiciousOperation):  # as Django's own engine reports it
                logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            self._session_key = None
            return None
        self.account = session.user
        if self.account is not None:
            keep_held_permissions(self.account, session.account_permissions)  # type: ignore[attr-defined]
        return session

    def create_model_instance(self, data: dict[str, Any]) -> AccountSession:
        session = super().create_model_instance(data)
        assert isinstance(session, AccountSession)
        try:
            session.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            session.user_id = None
        return session


def _session_with_account(now: datetime, session_key: str | None) -> Any:
    """What ``AccountSession.objects.select_related("user").get(session_key=…, expire_date__gt=now)``
    runs: the unexpired session ``session_key`` with its account, and as ``account_permissions`` the
    account's permission names (see :mod:`twofold.accounts.held_permissions`)."""
    queryset = AccountSession.objects.select_related("user").filter(session_key=session_key, expire_date__gt=now)
    queryset = queryset.annotate(account_permissions=held_permissions("user_id"))
    queryset = queryset.order_by()
    queryset.query.set_limits(high=MAX_GET_RESULTS)
    return queryset


def _session_samples() -> tuple[tuple[datetime, str], tuple[datetime, str]]:
    now = timezone.now()
    return (now, "0" * 32), (now - timedelta(days=1), "1" * 32)


# The WHERE clause names the expiry first (filter() sorts its keywords).
SESSION_READ = KeptQuery(
    AccountSession,
    _session_with_account,
    parameters=("expire_date", "session_key"),
    samples=_session_samples,
)


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
