"""Each pair's row keeps its latest held meeting and how many were held, whatever changes them."""

from __future__ import annotations

from tests.factories import acting
from tests.relationships.pairing import DAY, NOW
from twofold.relationships.models import MeetingStatus, Relationship
from twofold.relationships.services import meeting_log, meeting_schedule, meeting_update


def test_logging_scheduling_holding_and_cancelling_keep_the_clock(cast, active: Relationship) -> None:
    first = meeting_log(relationship=active, actor=acting(cast.ana), starts_at=NOW + DAY, now=NOW + 2 * DAY)
    active.refresh_from_db()
    assert (active.last_met_at, active.meetings_held) == (first.starts_at, 1)
    planned = meeting_schedule(relationship=active, actor=acting(cast.ana), starts_at=NOW + 9 * DAY, now=NOW + 2 * DAY)
    active.refresh_from_db()
    assert (active.last_met_at, active.meetings_held) == (first.starts_at, 1)  # a plan is not a meeting
    meeting_update(meeting=planned, actor=acting(cast.ana), status=MeetingStatus.HELD, now=NOW + 10 * DAY)
    active.refresh_from_db()
    assert (active.last_met_at, active.meetings_held) == (planned.starts_at, 2)
    later = meeting_schedule(relationship=active, actor=acting(cast.ana), starts_at=NOW + 20 * DAY, now=NOW + 10 * DAY)
    meeting_update(meeting=later, actor=acting(cast.ana), status=MeetingStatus.CANCELLED, now=NOW + 11 * DAY)
    active.refresh_from_db()
    assert (active.last_met_at, active.meetings_held) == (planned.starts_at, 2)


def test_a_resolved_concern_stays_resolved(cast, active: Relationship) -> None:
    import pytest

    from twofold.relationships.services import RelationshipStateConflict, concern_raise, concern_update

    active.programme.managers.add(cast.programme_manager)
    concern = concern_raise(relationship=active, actor=acting(cast.ana), text="We keep missing meetings.")
    concern_update(concern=concern, actor=cast.programme_manager, status="resolved", resolution="Talked to both.")
    with pytest.raises(RelationshipStateConflict, match="resolved"):
        concern_update(concern=concern, actor=cast.programme_manager, status="acknowledged")


def test_health_hides_averages_of_fewer_than_five_answers(cast, active: Relationship) -> None:
    from twofold.relationships.models import CheckIn
    from twofold.relationships.selectors import programme_health

    CheckIn.objects.create(
        relationship=active,
        person=cast.ana,
        point="fit",
        satisfaction=1,
        psychological_safety=1,
        progress=1,
        submitted_at=NOW,
    )
    health = programme_health(programme=active.programme, now=NOW)
    assert health.check_ins == 1
    assert not health.scores.overall["psychological_safety"].shown
    assert not health.scores.by_point["fit"]["psychological_safety"].shown
