"""base.html's static addresses, kept once per process (twofold.operations.templatetags.page_assets),
render byte for byte as Django's ``{% static %}`` and django-htmx's ``{% htmx_script %}`` do."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines

BASE = Path(__file__).resolve().parents[1] / "twofold" / "templates" / "base.html"


def rendered(source: str) -> str:
    return engines["django"].from_string(source).render({"user": AnonymousUser()})


def with_djangos_tags(source: str) -> str:
    """base.html as it would be with Django's and django-htmx's own tags."""
    assert source.startswith("{% load navigation page_assets %}") and "{% asset '" in source
    return source.replace("{% load navigation page_assets %}", "{% load navigation static django_htmx %}").replace(
        "{% asset '", "{% static '"
    )


@pytest.mark.parametrize("debug", [False, True])
def test_base_html_renders_as_with_djangos_tags(settings, debug: bool) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = debug
    source = BASE.read_text()
    page = rendered(source)
    assert page == rendered(with_djangos_tags(source))
    assert '<link rel="stylesheet" href="/static/twofold/app.css">' in page
    assert ('data-debug="True"' in page) is debug  # django-htmx's debug script, with DEBUG only

    settings.STATIC_URL = "/assets/"  # a changed setting is followed, not the kept address
    moved = rendered(source)
    assert (
        moved == rendered(with_djangos_tags(source))
        and '<link rel="stylesheet" href="/assets/twofold/app.css">' in moved
    )
