"""An account's Django permissions (the admin's grants to it and to its groups), read inside the query
that reads the account, so that asking ``has_perm`` costs no query of its own.

The navigation asks on every page whether the account may import people
(:func:`twofold.accounts.permissions.can_import_people`, a ``has_perm``). The session read of every
signed-in request (:data:`twofold.accounts.sessions.SESSION_READ`) carries the account's permission
names as one more column, a subquery of the account's own grants and its groups', and Django's
``ModelBackend`` finds them where it keeps what it read (``_perm_cache``) on the account object of
that one request: a grant or a revocation shows on the next request, as it always did.

:meth:`twofold.accounts.backends.PasswordBackend.get_all_permissions` reads the same set in a plain
query for an account read any other way; ``tests/accounts/test_held_permissions.py`` holds the two
equal to ``ModelBackend``'s.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import CharField, Func, JSONField, OuterRef, Q, Subquery

from twofold.accounts.models import User


class _PermissionName(Func):
    """``app_label.codename``, the name ``has_perm`` is asked; the dot written into the SQL, not bound,
    so that the query's only parameters stay those its reader binds (a kept query's)."""

    template = "(%(expressions)s)"
    arg_joiner = " || '.' || "
    output_field = CharField()


class _JSONList(Func):
    """Its argument over every row as one JSON list: an aggregate with no GROUP BY, so one row, ``[]``
    over none (PostgreSQL's aggregate gives NULL over none)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="COALESCE(JSONB_AGG(%(expressions)s), '[]')", **extra)


def held_permissions(account_column: str) -> Subquery:
    """The names (``app_label.codename``) of the permissions granted to the account that the outer
    query's ``account_column`` names, or to a group of its, as a list: Django's
    ``ModelBackend.get_all_permissions`` of an active account that is not an org admin."""
    account = OuterRef(OuterRef(account_column))
    own = User.user_permissions.through.objects.filter(user_id=account).values("permission_id")
    groups = Permission.group_set.through.objects.filter(group__user=account).values("permission_id")
    held = Permission.objects.filter(Q(pk__in=own) | Q(pk__in=groups)).order_by()
    names = held.annotate(names=_JSONList(_PermissionName("content_type__app_label", "codename"))).values("names")
    return Subquery(names, output_field=JSONField())


def keep_held_permissions(account: User, held: list[str]) -> None:
    """Keep ``held`` (what :func:`held_permissions` read with ``account``) where Django's ModelBackend
    keeps the permissions it read for an account object, when it is the backend's answer: org admins
    hold every permission and inactive accounts none, which the backend answers as it always did."""
    if account.is_active and not account.is_superuser:
        account._perm_cache = set(held)  # type: ignore[attr-defined]
