"""The period filter of the insights pages: the figures as they stood at the end of a year.

Every measure is read "as of" a day (what was recorded by then, and outcomes within their horizon
of it); the period picks that day: today, or the last day of an earlier year. The choices run from
the year the earliest programme started to the year before this one.
"""

from __future__ import annotations

from datetime import date

TODAY = ""


def period_choices(first_year: int | None, *, today: date) -> list[tuple[str, str]]:
    choices = [(TODAY, "Up to today")]
    if first_year is not None:
        choices += [(str(year), f"Up to the end of {year}") for year in range(today.year - 1, first_year - 1, -1)]
    return choices


def period_as_of(period: str, *, today: date) -> date:
    """The day a period's figures are read as of; an unknown period reads as today."""
    if not period.isdigit():
        return today
    return min(date(int(period), 12, 31), today)


def period_label(period: str) -> str:
    return "up to today" if not period.isdigit() else f"up to the end of {period}"
