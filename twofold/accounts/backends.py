"""Signing in with a username and password."""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import HttpRequest

from twofold.accounts.passwords import is_demo_password
from twofold.accounts.sessions import account_read_with_session

logger = logging.getLogger(__name__)


def session_user(backend: Any, user_id: Any) -> Any:
    """A backend's ``get_user`` (Django's ``ModelBackend.get_user``, which refuses accounts that may
    not sign in): the account read with the request's session row when it is that one, with no
    second query; else read by its id."""
    account = account_read_with_session(user_id)
    if account is None:
        return ModelBackend.get_user(backend, user_id)
    return account if backend.user_can_authenticate(account) else None


class PasswordBackend(ModelBackend):
    """Django's username-and-password check, which never accepts the demo password in production, and
    no password at all when single sign-on hides them (``OIDC_HIDE_PASSWORDS``).

    Refusing it here, where every sign-in passes (the sign-in page, the admin, any future form),
    covers every way an account could still hold it: a demo run before production mode was turned
    on, a copied database, a person who chose it.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if settings.OIDC_HIDE_PASSWORDS and password is not None:
            # Passwords are switched off for single sign-on: not on the sign-in page, not in the admin.
            logger.info("Refused a password sign-in as %r: passwords are switched off (OIDC_HIDE_PASSWORDS)", username)
            return None
        if settings.PRODUCTION and password is not None and is_demo_password(password):
            logger.warning(
                "Refused a sign-in as %r with the demo password: it is never accepted in production", username
            )
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    get_user = session_user

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """ModelBackend's answer (the account's own grants and its groups'), in one plain query.

        The navigation asks on every page (:func:`twofold.accounts.permissions.can_import_people`):
        the account of a signed-in page comes with its permissions read in the session's query
        (:mod:`twofold.accounts.held_permissions`), so this reads them only for an account read
        another way, where Django's two ORM queries would cost about 2 ms of CPU to build and this
        one about 0.2 ms. Org admins and inactive accounts take Django's way (all, or none).
        """
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None or user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            with connection.cursor() as cursor:
                cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}
        return user_obj._perm_cache


@functools.cache
def _permissions_sql() -> str:
    """The query of :meth:`PasswordBackend.get_all_permissions`, its tables named by the models."""
    from twofold.accounts.models import User

    quote = connection.ops.quote_name
    user_grants = quote(User.user_permissions.through._meta.db_table)
    memberships = quote(User.groups.through._meta.db_table)
    group_grants = quote(Permission.group_set.through._meta.db_table)
    return (
        f"SELECT ct.app_label, p.codename FROM {quote(Permission._meta.db_table)} p "
        f"JOIN {quote(ContentType._meta.db_table)} ct ON ct.id = p.content_type_id "
        f"WHERE p.id IN (SELECT permission_id FROM {user_grants} WHERE user_id = %s "
        f"UNION SELECT gp.permission_id FROM {group_grants} gp "
        f"JOIN {memberships} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
    )
