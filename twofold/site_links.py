"""Absolute links into Twofold for emails and calendar files.

An email written while answering a request links to the address that request came to (its scheme,
host and port: whatever the manager typed into the browser reaches the same Twofold); one written
by a background worker or the daily run, with no request at hand, starts from the ``SITE_URL``
setting. Nothing hard-codes an address.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def site_link(path: str, *, base_url: str | None = None) -> str:
    """``path`` (starting with /) on ``base_url`` (a request's ``scheme://host:port``), by default
    on the public address of this Twofold (``SITE_URL``)."""
    return (base_url or settings.SITE_URL).rstrip("/") + path


def site_host() -> str:
    """The host name of ``SITE_URL``; calendar UIDs end with it so that they are unique worldwide."""
    return urlsplit(settings.SITE_URL).hostname or "twofold.invalid"


def request_base_url(request: HttpRequest) -> str:
    """``scheme://host:port`` of the request (its Host header, checked against ``ALLOWED_HOSTS``)."""
    return request.build_absolute_uri("/").rstrip("/")


# An id no row reaches, standing for the id while an address is reversed once for a whole page.
_ID_MARK = 918273645


def id_paths(view_name: str) -> Callable[[int], str]:
    """``reverse(view_name, args=[pk])`` for many ids at the cost of one: the address is reversed
    once with a stand-in id, and each id is written in its place (reversing each row's link costs
    more than the rest of a row on a page of 50)."""
    prefix, mark, suffix = reverse(view_name, args=[_ID_MARK]).rpartition(str(_ID_MARK))
    if not mark:
        raise ValueError(f"{view_name} does not take one id")
    return lambda pk: f"{prefix}{int(pk)}{suffix}"
