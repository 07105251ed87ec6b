"""The addresses of the static files every page links (``base.html``), worked out once per process.

Django's ``{% static %}`` asks the static files storage on every page (joining and quoting the
address, or looking the name up in collectstatic's manifest), and django-htmx's ``{% htmx_script %}``
does the same for htmx. Neither answer can change while a process runs: the storage reads its
settings and its manifest once, when it is made. So each is kept, keyed by what it depends on (the
script prefix, ``DEBUG``), and forgotten when a test changes the settings the storage reads.
"""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django_htmx.jinja import htmx_script as django_htmx_script

register = template.Library()

# What Django's own staticfiles_storage is remade for when a test changes it (django.test.signals).
_STORAGE_SETTINGS = {"STATICFILES_STORAGE", "STATIC_ROOT", "STATIC_URL", "STORAGES", "DEBUG"}


@functools.lru_cache(maxsize=256)
def _static(path: str, script_prefix: str, debug: bool) -> str:
    return static(path)


@functools.lru_cache(maxsize=8)
def _htmx(script_prefix: str, debug: bool) -> SafeString:
    return django_htmx_script()


@receiver(setting_changed)
def _storage_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _STORAGE_SETTINGS:
        _static.cache_clear()
        _htmx.cache_clear()


@register.simple_tag
def asset(path: str) -> str:
    """``{% static path %}``'s address, once per process."""
    return _static(path, get_script_prefix(), settings.DEBUG)


@register.simple_tag(takes_context=True)
def htmx_script(context: template.Context) -> str:
    """django-htmx's ``{% htmx_script %}`` (htmx 2, minified), once per process; as django-htmx's
    own each time when the page has a CSP nonce for it."""
    nonce = context.get("csp_nonce")
    if nonce is not None:
        return django_htmx_script(nonce=nonce)
    return _htmx(get_script_prefix(), settings.DEBUG)
