"""The forms of the pair's page drawn by a renderer that writes Django's commonest widget and label
templates in Python.

Django draws each widget, each option of a radio list and each label through a template of its own;
the fields of the pair's page that are drawn for every request (a note's label naming the partner,
the agreement's values, who taught whom) spent more in those small templates than in anything they
hold. :class:`PairFormRenderer` is Django's own renderer (``DjangoTemplates``) with the templates
named in ``_WRITTEN`` written out here; any other template, and any value these functions do not
know how to write as the template would (a non-text label, a grouped choice, ...), goes to the
template itself. The HTML is character for character what the templates draw:
``tests/relationships/test_form_renderer.py`` draws every field of the page's forms both ways, with
hostile text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeData

from twofold.html_fragments import escaped


class _AsTemplate(Exception):
    """A value these functions do not write as the template would: let the template draw it."""


def _text(value: Any) -> str:
    """``{{ value }}`` for text (Django's autoescape; text is not localized)."""
    if isinstance(value, str):
        return escaped(value)
    if isinstance(value, Promise):  # a lazy translation: its text
        return escaped(str(value))
    raise _AsTemplate


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe value safe, else its text is escaped."""
    if isinstance(value, SafeData) and isinstance(value, str):
        return str(value)
    if isinstance(value, (str, int, float)):  # bool is an int; "%s" of each is its str()
        return escaped(str(value))
    raise _AsTemplate


def _attrs(attrs: Mapping[str, Any] | None) -> str:
    """``django/forms/widgets/attrs.html`` (and ``django/forms/attrs.html``; a label has None for no attributes)."""
    if attrs is None:
        return ""
    if not isinstance(attrs, dict):
        raise _AsTemplate
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: Mapping[str, Any]) -> str:
    """``django/forms/widgets/input.html``, with its closing newline."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{_attrs(widget["attrs"])}>\n'


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = _text(value) if value else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{shown}</textarea>\n'


_OPTION_TEMPLATES = frozenset({"django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html"})


def _input_option(option: Mapping[str, Any]) -> str:
    """``radio_option.html`` (or ``checkbox_option.html``) including ``input_option.html``, newlines and all."""
    if option["template_name"] not in _OPTION_TEMPLATES:
        raise _AsTemplate
    if not option["wrap_label"]:
        return _input(option) + "\n\n"
    option_id = option["attrs"].get("id")
    opening = f'<label for="{_text(option_id)}">' if option_id else "<label>"
    return f"{opening}{_input(option)} {_text(option['label'])}</label>\n\n"


def _multiple_input(widget: Mapping[str, Any]) -> str:
    """``django/forms/widgets/multiple_input.html`` (radio and checkbox lists), without option groups."""
    widget_id, css_class = widget["attrs"].get("id"), widget["attrs"].get("class")
    parts = [
        "<div",
        f' id="{_text(widget_id)}"' if widget_id else "",
        f' class="{_text(css_class)}"' if css_class else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            raise _AsTemplate
        parts.extend(f"<div>\n    {_input_option(option)}</div>" for option in options)
    parts.append("\n</div>\n")
    return "".join(parts)


def _label(context: Mapping[str, Any]) -> str:
    """``django/forms/label.html``."""
    if not context["use_tag"]:
        return f"{_text(context['label'])}\n"
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_text(context['label'])}</{tag}>\n"


def _widget(draw: Callable[[Mapping[str, Any]], str]) -> Callable[[Mapping[str, Any]], str]:
    return lambda context: draw(context["widget"])


# Each template by name, as it is written here (each draws what its file does, closing newlines
# included; the renderer strips the whole, as Django's does).
_INPUTS = ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "checkbox")
_WRITTEN: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{f"django/forms/widgets/{name}.html": _widget(lambda widget: _input(widget) + "\n") for name in _INPUTS},
    "django/forms/widgets/textarea.html": _widget(_textarea),
    "django/forms/widgets/radio.html": _widget(lambda widget: _multiple_input(widget) + "\n"),
    "django/forms/widgets/checkbox_select.html": _widget(lambda widget: _multiple_input(widget) + "\n"),
    "django/forms/label.html": _label,
}


class PairFormRenderer(DjangoTemplates):
    """Django's template renderer, with the templates of ``_WRITTEN`` written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        write = _WRITTEN.get(template_name)
        if write is not None:
            try:
                return write(context).strip()
            except _AsTemplate:
                pass
        return super().render(template_name, context, request=request)


PAIR_FORM_RENDERER = PairFormRenderer()
