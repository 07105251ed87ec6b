"""An account's Django permissions read with the session: no query of their own on a signed-in page,
and exactly Django's answer, fresh on every request."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from twofold.accounts import held_permissions, kept_queries
from twofold.accounts.backends import PasswordBackend
from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_READ

PAGE = "/account/"


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def may_import(client: Client) -> bool:
    """Whether the page's navigation offers the import (``has_perm("people.import_people")``)."""
    page = client.get(PAGE)
    assert page.status_code == 200
    return f'href="{reverse("people:import")}"' in page.content.decode()


def permission_reads(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries if query["sql"].startswith("SELECT ct.app_label")]


def page_queries(client: Client) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return queries


def test_a_signed_in_page_reads_the_permissions_with_the_session(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    user = cast.programme_manager
    user.user_permissions.add(permission("people.import_people"))
    client = signed_in(user)
    client.get(PAGE)
    with_session = page_queries(client)
    assert permission_reads(with_session) == []
    session_reads = [query["sql"] for query in with_session if 'FROM "accounts_accountsession"' in query["sql"]]
    assert len(session_reads) == 1 and '"auth_permission"' in session_reads[0]
    assert may_import(client)

    # As before: the backend's own query, one more on the same page.
    monkeypatch.setattr("twofold.accounts.sessions.keep_held_permissions", lambda account, held: None)
    apart = page_queries(client)
    assert len(permission_reads(apart)) == 1
    assert len(apart) == len(with_session) + 1
    assert may_import(client)


@pytest.mark.parametrize("kept", [True, False])
def test_a_grant_or_a_revocation_shows_on_the_next_request(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)  # read by the kept query or by the ORM
    user = cast.programme_manager
    client = signed_in(user)
    assert not may_import(client)
    user.user_permissions.add(permission("people.import_people"))
    assert may_import(client)
    user.user_permissions.clear()
    assert not may_import(client)
    stewards = Group.objects.create(name="HR data stewards")
    stewards.permissions.add(permission("people.import_people"))
    user.groups.add(stewards)
    assert may_import(client)
    stewards.permissions.clear()
    assert not may_import(client)
    stewards.permissions.add(permission("people.import_people"))
    assert may_import(client)
    user.groups.clear()
    assert not may_import(client)


def test_org_admins_and_inactive_accounts_answer_as_django_does(cast: Cast) -> None:
    admin = signed_in(cast.admin)
    page = admin.get(PAGE)
    assert may_import(admin)
    assert not hasattr(page.context["user"], "_perm_cache")  # left to Django's way: every permission
    assert ModelBackend().get_all_permissions(page.context["user"]) == {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")
    }
    user = cast.programme_manager
    user.user_permissions.add(permission("people.import_people"))
    client = signed_in(user)
    assert may_import(client)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(PAGE).status_code == 302  # signed out at once, as before


def read_with_session(client: Client) -> User:
    session = SESSION_READ.get(timezone.now(), client.cookies["sessionid"].value)
    account = session.user
    assert account is not None
    held_permissions.keep_held_permissions(account, session.account_permissions)
    return account


def test_the_session_reads_the_set_the_backends_read(cast: Cast) -> None:
    """The rule read in two places (the session's subquery, the backend's own query for an account
    read otherwise) gives Django's ModelBackend's answer in both."""
    stewards = Group.objects.create(name="HR data stewards")
    stewards.permissions.add(permission("people.import_people"), permission("accounts.view_user"))
    Group.objects.create(name="others").permissions.add(permission("accounts.change_user"))
    both, own, grouped, none = cast.programme_manager, cast.ana_user, cast.executive, cast.outsider
    for user in (both, grouped):
        user.groups.add(stewards)
    for user in (both, own):
        user.user_permissions.add(permission("accounts.view_user"), permission("people.view_person"))
    for user in (both, own, grouped, none):
        account = read_with_session(signed_in(user))
        with CaptureQueriesContext(connection) as queries:
            held = account.get_all_permissions()
        assert len(queries) == 0
        assert held == PasswordBackend().get_all_permissions(User.objects.get(pk=user.pk))
        assert held == ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
    assert read_with_session(signed_in(both)).get_all_permissions() == {
        "people.import_people", "accounts.view_user", "people.view_person",
    }  # fmt: skip
    assert read_with_session(signed_in(none)).get_all_permissions() == set()
