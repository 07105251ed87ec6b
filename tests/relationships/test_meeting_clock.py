"""Each pair's row keeps its latest held meeting and how many were held, whatever changes them."""

from __future__ import annotations

from tests.relationships.pairing import DAY, NOW
from twofold.relationships.models import MeetingStatus, Relationship
from twofold.relationships.services import meeting_log, meeting_schedule, meeting_update


def test_logging_scheduling_holding_and_cancelling_keep_the_clock(cast, active: Relationship) -> None:
    first = meeting_log(relationship=active, person=cast.ana, starts_at=NOW + DAY, now=NOW + 2 * DAY)
    active.refresh_from_db()
    assert (active.last_met_at, active.meetings_held) == (first.starts_at, 1)
    planned = meeting_schedule(relationship=active, person=cast.ana, starts_at=NOW + 9 * DAY, now=NOW + 2 * DAY)
    active.refresh_from_db()
    assert (active.last_met_at, active.meetings_held) == (first.starts_at, 1)  # a plan is not a meeting
    meeting_update(meeting=planned, person=cast.ana, status=MeetingStatus.HELD, now=NOW + 10 * DAY)
    active.refresh_from_db()
    assert (active.last_met_at, active.meetings_held) == (planned.starts_at, 2)
    later = meeting_schedule(relationship=active, person=cast.ana, starts_at=NOW + 20 * DAY, now=NOW + 10 * DAY)
    meeting_update(meeting=later, person=cast.ana, status=MeetingStatus.CANCELLED, now=NOW + 11 * DAY)
    active.refresh_from_db()
    assert (active.last_met_at, active.meetings_held) == (planned.starts_at, 2)
