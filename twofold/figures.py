"""``{{ figure|figure }}``: one released figure from :mod:`twofold.privacy` (a ``Mean`` or a
``Headcount``) as every page shows it: its value (with the range its bands allow as a tooltip),
or, hidden, why it is not shown, so that a hidden figure always reads the same.

``partials/figure.html`` draws a figure through this filter; tables of many figures call it
directly, which spares an ``{% include %}`` (a template of its own, its context pushed and popped)
for each cell. Registered as the template library ``figures`` in the settings.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter(name="figure")
def figure_html(figure: Any) -> SafeString:
    """The figure's ``<span>``; anything without a figure's fields reads as an empty hidden one, as
    the template's lookups read it."""
    display = getattr(figure, "display", "")
    if getattr(figure, "shown", False):
        range_text = getattr(figure, "range_text", "")
        if range_text:
            return format_html('<span class="figure" title="{}">{}</span>', range_text, display)
        return format_html('<span class="figure">{}</span>', display)
    return format_html('<span class="figure figure-hidden">{}</span>', display)
