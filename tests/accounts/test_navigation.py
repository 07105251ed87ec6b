"""The navigation bar: the links each account may follow, the page shown marked as current."""

from __future__ import annotations

import re

from django.test import Client
from django.test.utils import override_script_prefix
from django.urls import reverse

from tests.conftest import Cast


def navigation(client: Client, url: str) -> list[tuple[str, str, bool]]:
    """(label, address, current) of each link in the page's main navigation."""
    page = client.get(url)
    assert page.status_code == 200
    bar = re.search(r'<nav aria-label="Main">(.*?)</nav>', page.content.decode(), re.DOTALL)
    assert bar is not None
    return [
        (label, href, "aria-current" in attributes)
        for href, attributes, label in re.findall(r'<a href="([^"]+)"([^>]*)>([^<]+)</a>', bar.group(1))
    ]


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_each_role_sees_its_own_links(cast: Cast) -> None:
    labels = {
        user.username: [label for label, _, _ in navigation(signed_in(user), reverse("account"))]
        for user in (cast.ana_user, cast.programme_manager, cast.executive, cast.admin)
    }
    assert labels["ana"] == ["My programmes", "My profile", "People"]
    assert labels["pm"] == ["Insights", "Programmes", "Concerns", "People"]
    assert labels["exec"] == ["My programmes", "My profile", "Insights", "People"]
    assert labels["admin"] == [
        "Insights", "Programmes", "Concerns", "People", "Import", "Audit log", "Data requests", "Webhooks", "Admin",
    ]  # fmt: skip


def test_links_lead_to_their_pages_and_mark_the_page_shown(cast: Cast) -> None:
    client = signed_in(cast.admin)
    links = navigation(client, reverse("relationships:concerns"))
    assert dict((label, href) for label, href, _ in links) == {
        "Insights": reverse("insights:overview"),
        "Programmes": reverse("programmes:list"),
        "Concerns": reverse("relationships:concerns"),
        "People": reverse("people:directory"),
        "Import": reverse("people:import"),
        "Audit log": reverse("audit:log"),
        "Data requests": reverse("dataprotection:requests"),
        "Webhooks": reverse("webhooks:list"),
        "Admin": reverse("admin:index"),
    }
    assert [label for label, _, current in links if current] == ["Concerns"]
    assert [label for label, _, current in navigation(client, reverse("audit:log")) if current] == ["Audit log"]


def test_my_profile_is_current_on_the_own_profile_only(cast: Cast) -> None:
    client = signed_in(cast.ana_user)
    own = navigation(client, reverse("people:person", args=[cast.ana.pk]))
    assert ("My profile", reverse("people:person", args=[cast.ana.pk]), True) in own
    other = navigation(client, reverse("people:person", args=[cast.lead_tech.pk]))
    assert [label for label, _, current in other if current] == []
    assert [label for label, _, current in navigation(client, reverse("relationships:mine")) if current] == [
        "My programmes"
    ]


def test_a_revoked_right_loses_its_link_on_the_next_page(cast: Cast) -> None:
    user = cast.programme_manager
    client = signed_in(user)
    assert "Programmes" in [label for label, _, _ in navigation(client, reverse("account"))]
    user.is_programme_manager = False
    user.save()
    assert [label for label, _, _ in navigation(client, reverse("account"))] == []


def test_the_addresses_follow_the_script_prefix(cast: Cast) -> None:
    """Served under a path (a proxy's SCRIPT_NAME), every link carries it, however often asked before."""
    client = signed_in(cast.admin)
    navigation(client, reverse("account"))
    account = reverse("account")
    with override_script_prefix("/twofold/"):
        response = client.get(account)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/twofold/concerns/"' in page and 'action="/twofold/logout/"' in page
    assert 'href="/twofold/"' in page  # the brand leads home


def test_my_profile_follows_the_script_prefix(cast: Cast) -> None:
    client = signed_in(cast.ana_user)
    profile = reverse("people:person", args=[cast.ana.pk])
    account = reverse("account")
    assert ("My profile", profile, False) in navigation(client, account)
    with override_script_prefix("/twofold/"):
        response = client.get(account)
    assert response.status_code == 200
    assert f'href="/twofold{profile}"' in response.content.decode()
