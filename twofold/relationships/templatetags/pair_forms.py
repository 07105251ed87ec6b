"""``{% form_fields form %}``: a form's fields as the pair's page draws them, each through
``relationships/partials/form_field.html``.

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
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

FIELD_TEMPLATE = "relationships/partials/form_field.html"
# Blank fields differ by form, ids and skill catalogue, not by pair: a bound on what one process keeps.
_KEPT = 512
_drawn: dict[tuple[Any, ...], str] = {}


def _draw(form: forms.Form) -> SafeString:
    field_template = get_template(FIELD_TEMPLATE)
    # Safe: each part is the field template's output, escaped as it drew it.
    return mark_safe("".join(field_template.render({"field": field}) for field in form))


@register.simple_tag
def form_fields(form: forms.Form) -> SafeString:
    keys = getattr(form, "blank_keys", None)
    if keys is None:
        return _draw(form)
    field_template = get_template(FIELD_TEMPLATE)
    parts: list[str] = []
    for field in form:
        key = keys.get(field.name)
        if key is None:
            parts.append(field_template.render({"field": field}))
            continue
        drawn = _drawn.get(key)
        if drawn is None:
            if len(_drawn) >= _KEPT:
                _drawn.clear()
            drawn = _drawn[key] = field_template.render({"field": field})
        parts.append(drawn)
    # Safe: each part is the field template's output, escaped as it drew it.
    return mark_safe("".join(parts))


NOTICE_TEMPLATE = "relationships/partials/notice.html"
ERRORS_TEMPLATE = "relationships/partials/form_errors.html"


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
