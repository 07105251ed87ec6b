"""The rows of the health page's "Pairs behind on meetings" table, written in Python.

Twenty-five rows, each with three dates through the ``date`` filter, cost the template engine a large
share of the health page; written here with :func:`format_html` (every value escaped) and the
filter's own function they cost a fraction of that. The markup is the template's as it was,
whitespace included: a test renders the old template fragment beside :func:`pairs_behind_html` and
holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date as Date
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.template.defaultfilters import date
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs
from django.utils.translation import get_language

from twofold.html_fragments import format_html

_ROW = (
    "\n      <tr>\n        <td>{mentor}</td>\n        <td>{mentee}</td>\n        <td>{last_met}</td>\n"
    "        <td>{due}</td>\n        <td>{state}</td>\n      </tr>\n    "
)
_NOT_YET = "none yet (started {started})"
_IDLE = SafeString('<span class="badge warn">Idle</span>')
_OVERDUE = SafeString('<span class="badge muted">Overdue</span>')
DAY = "j M Y"


@lru_cache(maxsize=1024)
def _day_written(day: Date, language: str | None) -> str:
    """A day as ``|date:"j M Y"`` writes it in ``language``: the same for every process, whatever
    the data (the format reads the day, month and year alone)."""
    return date(day, DAY)


def _day(value: Any) -> str:
    """``value|date:"j M Y"`` as the template wrote it (in the current time zone): formatting a
    date costs the date filter far more than the rest of a row, and a page repeats its days."""
    local = template_localtime(value)
    if not isinstance(local, datetime):
        return date(local, DAY)
    return _day_written(local.date(), get_language())


def pairs_behind_html(pairs: Iterable[Any]) -> SafeString:
    """The table's rows for pairs of :func:`~twofold.relationships.selectors.relationships_behind_on_meetings`."""
    return SafeString(
        "".join(
            format_html(
                _ROW,
                mentor=pair.mentor.name,
                mentee=pair.mentee.name,
                last_met=_day(pair.last_met_at)
                if pair.last_met_at
                else format_html(_NOT_YET, started=_day(pair.started_at)),
                due=_day(pair.meeting_due_at),
                state=_IDLE if pair.idle else _OVERDUE,
            )
            for pair in pairs
        )
    )
