"""The relationship's clock: when it is due to end, and when each check-in opens."""

from __future__ import annotations

import calendar
from datetime import datetime, time, timedelta

from django.utils import timezone

from twofold.relationships.models import CheckInPoint, Relationship, RelationshipState

# "Near the end": the end-point check-in, and completion, open this long before the planned end.
END_WINDOW = timedelta(days=14)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def relationship_planned_end(relationship: Relationship) -> datetime | None:
    """When an active relationship is due to end: its start plus the programme's duration, but no
    later than the end of the programme's cohort window, unless a programme manager extended it
    (``extended_until``). None before it starts."""
    if relationship.started_at is None:
        return None
    if relationship.extended_until is not None:
        # A programme manager let the pair run longer: to the end of that day, whatever the cohort's window.
        return timezone.make_aware(datetime.combine(relationship.extended_until + timedelta(days=1), time.min))
    programme = relationship.programme
    end = _add_months(relationship.started_at, programme.duration_months)
    if programme.ends_on is not None:
        window_end = timezone.make_aware(datetime.combine(programme.ends_on + timedelta(days=1), time.min))
        end = max(relationship.started_at, min(end, window_end))
    return end


def check_in_refusal(
    *, relationship: Relationship, point: str, has_held_meeting: bool, now: datetime
) -> tuple[str, str] | None:
    """Why ``point`` is not open to this relationship at ``now`` as ``(code, message)``; None when open.

    The programme switches each point on or off. The fit check opens after the first held meeting,
    the mid-point once half the planned duration has passed, the end point in the last
    :data:`END_WINDOW` before the planned end; the closing survey belongs to completion.
    """
    programme = relationship.programme
    if point == CheckInPoint.CLOSING:
        if relationship.state != RelationshipState.COMPLETED:
            return "not_completed", "The closing survey opens when the relationship is completed."
        return None
    switches: dict[str, bool] = {
        CheckInPoint.FIT: programme.checkin_after_first_meeting,
        CheckInPoint.MIDPOINT: programme.checkin_at_midpoint,
        CheckInPoint.END: programme.checkin_at_end,
    }
    if point not in switches:
        return "unknown_point", f"{point!r} is not a check-in point."
    label = CheckInPoint(point).label.lower()
    if not switches[point]:
        return "check_in_disabled", f"{programme.name} has no {label} check-in."
    if relationship.state != RelationshipState.ACTIVE:
        return "not_active", f"The {label} check-in is for active relationships; this one is {relationship.state}."
    if point == CheckInPoint.FIT:
        return None if has_held_meeting else ("check_in_not_open", "The fit check opens after the first meeting.")
    started, end = relationship.started_at, relationship_planned_end(relationship)
    assert started is not None and end is not None  # an active relationship has started
    opens = started + (end - started) / 2 if point == CheckInPoint.MIDPOINT else end - END_WINDOW
    if now < opens:
        return "check_in_not_open", f"The {label} check-in opens on {opens:%d %B %Y}."
    return None
