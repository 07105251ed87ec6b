"""``{% form_fields form %}``: a form's fields as the pair's page draws them, each as
``relationships/partials/form_field.html`` draws it (``draw_field``); ``{% notice %}`` and
``{% form_errors form %}``, the page's notice and a form's errors.

Django draws each widget, and each option of a choice, through templates of its own: the blank
forms of the pair's page (logging and scheduling a meeting, the skill that moved, a check-in, a
concern, the ending) took about a fifth of the page's CPU, drawing the same HTML for every request.
A blank form says what each of its fields depends on (``blank_keys``, see
``twofold.relationships.forms``): each field is drawn once per process and reused by every form
whose field has that key (the skill list by every pair); a field without a key, and any other form
(bound, with errors or initial values), is drawn each time.
"""

from __future__ import annotations

import functools
from typing import Any

from django import forms, template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from twofold.html_fragments import format_html, format_html_join

register = template.Library()

# Blank fields differ by form, ids and skill catalogue, not by pair: a bound on what one process keeps.
_KEPT = 512
_drawn: dict[tuple[Any, ...], str] = {}


def _errors(field: forms.BoundField) -> SafeString:
    return format_html_join("", '<p class="error" role="alert">{}</p>', ((error,) for error in field.errors))


def _help(field: forms.BoundField) -> SafeString | str:
    if not field.help_text:
        return ""
    return format_html('<small class="muted" id="{}_helptext">{}</small>', field.auto_id, field.help_text)


def draw_field(field: forms.BoundField) -> SafeString:
    """``field`` as ``relationships/partials/form_field.html`` draws it (without ``wide``), written in
    Python: the template's own tags and lookups cost more than the widget they wrap. The template
    stays for the managers' pages; ``tests/relationships/test_pair_forms.py`` draws every form of the
    pair's page both ways. ``format_html`` escapes each value; the widget and its label come drawn
    (and escaped) by Django."""
    if field.is_hidden:
        return format_html("{}\n", field)
    widget_type = field.widget_type
    if widget_type == "radioselect":
        return format_html(
            '\n<fieldset class="field inline-choices">\n  <legend>{}</legend>\n  {}\n  {}\n  {}\n</fieldset>\n\n',
            field.label,
            field,
            _help(field),
            _errors(field),
        )
    if widget_type == "checkbox":
        return format_html(
            '\n<div class="field check-row">\n  {} {}\n  {}\n</div>\n\n', field, field.label_tag(), _errors(field)
        )
    return format_html(
        '\n<div class="{}">\n  {} {}\n  {}\n  {}\n</div>\n\n',
        "field wide" if widget_type in ("textarea", "selectmultiple") else "field",
        field.label_tag(),
        field,
        _help(field),
        _errors(field),
    )


def _draw(form: forms.Form) -> SafeString:
    # Safe: each part is escaped as draw_field drew it.
    return mark_safe("".join(draw_field(field) for field in form))


@register.simple_tag
def form_fields(form: forms.Form) -> SafeString:
    keys = getattr(form, "blank_keys", None)
    if keys is None:
        return _draw(form)
    parts: list[str] = []
    for field in form:
        key = keys.get(field.name)
        if key is None:
            parts.append(draw_field(field))
            continue
        drawn = _drawn.get(key)
        if drawn is None:
            if len(_drawn) >= _KEPT:
                _drawn.clear()
            drawn = _drawn[key] = draw_field(field)
        parts.append(drawn)
    # Safe: each part is escaped as draw_field drew it.
    return mark_safe("".join(parts))


NOTICE_TEMPLATE = "relationships/partials/notice.html"
ERRORS_TEMPLATE = "relationships/partials/form_errors.html"


@receiver(setting_changed)
def _templates_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "TEMPLATES":
        _drawn_empty.cache_clear()


@functools.cache
def _drawn_empty(template_name: str) -> SafeString:
    """What ``template_name`` draws when it has nothing to say (no notice, no errors): the same for
    the life of the process, drawn once."""
    return SafeString(get_template(template_name).render({}))


@register.simple_tag(takes_context=True)
def notice(context: template.Context) -> SafeString:
    """``relationships/partials/notice.html`` with the context's ``notice``; drawn only when there is one."""
    said = context.get("notice")
    if not said:
        return _drawn_empty(NOTICE_TEMPLATE)
    return SafeString(get_template(NOTICE_TEMPLATE).render({"notice": said}))


@register.simple_tag
def form_errors(form: forms.Form | None) -> SafeString:
    """``relationships/partials/form_errors.html`` for ``form``; drawn only when it has errors."""
    if not getattr(form, "errors", None):
        return _drawn_empty(ERRORS_TEMPLATE)
    return SafeString(get_template(ERRORS_TEMPLATE).render({"form": form}))
