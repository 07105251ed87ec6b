"""The navigation bar every page carries (``{% navigation %}`` in ``base.html``): the links the signed-in
user may follow, the page shown marked as current, and the sign-out form.

Drawn in Python rather than by template nodes: it is on every page, and Django's template engine
spent more on its loop, its conditions and its variable lookups than on everything else ``base.html``
draws. ``tests/accounts/test_navigation_markup.py`` renders the former template text beside
:func:`navigation_bar` for every role, hostile names included, and requires the same bytes.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.template import Context
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe

from twofold.accounts import permissions
from twofold.accounts.middleware import evaluated
from twofold.html_fragments import escaped
from twofold.site_links import id_path


class NavLink(NamedTuple):
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


def navigation(request: HttpRequest | None) -> dict[str, Any]:
    """The navigation of the page answering ``request``: ``home``; and for a signed-in user ``links``
    (the :class:`NavLink` this user may follow, in order, each marked when it is the page shown),
    ``logout``, ``account`` and ``account_current``.

    Asked of every page, so the addresses are reversed once per process, and the current page is told
    from the resolved URL rather than from the page's own variables.
    """
    script_prefix, urlconf = get_script_prefix(), get_urlconf()
    nav: dict[str, Any] = {"home": _url("home", script_prefix, urlconf)}
    user = evaluated(getattr(request, "user", None))
    if user is None or not user.is_authenticated:
        return nav
    match = getattr(request, "resolver_match", None)
    shown = {"url_name": match.url_name, "app_name": match.app_name} if match is not None else {}
    links = []
    if user.person_id:
        links.append(
            NavLink(
                "My programmes", _url("relationships:mine", script_prefix, urlconf), shown.get("url_name") == "mine"
            )
        )
        own_profile = match is not None and match.url_name == "person" and match.kwargs.get("pk") == user.person_id
        links.append(NavLink("My profile", id_path("people:person", pk=user.person_id), own_profile))
    decided: dict[str, bool] = {}
    for label, action, name, (part, value) in LINKS:
        if action not in decided:
            decided[action] = permissions.allowed(user, action)
        if decided[action]:
            links.append(NavLink(label, _url(name, script_prefix, urlconf), shown.get(part) == value))
    if decided["accounts.administer"]:
        links.append(NavLink("Admin", _url("admin:index", script_prefix, urlconf), False))
    nav.update(
        links=links,
        logout=_url("logout", script_prefix, urlconf),
        account=_url("account", script_prefix, urlconf),
        account_current=shown.get("url_name") == "account",
    )
    return nav


_CURRENT = ' aria-current="page"'
_CSRF = CsrfTokenNode()


def navigation_bar(context: Context) -> SafeString:
    """The page's ``<header>``: the brand; for a signed-in ``user`` (the template's variable) the links
    of :func:`navigation` and the sign-out form with its CSRF field (Django's ``{% csrf_token %}``).

    Every value is escaped as the template escaped it (``conditional_escape``, through
    :func:`twofold.html_fragments.escaped`): plain text escaped, text already marked safe as it is.
    """
    nav = navigation(context.get("request"))
    brand = (
        f'<header class="topbar">\n    <a class="brand" href="{escaped(nav["home"])}">'
        '<span class="brand-mark" aria-hidden="true">2</span> Twofold</a>\n    '
    )
    user: Any = context.get("user")
    if not getattr(user, "is_authenticated", False):
        return mark_safe(brand + "\n  </header>")
    links = "".join(
        f'<li><a href="{escaped(link.url)}"{_CURRENT if link.current else ""}>{escaped(link.label)}</a></li>'
        for link in nav.get("links", ())
    )
    roles = getattr(user, "role_names", None)
    who = escaped(user.get_full_name() or user.username)
    if roles:
        who += " · " + ", ".join(escaped(role) for role in roles)
    return mark_safe(
        f'{brand}\n    <nav aria-label="Main">\n      <ul>\n        {links}\n      </ul>\n    </nav>\n'
        f'    <form class="signout" method="post" action="{escaped(nav.get("logout", ""))}">\n'
        f"      {_CSRF.render(context)}\n"
        f'      <a class="who" href="{escaped(nav.get("account", ""))}"'
        f"{_CURRENT if nav.get('account_current') else ''}>{who}</a>\n"
        '      <button type="submit" class="link-button">Sign out</button>\n    </form>\n    \n  </header>'
    )
