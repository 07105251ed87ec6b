"""What the navigation bar offers the signed-in user."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

from twofold.accounts import permissions
from twofold.accounts.middleware import evaluated
from twofold.site_links import id_path


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


# (label, action the link needs, URL name, what marks the page as current: the URL name of the
# page shown, or its app's namespace). The account's own links (its programmes, its profile) come
# first, and the org admin's Django admin last.
LINKS = (
    ("Insights", "overview.view", "insights:overview", ("app_name", "insights")),
    ("Programmes", "programmes.create", "programmes:list", ("app_name", "programmes")),
    ("Concerns", "concerns.list", "relationships:concerns", ("url_name", "concerns")),
    ("People", "directory.view", "people:directory", ("url_name", "directory")),
    ("Import", "people.import", "people:import", ("url_name", "import")),
    ("Audit log", "accounts.administer", "audit:log", ("app_name", "audit")),
    ("Data requests", "accounts.administer", "dataprotection:requests", ("app_name", "dataprotection")),
    ("Webhooks", "accounts.administer", "webhooks:list", ("app_name", "webhooks")),
)


@functools.lru_cache(maxsize=64)
def _url(name: str, script_prefix: str, urlconf: object) -> str:
    """``reverse(name)``, once per process: the URL map is fixed while a process runs, and the key
    holds the script prefix that ``reverse`` puts in front and the URL configuration in force."""
    return reverse(name)


@receiver(setting_changed)
def _urls_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _url.cache_clear()


def url(name: str) -> str:
    """The address of the page named ``name`` (no arguments), as :func:`django.urls.reverse` gives it."""
    return _url(name, get_script_prefix(), get_urlconf())


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav``: the links of the navigation bar this user may follow, in order, each marked when it is
    the page shown; and the addresses of the links every page carries.

    Asked of every page, so the addresses are reversed once per process, and the current page is told
    from the resolved URL rather than from the page's own variables.
    """
    nav: dict[str, Any] = {"home": url("home")}
    user = evaluated(getattr(request, "user", None))
    if user is None or not user.is_authenticated:
        return {"nav": nav}
    match = getattr(request, "resolver_match", None)
    shown = {"url_name": match.url_name, "app_name": match.app_name} if match is not None else {}
    links = []
    if user.person_id:
        links.append(NavLink("My programmes", url("relationships:mine"), shown.get("url_name") == "mine"))
        own_profile = match is not None and match.url_name == "person" and match.kwargs.get("pk") == user.person_id
        links.append(NavLink("My profile", id_path("people:person", pk=user.person_id), own_profile))
    decided: dict[str, bool] = {}
    for label, action, name, (part, value) in LINKS:
        if action not in decided:
            decided[action] = permissions.allowed(user, action)
        if decided[action]:
            links.append(NavLink(label, url(name), shown.get(part) == value))
    if decided["accounts.administer"]:
        links.append(NavLink("Admin", url("admin:index"), False))
    nav.update(
        links=links,
        logout=url("logout"),
        account=url("account"),
        account_current=shown.get("url_name") == "account",
    )
    return {"nav": nav}
