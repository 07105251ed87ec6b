"""Absolute links into Twofold for emails and calendar files.

An email written while answering a request links to the address that request came to (its scheme,
host and port: whatever the manager typed into the browser reaches the same Twofold); one written
by a background worker or the daily run, with no request at hand, starts from the ``SITE_URL``
setting. Nothing hard-codes an address.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse


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


# Ids no row reaches, standing for the ids while an address is reversed once for every page; the
# URL patterns' fixed text is words and slashes.
_MARKS = {"pk": "7700000001", "meeting_id": "7700000002"}
_MARKED = re.compile("(" + "|".join(_MARKS.values()) + ")")


@functools.lru_cache(maxsize=256)
def _cut(name: str, id_names: tuple[str, ...], script_prefix: str, urlconf: object) -> tuple[str, ...] | None:
    """``name`` reversed with the marks as its ids, cut around them (marks at the odd places), the
    script prefix left whole; None when the marks cannot be told apart from the rest of the address
    (:func:`id_path` then reverses each time). Kept by URL name, script prefix and URL
    configuration: the URL patterns are fixed while a process runs."""
    address = reverse(name, kwargs={id_name: int(_MARKS[id_name]) for id_name in id_names})
    prefix = script_prefix if address.startswith(script_prefix) else ""
    pieces = _MARKED.split(address[len(prefix) :])
    if len(pieces) != 2 * len(id_names) + 1 or sorted(pieces[1::2]) != sorted(_MARKS[n] for n in id_names):
        return None
    return (prefix + pieces[0], *pieces[1:])


@receiver(setting_changed)
def _urls_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _cut.cache_clear()


def id_path(view_name: str, **ids: int) -> str:
    """``reverse(view_name, kwargs=ids)`` for integer ids named ``pk`` or ``meeting_id``, at the cost
    of filling them in: the address is reversed once per process with stand-in ids (reversing each
    row's link costs more than the rest of a row on a page of 50)."""
    pieces = _cut(view_name, tuple(sorted(ids)), get_script_prefix(), get_urlconf())
    if pieces is None:
        return reverse(view_name, kwargs=ids)
    values = {_MARKS[id_name]: str(int(value)) for id_name, value in ids.items()}
    return "".join(values[piece] if place % 2 else piece for place, piece in enumerate(pieces))


def id_paths(view_name: str) -> Callable[[int], str]:
    """:func:`id_path` of ``view_name`` for one id, ``pk``; refuses (``NoReverseMatch``) an address
    that takes no such id, at once. The address is cut once, under this request's script prefix and
    URL configuration: each row of a page then only writes its id in (asking for the prefix and the
    configuration per row, each a thread-local read, costs more than the rest of the link)."""
    pieces = _cut(view_name, ("pk",), get_script_prefix(), get_urlconf())
    if pieces is None:
        return lambda pk: id_path(view_name, pk=pk)
    before, _, after = pieces
    return lambda pk: before + str(int(pk)) + after
