"""twofold.html_fragments.format_html gives Django's format_html's answer for every kind of value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import html as django_html
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe

from twofold.html_fragments import escaped, format_html

HOSTILE = "<script>alert('x')</script> & \"Ünïcode\" {0} {name}"


class Marked:
    def __html__(self) -> str:
        return "<i>marked</i>"

    def __str__(self) -> str:
        return "<never this>"


VALUES = [
    HOSTILE,
    "",
    mark_safe(f"<b>safe</b> {HOSTILE}"),
    lazy(lambda: HOSTILE, str)(),
    lazy(lambda: mark_safe("<b>lazy safe</b>"), SafeString)(),
    Marked(),
    12,
    -3.5,
    Decimal("0.10"),
    None,
    True,
]


@pytest.mark.parametrize("value", VALUES)
def test_every_value_is_escaped_as_django_escapes_it(value) -> None:
    assert escaped(value) == django_html.conditional_escape(value)
    template = '<a href="{}" title="{name}">{}</a>'
    ours = format_html(template, value, value, name=value)
    assert ours == django_html.format_html(template, value, value, name=value)
    assert isinstance(ours, SafeString)


def test_hostile_text_is_escaped() -> None:
    assert (
        format_html("<p>{}</p>", HOSTILE)
        == "<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Ünïcode&quot; {0} {name}</p>"
    )
