"""``{% navigation %}``: the navigation bar of ``base.html`` (:func:`twofold.accounts.navigation.navigation_bar`)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from twofold.accounts.navigation import navigation_bar

register = template.Library()


@register.simple_tag(takes_context=True)
def navigation(context: template.Context) -> SafeString:
    return navigation_bar(context)
