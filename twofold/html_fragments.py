"""``format_html`` without its per-value overhead, for pages that write many rows in Python.

Django's ``format_html`` escapes each value with ``conditional_escape``, whose ``escape`` is wrapped
by ``keep_lazy``: every value pays for a scan of the arguments for lazy strings, several function
calls deep. A page of fifty rows of a dozen values (the directory, the review board) pays that some
700 times. :func:`format_html` here gives the same answer (each value escaped as ``conditional_escape``
escapes it: text with ``__html__`` as it says, anything else through ``html.escape``); a test holds
the two equal for every kind of value.
"""

from __future__ import annotations

import html
from typing import Any

from django.utils.functional import Promise
from django.utils.safestring import SafeString


def escaped(value: Any) -> str:
    """``value`` as ``conditional_escape`` escapes it."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def format_html(format_string: str, *args: Any, **kwargs: Any) -> SafeString:
    """Django's ``format_html``: ``format_string`` filled with every value escaped, marked safe."""
    return SafeString(
        format_string.format(*map(escaped, args), **{name: escaped(value) for name, value in kwargs.items()})
    )
