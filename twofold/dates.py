"""The span of dates Twofold accepts from forms, files, commands and services.

Python's calendar ends on 31 December 9999, and Twofold computes dates from the ones it is given: a
programme's end from its start and duration, a relationship's planned end, a meeting's end, the days
a reminder run looks ahead. Near the end of the calendar those sums overflow, and a page, a calendar
feed or a daily run fails. So every date that comes in is checked against this span by the service
(or the parser of a file or command) that takes it, and what is computed from a stored date stays
well inside the calendar. No date Twofold keeps (hire dates, careers, programmes, meetings) is
sensibly outside it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# The same span as moments, for filtering stored times: a row saved before the checks existed (a
# meeting on 31 December 9999) is left out of what computes with it rather than break it.
MOMENT_SPAN = (datetime.combine(EARLIEST_DATE, time.min, UTC), datetime.combine(LATEST_DATE, time.max, UTC))


def date_out_of_range(value: date | datetime, *, what: str) -> str | None:
    """Why ``value`` is refused, as a clause about ``what`` (e.g. "the start date") for the caller to
    punctuate; None when it is inside the span. A datetime is judged by its own calendar day."""
    day = value.date() if isinstance(value, datetime) else value
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return None
    return f"{what} must be between {EARLIEST_DATE.year} and {LATEST_DATE.year}, not {day.isoformat()}"
