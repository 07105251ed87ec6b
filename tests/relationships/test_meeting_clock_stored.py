"""Each pair stores its meeting clock (``meeting_due_at``, ``idle_from``); every write that changes
what it is computed from writes it again. The conftest checks every test here against the
definition; these tests pin each write path and the definition itself."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import acting
from tests.relationships.pairing import DAY, NOW
from twofold.programmes.services import programme_update
from twofold.relationships.meeting_clock import IDLE_AFTER_CADENCES, meeting_clock_refresh, meeting_clocks_stale
from twofold.relationships.models import Agreement, MeetingStatus, Relationship
from twofold.relationships.selectors import programme_health, relationships_behind_on_meetings
from twofold.relationships.services import agreement_update, meeting_log, meeting_schedule, meeting_update


def _clock(relationship: Relationship) -> tuple:
    relationship.refresh_from_db()
    return relationship.meeting_due_at, relationship.idle_from


def _expected(start, cadence: int) -> tuple:
    return start + timedelta(days=cadence), start + timedelta(days=IDLE_AFTER_CADENCES * cadence)


def test_a_proposal_has_no_clock(cast, proposed: Relationship) -> None:
    assert _clock(proposed) == (None, None)


def test_the_start_sets_the_clock(cast, active: Relationship) -> None:
    assert active.started_at is not None
    assert _clock(active) == _expected(active.started_at, active.agreement.cadence_days)


def test_held_meetings_move_the_clock_and_a_plan_does_not(cast, active: Relationship) -> None:
    cadence = active.agreement.cadence_days
    held = meeting_log(relationship=active, actor=acting(cast.ana), starts_at=NOW + DAY, now=NOW + 2 * DAY)
    assert _clock(active) == _expected(held.starts_at, cadence)
    planned = meeting_schedule(relationship=active, actor=acting(cast.ana), starts_at=NOW + 9 * DAY, now=NOW + 2 * DAY)
    assert _clock(active) == _expected(held.starts_at, cadence)
    meeting_update(meeting=planned, actor=acting(cast.ana), status=MeetingStatus.HELD, now=NOW + 10 * DAY)
    assert _clock(active) == _expected(planned.starts_at, cadence)
    meeting_update(meeting=planned, actor=acting(cast.ana), starts_at=NOW + 8 * DAY, now=NOW + 10 * DAY)
    assert _clock(active) == _expected(NOW + 8 * DAY, cadence)


def test_a_new_agreed_cadence_moves_the_clock(cast, active: Relationship) -> None:
    agreement_update(relationship=active, actor=acting(cast.ana), cadence_days=30)
    assert _clock(active) == _expected(active.started_at, 30)


def test_without_an_agreement_the_programme_cadence_runs_the_clock_and_its_change_moves_it(
    cast, active: Relationship
) -> None:
    programme = active.programme
    Agreement.objects.get(relationship=active).delete()
    assert _clock(active) == _expected(active.started_at, programme.cadence_days)
    programme_update(actor=cast.admin, programme=programme, cadence_days=programme.cadence_days + 7)
    assert _clock(active) == _expected(active.started_at, programme.cadence_days + 7)


def test_the_stale_helper_finds_a_clock_written_around_and_the_refresh_mends_it(cast, active: Relationship) -> None:
    Relationship.objects.filter(pk=active.pk).update(last_met_at=NOW + 5 * DAY)
    stale = meeting_clocks_stale(Relationship.objects.all())
    assert [pk for pk, _, _ in stale] == [active.pk]
    assert stale[0][2] == _expected(NOW + 5 * DAY, active.agreement.cadence_days)
    assert meeting_clock_refresh(Relationship.objects.filter(pk=active.pk)) == 1
    assert meeting_clocks_stale(Relationship.objects.all()) == []


def test_the_health_figures_and_list_follow_the_stored_clock(cast, active: Relationship) -> None:
    cadence = active.agreement.cadence_days
    start = active.started_at
    assert start is not None
    for days, overdue, idle in ((cadence - 1, 0, 0), (cadence + 1, 1, 0), (2 * cadence + 1, 1, 1)):
        health = programme_health(programme=active.programme, now=start + timedelta(days=days))
        assert (health.active, health.overdue_meetings, health.idle) == (1, overdue, idle)
        behind = list(relationships_behind_on_meetings(programme=active.programme, now=start + timedelta(days=days)))
        assert [(pair.pk, pair.meeting_due_at, pair.idle) for pair in behind] == [
            (active.pk, start + timedelta(days=cadence), bool(idle))
        ][: len(behind)]
        assert len(behind) == overdue


def test_the_reminders_run_on_the_cadence_the_stored_clock_counts(cast, active: Relationship, sponsored) -> None:
    # The reminders read the cadence in Python (the agreed one, else the programme's): the same
    # cadence as the stored clock's, with an agreement and without one.
    from twofold.relationships.reminders.due import _open_relationships, pair_facts

    agreement_update(relationship=active, actor=acting(cast.ana), cadence_days=21)
    Agreement.objects.get(relationship=sponsored).delete()
    facts = pair_facts(_open_relationships(), today=NOW.date())
    cadences = {fact.relationship.pk: fact.cadence_days for fact in facts}
    assert cadences == {active.pk: 21, sponsored.pk: sponsored.programme.cadence_days}
    for pair in Relationship.objects.filter(pk__in=cadences):
        assert pair.idle_from - pair.meeting_due_at == timedelta(days=(IDLE_AFTER_CADENCES - 1) * cadences[pair.pk])
