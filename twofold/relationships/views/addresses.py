"""The addresses of a pair's pages and actions, reversed once per URL name and process rather than
once per link: the pair's page links to a dozen actions and to each meeting of its log, and each
``reverse()`` walks the URL patterns again.

An address is reversed once with marker ids in place of the real ones and kept cut at the markers;
each link then only puts its ids where the markers were. What is kept depends on the URL patterns
(fixed while the process lives), the script prefix and the URL configuration in force, and is kept
by all three, so that it is the address ``reverse()`` gives, for any ids
(``tests/relationships/test_page_rows.py``).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

# Ids no address holds otherwise: the URL patterns' fixed text is words and slashes.
_MARKS = {"pk": "7700000001", "meeting_id": "7700000002"}
_MARKED = re.compile("(" + "|".join(_MARKS.values()) + ")")


@functools.lru_cache(maxsize=256)
def _cut(name: str, id_names: tuple[str, ...], script_prefix: str, urlconf: object) -> tuple[str, ...] | None:
    """``name`` reversed with the marks as its ids, cut around them (marks at the odd places), the
    script prefix left whole; None when the marks cannot be told apart from the rest of the address
    (the caller then reverses each time)."""
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


def pair_address(name: str, **ids: int) -> str:
    """``reverse(name, kwargs=ids)`` for the integer ids of a pair's addresses (``pk``, ``meeting_id``)."""
    pieces = _cut(name, tuple(sorted(ids)), get_script_prefix(), get_urlconf())
    if pieces is None:
        return reverse(name, kwargs=ids)
    values = {_MARKS[id_name]: str(int(value)) for id_name, value in ids.items()}
    return "".join(values[piece] if place % 2 else piece for place, piece in enumerate(pieces))
