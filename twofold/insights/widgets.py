"""The insights filters' drop-downs written in Python.

Django renders a ``<select>`` through its form templates: one template for the list and one included
per option, each with its attributes' loop. The filters' four drop-downs (a department each of the
organisation's departments, a period each month) cost the template engine most of an insights page.
:class:`Select` writes the same markup with :func:`format_html` (every value escaped as the templates
escape it); a test renders Django's own ``forms.Select`` beside it, with hostile text, and holds the
two equal. Option groups, which the filters do not use, are left to Django's templates.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

from twofold.html_fragments import escaped, format_html


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """django/forms/widgets/attrs.html: `` name="value"`` for each, `` name`` for True, nothing for False."""
    return SafeString(
        "".join(
            f" {escaped(name)}" if value is True else f' {escaped(name)}="{escaped(str(value))}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


class Select(forms.Select):
    """``forms.Select``, its markup written in Python, byte for byte what its templates write."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        if self.template_name != forms.Select.template_name or any(group for group, _, _ in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        options = "".join(
            format_html(
                '\n  <option value="{}"{}>{}</option>\n',
                str(option["value"]),
                _attrs(option["attrs"]),
                localize(option["label"]),
            )
            for _, choices, _ in widget["optgroups"]
            for option in choices
        )
        return mark_safe(
            format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"])) + options + "\n</select>"
        )
