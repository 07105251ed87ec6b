"""Figures and links that selectors write out for a page's rows read exactly as the template tags
they stand in for would write them: ``fixed_places`` as ``floatformat``, ``id_paths`` as ``reverse``."""

from __future__ import annotations

import random

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix

from twofold.decimals import fixed_places
from twofold.site_links import id_paths

VALUES = [0, 0.0, -0.0, 0.125, 0.005, -0.004, -0.005, 1.005, 2.675, 1e-7, 123456.789, -3.14159, 7, 1e10, 0.5, 0.045]


@pytest.mark.parametrize("places", [1, 2, 4])
def test_fixed_places_writes_what_floatformat_writes(places: int) -> None:
    spread = random.Random(places)
    values = VALUES + [spread.uniform(-1000, 1000) for _ in range(2000)]
    values += [round(spread.random() * 10, 3) for _ in range(2000)]  # halves at the last place
    template = Template("{% for value in values %}{{ value|floatformat:places }}|{% endfor %}")
    written = template.render(Context({"values": values, "places": places})).split("|")[:-1]
    assert written == [fixed_places(value, places) for value in values]


@pytest.mark.parametrize("view_name", ["people:person", "programmes:detail", "relationships:detail"])
def test_id_paths_give_the_addresses_reverse_gives(view_name: str) -> None:
    path = id_paths(view_name)
    for pk in (1, 7, 42, 918273645, 10**12):
        assert path(pk) == reverse(view_name, args=[pk])


@pytest.mark.parametrize("prefix", ["/", "/twofold/"])
def test_id_paths_write_the_script_prefix_reverse_writes(prefix: str) -> None:
    """Cut once under the request's script prefix (a Twofold served under a path): each link the
    address reverse gives under that prefix."""
    before = get_script_prefix()
    set_script_prefix(prefix)
    try:
        path = id_paths("people:person")
        assert [path(pk) for pk in (3, 77)] == [reverse("people:person", args=[pk]) for pk in (3, 77)]
        assert path(3).startswith(prefix)
    finally:
        set_script_prefix(before)


def test_id_paths_refuse_an_address_without_one_id() -> None:
    with pytest.raises(NoReverseMatch):
        id_paths("programmes:list")
