"""The insights filters' drop-downs written in Python (:mod:`twofold.insights.widgets`) are the
markup Django's ``forms.Select`` templates write, byte for byte, with hostile text anywhere."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.utils.safestring import mark_safe

from tests.factories import PersonFactory, ProgrammeFactory
from twofold.insights.forms import InsightsFilter
from twofold.insights.widgets import Select
from twofold.programmes.models import Programme

HOSTILE = "<script>alert('x')</script> & \"Ünïcode\" {}"

CHOICES = [
    ("", "All of them"),
    (HOSTILE, HOSTILE),
    (2025, "2025"),
    ("R&D", mark_safe("<b>already safe</b>")),
    (None, "nothing"),
    # Labels that are not text: the template localizes them (a date as "1 Jan. 2025", a number as
    # the locale writes it).
    ("day", date(2025, 1, 1)),
    (1234567, 1234567.5),
]


@pytest.mark.parametrize("value", ["", HOSTILE, 2025, "2025", "R&D", None, "unknown", ["R&D"]])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_x"}, {"id": HOSTILE, "class": "a b", "disabled": True, "hidden": False, "data-n": 3}],
)
def test_the_markup_is_djangos_select_byte_for_byte(value, attrs) -> None:
    for name in ("department", HOSTILE):
        expected = forms.Select(choices=CHOICES, attrs={"required": True}).render(name, value, attrs)
        written = Select(choices=CHOICES, attrs={"required": True}).render(name, value, attrs)
        assert written == expected
    assert Select(choices=[]).render("empty", None) == forms.Select(choices=[]).render("empty", None)


def test_option_groups_are_left_to_djangos_templates() -> None:
    grouped = [("Group <1>", [("a", "A"), ("b", HOSTILE)]), ("c", "C")]
    assert Select(choices=grouped).render("g", "b") == forms.Select(choices=grouped).render("g", "b")


def test_every_text_is_escaped() -> None:
    written = Select(choices=CHOICES).render(HOSTILE, HOSTILE, {"id": HOSTILE})
    assert "<script>" not in written and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in written
    assert "<b>already safe</b>" in written


@pytest.mark.django_db
def test_the_filter_form_is_what_djangos_widgets_wrote() -> None:
    ProgrammeFactory(name=HOSTILE, starts_on=date(2025, 3, 1))
    ProgrammeFactory(name="Second", starts_on=date(2024, 9, 1))
    PersonFactory(department=HOSTILE)
    PersonFactory(department="R&D")
    programmes = Programme.objects.order_by("pk")
    for data in (None, {"department": "R&D", "started": "2025"}, {"department": "x", "programme": "999"}):
        form = InsightsFilter(data, programmes=programmes)
        written = [str(field) for field in form]
        for field in form.fields.values():
            field.widget = forms.Select(choices=field.widget.choices, attrs=field.widget.attrs)
        assert written == [str(field) for field in form]
        assert all(isinstance(field.widget, forms.Select) for field in form.fields.values())
