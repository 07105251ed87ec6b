"""``{{ figure|figure }}`` (:mod:`twofold.figures`) draws a released figure as the partial's template
did, for every kind of figure: shown, hidden, with and without a range, and a missing one."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string

from twofold.figures import figure_html
from twofold.privacy import Headcount, Mean, Scale

# partials/figure.html as it was before it called the filter.
PARTIAL = (
    '{% if figure.shown %}<span class="figure"{% if figure.range_text %} title="{{ figure.range_text }}"{% endif %}>'
    '{{ figure.display }}</span>{% else %}<span class="figure figure-hidden">{{ figure.display }}</span>{% endif %}'
)
FIVE = Scale(low=1, high=5)
SHARE = Scale(low=0, high=1, percent=True, noun="<pairs> & co")

FIGURES = [
    Headcount(value=12, k=5),
    Headcount(value=0, k=5),
    Headcount(value=None, k=5),
    Mean(k=5, scale=FIVE, answers=12, counted=10, value=4.25, low=3.5, high=4.75),
    Mean(k=5, scale=FIVE, answers=12, counted=10, value=3.0, low=None, high=None),
    Mean(k=5, scale=SHARE, answers=12, counted=10, value=0.5, low=0.4, high=0.6),
    Mean(k=5, scale=SHARE, answers=3, counted=0, value=None, low=None, high=None),
    Mean(k=5, scale=SHARE, answers=30, counted=0, value=None, low=None, high=None),
    None,
]


@pytest.mark.parametrize("figure", FIGURES)
def test_the_filter_writes_what_the_partial_wrote(figure: object) -> None:
    expected = Template(PARTIAL).render(Context({"figure": figure}))
    assert figure_html(figure) == expected
    assert Template("{% load figures %}{{ figure|figure }}").render(Context({"figure": figure})) == expected
    assert render_to_string("partials/figure.html", {"figure": figure}) == expected + "\n"


def test_the_words_of_a_figure_are_escaped() -> None:
    written = figure_html(FIGURES[-2])
    assert "&lt;pairs&gt; &amp; co" in written and "<pairs>" not in written
