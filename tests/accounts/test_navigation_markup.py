"""The navigation bar drawn in Python (``{% navigation %}``, twofold.accounts.navigation.navigation_bar)
gives byte for byte what base.html's former template text gave, for every role, the page shown,
hostile names and every state of the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, engines
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils.safestring import mark_safe

from tests.conftest import Cast
from twofold.accounts.navigation import navigation, navigation_bar

# base.html's <header> as it was before {% navigation %}, with the context processor that filled ``nav``.
FORMER = (Path(__file__).parent / "former_navigation.html").read_text().removesuffix("\n")

HOSTILE = "<script>alert('x')</script> & \"{{ nav }}\" {0} %s"


def both(path: str, user: Any, **context: Any) -> tuple[str, str]:
    """(the former template's output, navigation_bar's) for ``user`` on the page at ``path``."""
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    request.user = user
    values = {"request": request, "user": user, **context}
    former = engines["django"].from_string(FORMER).template.render(Context({**values, "nav": navigation(request)}))
    return former, navigation_bar(Context(values))


@pytest.mark.parametrize("who", ["ana_user", "programme_manager", "executive", "admin"])
@pytest.mark.parametrize("page", ["account", "relationships:concerns", "audit:log", "relationships:mine", "profile"])
def test_each_role_on_each_page_as_the_former_template(cast: Cast, who: str, page: str) -> None:
    user = getattr(cast, who)
    path = reverse("people:person", args=[cast.ana.pk]) if page == "profile" else reverse(page)
    former, drawn = both(path, user, csrf_token="a-token")
    assert drawn == former
    assert '<nav aria-label="Main">' in drawn and 'name="csrfmiddlewaretoken" value="a-token"' in drawn


@pytest.mark.parametrize(
    "first, last, username",
    [
        (HOSTILE, HOSTILE, "hostile"),
        ("", "", HOSTILE[:150]),  # no name: the username shows
        ("Zoë", "O'Brien-Ünal", "zoe"),
        # A name already marked safe is written as it is, as the template wrote it: never escaped twice.
        ("", "", mark_safe("R&amp;D bot")),
    ],
)
def test_hostile_names_are_escaped_alike(cast: Cast, first: str, last: str, username: str) -> None:
    user = cast.ana_user
    user.first_name, user.last_name, user.username = first, last, username
    user.is_executive = user.is_programme_manager = True
    user.save()
    former, drawn = both(reverse("account"), user, csrf_token=HOSTILE)
    assert drawn == former
    assert "<script>" not in drawn


@pytest.mark.parametrize("token", [None, "", "NOTPROVIDED"])
def test_without_a_csrf_token_as_the_former_template(cast: Cast, token: str | None) -> None:
    context = {} if token is None else {"csrf_token": token}
    former, drawn = both(reverse("account"), cast.admin, **context)
    assert drawn == former and "csrfmiddlewaretoken" not in drawn


def test_signed_out_and_without_a_request_as_the_former_template(db: None) -> None:
    former, drawn = both(reverse("login"), AnonymousUser())
    assert drawn == former and "<nav" not in drawn
    assert navigation_bar(Context({})) == engines["django"].from_string(FORMER).template.render(
        Context({"nav": navigation(None)})
    )
