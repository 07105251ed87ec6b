"""An account's Django permissions (the admin's grants), read by Twofold's backend in one query.

The navigation asks on every page whether the account may import people, so the backend reads the
account's own grants and its groups' together; it must answer exactly as Django's ModelBackend does.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import Cast
from twofold.accounts.backends import PasswordBackend
from twofold.accounts.models import User


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # permissions are cached per instance, as for each request


def test_own_and_group_grants_in_one_query_as_django_reads_them(cast: Cast) -> None:
    user = cast.programme_manager
    stewards = Group.objects.create(name="HR data stewards")
    stewards.permissions.add(permission("people.import_people"), permission("accounts.view_user"))
    user.groups.add(stewards)
    user.user_permissions.add(permission("accounts.view_user"), permission("people.view_person"))
    Group.objects.create(name="others").permissions.add(permission("accounts.change_user"))

    reader = fresh(user)
    with CaptureQueriesContext(connection) as queries:
        found = PasswordBackend().get_all_permissions(reader)
    assert len(queries) == 1
    assert found == {"people.import_people", "accounts.view_user", "people.view_person"}
    assert found == ModelBackend().get_all_permissions(fresh(user))
    assert fresh(user).has_perm("people.import_people")


def test_a_revoked_grant_is_gone_on_the_next_request(cast: Cast) -> None:
    user = cast.ana_user
    stewards = Group.objects.create(name="HR data stewards")
    stewards.permissions.add(permission("people.import_people"))
    user.groups.add(stewards)
    assert fresh(user).has_perm("people.import_people")
    stewards.permissions.clear()
    assert not fresh(user).has_perm("people.import_people")
    user.user_permissions.add(permission("people.import_people"))
    assert fresh(user).has_perm("people.import_people")
    user.user_permissions.clear()
    assert PasswordBackend().get_all_permissions(fresh(user)) == set()


def test_org_admins_hold_every_permission_and_inactive_accounts_none(cast: Cast) -> None:
    assert PasswordBackend().get_all_permissions(fresh(cast.admin)) == ModelBackend().get_all_permissions(
        fresh(cast.admin)
    )
    user = cast.programme_manager
    user.user_permissions.add(permission("people.import_people"))
    user.is_active = False
    user.save()
    assert PasswordBackend().get_all_permissions(fresh(user)) == set()
