"""twofold.html_fragments' format_html and format_html_join give Django's answers for every kind of
value the project writes with them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django import forms
from django.utils import html as django_html
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from twofold.html_fragments import escaped, format_html, format_html_join

HOSTILE = "<script>alert('x')</script> & \"Ünïcode\" {0} {name} <b>&\"'"


class Marked:
    def __html__(self) -> str:
        return "<i>marked</i>"

    def __str__(self) -> str:
        return "<never this>"


class Hostile(forms.Form):
    note = forms.CharField(label=HOSTILE, help_text=HOSTILE, initial=HOSTILE)


class TextSubclass(str):
    """Text of a subclass of str without ``__html__`` (escaped as plain text)."""


FORM = Hostile(data={"note": HOSTILE})

VALUES = [
    HOSTILE,
    "",
    TextSubclass(HOSTILE),
    mark_safe(f"<b>safe</b> {HOSTILE}"),
    SafeString(HOSTILE),
    lazy(lambda: HOSTILE, str)(),
    lazy(lambda: mark_safe("<b>lazy safe</b>"), SafeString)(),
    gettext_lazy("<b>&\"'"),
    gettext_lazy("Skills"),
    Marked(),
    FORM["note"],  # a bound field: its widget, drawn
    FORM["note"].label_tag(),
    FORM["note"].errors,
    12,
    0,
    -7,
    10**20,
    -3.5,
    Decimal("0.10"),
    date(2026, 3, 1),
    datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    None,
    True,
    ["<b>", "&"],
]


@pytest.mark.parametrize("value", VALUES)
def test_every_value_is_escaped_as_django_escapes_it(value) -> None:
    assert escaped(value) == django_html.conditional_escape(value)
    template = '<a href="{}" title="{name}">{}</a>'
    ours = format_html(template, value, value, name=value)
    assert ours == django_html.format_html(template, value, value, name=value)
    assert isinstance(ours, SafeString)


@pytest.mark.parametrize("sep", ["", "\n", " & <br> ", mark_safe("<br>"), gettext_lazy("<b>&\"'")])
def test_format_html_join_is_django_s(sep) -> None:
    groups = [(value, value) for value in VALUES]
    ours = format_html_join(sep, "<p>{}{}</p>", iter(groups))
    assert ours == django_html.format_html_join(sep, "<p>{}{}</p>", iter(groups))
    assert isinstance(ours, SafeString)
    named = [{"name": value} for value in VALUES]
    assert format_html_join(sep, "<i>{name}</i>", named) == django_html.format_html_join(sep, "<i>{name}</i>", named)
    assert format_html_join(sep, "<i>{}</i>", []) == ""


def test_hostile_text_is_escaped() -> None:
    assert format_html("<p>{}</p>", HOSTILE) == (
        "<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Ünïcode&quot; {0} {name}"
        " &lt;b&gt;&amp;&quot;&#x27;</p>"
    )


def test_a_string_without_values_is_refused_not_marked_safe() -> None:
    with pytest.raises(TypeError):
        format_html(HOSTILE)
    assert format_html("<p>{}</p>", "") == "<p></p>"
