"""Charts as Vega-Lite specifications, drawn to SVG on the server by vl-convert.

No JavaScript and no network: the page carries the SVG itself (vl-convert writes presentation
attributes, never a style attribute or a script, so the Content-Security-Policy holds), with a text
alternative beside it, and the same figures in the table next to each chart.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import vl_convert
from django.utils.safestring import SafeString, mark_safe

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FONT = "system-ui, sans-serif"
# Participants in the accent colour, the comparison group in grey: the same in every chart.
COLOURS = {"domain": ["Participants", "Matched comparison group"], "range": ["#1f6f8b", "#8a8f98"]}


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    alt: str


def render(spec: dict[str, Any], *, alt: str) -> Chart:
    spec = {
        "$schema": SCHEMA,
        # Room around the plot: a browser's font may run a little wider than the one the labels were
        # measured in on the server, and a legend's labels are never cut short.
        "padding": {"left": 36, "right": 12, "top": 6, "bottom": 6},
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "axis": {"labelFontSize": 11, "titleFontSize": 12},
            "legend": {"orient": "bottom", "labelLimit": 0, "direction": "horizontal"},
        },
        **spec,
    }
    return Chart(svg=_svg(json.dumps(spec, sort_keys=True)), alt=alt)


@functools.lru_cache(maxsize=256)
def _svg(spec: str) -> SafeString:
    """The same figures draw the same chart: a page shown again does not draw it again."""
    # vl-convert escapes every text it draws; the SVG holds no script, so it is safe to inline. The
    # picture itself is hidden from assistive technology: the wrapper's text alternative (and the
    # table beside it) say what it shows, instead of Vega's mark-by-mark roles.
    svg = vl_convert.vegalite_to_svg(json.loads(spec), config={"aria": False})
    return mark_safe(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


def forest(rows: list[dict[str, Any]], *, title: str, alt: str) -> Chart:
    """Differences (percentage points) with their 95 % intervals, one row each, a rule at zero."""
    y = {"field": "label", "type": "nominal", "title": None, "sort": None}
    x = {"field": "difference", "type": "quantitative", "title": title}
    return render(
        {
            "width": 420,
            "height": {"step": 28},
            "data": {"values": rows},
            "layer": [
                {"mark": {"type": "rule", "color": "#444"}, "encoding": {"x": {"datum": 0}}},
                {
                    "mark": {"type": "rule", "strokeWidth": 2, "color": "#1f6f8b"},
                    "encoding": {"y": y, "x": {**x, "field": "ci_low"}, "x2": {"field": "ci_high"}},
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 70, "color": "#1f6f8b"},
                    "encoding": {"y": y, "x": x},
                },
            ],
        },
        alt=alt,
    )


def rates(rows: list[dict[str, Any]], *, alt: str) -> Chart:
    """Each group's rate of each outcome, side by side."""
    return render(
        {
            "width": 360,
            "height": 160,
            "data": {"values": rows},
            "mark": "bar",
            "encoding": {
                "x": {"field": "outcome", "type": "nominal", "title": None, "axis": {"labelAngle": 0}},
                "xOffset": {"field": "group"},
                "y": {"field": "rate", "type": "quantitative", "title": "Share", "axis": {"format": "%"}},
                "color": {"field": "group", "type": "nominal", "scale": COLOURS, "title": None},
            },
        },
        alt=alt,
    )


def curves(rows: list[dict[str, Any]], *, alt: str) -> Chart:
    """Kaplan–Meier share promoted by month since the start, one step line per group."""
    return render(
        {
            "width": 420,
            "height": 200,
            "data": {"values": rows},
            "mark": {"type": "line", "interpolate": "step-after"},
            "encoding": {
                "x": {"field": "month", "type": "quantitative", "title": "Months since the programme started"},
                "y": {"field": "share", "type": "quantitative", "title": "Promoted", "axis": {"format": "%"}},
                "color": {"field": "group", "type": "nominal", "scale": COLOURS, "title": None},
            },
        },
        alt=alt,
    )


def balance(rows: list[dict[str, Any]], *, alt: str) -> Chart:
    """Standardised mean differences before and after matching, with the usual 0.1 guide lines."""
    y = {"field": "covariate", "type": "nominal", "title": None, "sort": None}
    return render(
        {
            "width": 360,
            "height": {"step": 22},
            "data": {"values": rows},
            "layer": [
                {
                    "data": {"values": [{"x": -0.1}, {"x": 0.1}]},
                    "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#999"},
                    "encoding": {"x": {"field": "x", "type": "quantitative"}},
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 60},
                    "encoding": {
                        "y": y,
                        "x": {"field": "smd", "type": "quantitative", "title": "Standardised mean difference"},
                        "color": {
                            "field": "when",
                            "type": "nominal",
                            "title": None,
                            "scale": {"domain": ["Before matching", "After matching"], "range": ["#c0392b", "#1f6f8b"]},
                        },
                    },
                },
            ],
        },
        alt=alt,
    )


def funnel(rows: list[dict[str, Any]], *, alt: str, axis_title: str = "People") -> Chart:
    """How many reached each step (or any count by label), one bar per row, in order."""
    return render(
        {
            "width": 360,
            "height": {"step": 22},
            "data": {"values": rows},
            "mark": {"type": "bar", "color": "#1f6f8b"},
            "encoding": {
                "y": {"field": "step", "type": "nominal", "title": None, "sort": None},
                "x": {"field": "people", "type": "quantitative", "title": axis_title},
            },
        },
        alt=alt,
    )


def reach_by_group(rows: list[dict[str, Any]], *, alt: str) -> Chart:
    """Each shown group's share reaching each step, one line per group."""
    return render(
        {
            "width": 420,
            "height": 180,
            "data": {"values": rows},
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "step", "type": "nominal", "title": None, "sort": None, "axis": {"labelAngle": -30}},
                "y": {"field": "share", "type": "quantitative", "title": "Share of the group", "axis": {"format": "%"}},
                "color": {"field": "group", "type": "nominal", "title": None},
            },
        },
        alt=alt,
    )


def grouped(
    rows: list[dict[str, Any]],
    *,
    category: str,
    value: str,
    group: str,
    alt: str,
    axis_title: str,
    percent: bool = False,
) -> Chart:
    """One bar per group within each category (check-in answers by side, skills before and now,
    people with and without a sponsor), categories down the side."""
    axis = {"format": "%"} if percent else {}
    return render(
        {
            "width": 360,
            "height": {"step": 14},
            "data": {"values": rows},
            "mark": "bar",
            "encoding": {
                "y": {"field": category, "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 280}},
                "yOffset": {"field": group},
                "x": {"field": value, "type": "quantitative", "title": axis_title, "axis": axis},
                "color": {"field": group, "type": "nominal", "title": None},
            },
        },
        alt=alt,
    )
