"""The pair's row, the meeting log's figures and the next meeting's place, read by kept queries (the
ORM's SQL built once per process): the same SQL, rows and objects as the ORM's, and the same summary
as the whole log loaded."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.test_session_account import fields_of
from tests.conftest import Cast
from tests.factories import MeetingFactory
from tests.relationships.pairing import DAY, NOW
from twofold.accounts import kept_queries
from twofold.dates import MOMENT_SPAN
from twofold.relationships.models import Agreement, Meeting, MeetingStatus, Relationship
from twofold.relationships.selectors import MEETINGS_PER_PAGE, relationship_page
from twofold.relationships.selectors.page import LOG_FIGURES, NEXT_MEETING, PAIR, PAIR_WITH_ENROLMENTS


def _mixed_log(relationship: Relationship) -> list[Meeting]:
    """Held and scheduled meetings on both sides of NOW, two scheduled at the same time (told apart
    by id), and cancelled ones: enough later ones that the next meeting is not on the log's first page."""
    made = [
        MeetingFactory(relationship=relationship, starts_at=NOW - 3 * DAY, status=MeetingStatus.HELD),
        MeetingFactory(relationship=relationship, starts_at=NOW + 2 * DAY, status=MeetingStatus.HELD),
        MeetingFactory(relationship=relationship, starts_at=NOW - DAY, status=MeetingStatus.SCHEDULED, location="Past"),
        MeetingFactory(relationship=relationship, starts_at=NOW + DAY, status=MeetingStatus.SCHEDULED, location="A"),
        MeetingFactory(relationship=relationship, starts_at=NOW + DAY, status=MeetingStatus.SCHEDULED, location="B"),
        MeetingFactory(
            relationship=relationship, starts_at=NOW + 4 * DAY, status=MeetingStatus.SCHEDULED, location="C"
        ),
    ]
    made += [
        MeetingFactory(relationship=relationship, starts_at=NOW + n * DAY, status=MeetingStatus.CANCELLED)
        for n in range(50, 50 + MEETINGS_PER_PAGE)
    ]
    return made


@pytest.mark.parametrize("kept", [True, False])
@pytest.mark.parametrize("days", [-5, -3, -2, 0, 1, 3, 30])
def test_the_summary_counted_in_sql_is_the_one_of_the_whole_log(
    cast: Cast, active: Relationship, monkeypatch: pytest.MonkeyPatch, kept: bool, days: int
) -> None:
    """At every moment around the log's meetings, kept or read by the ORM: the length, the last
    meeting held, whether one was held by now and the next meeting (the first by id of two at the
    same time) are what the whole log loaded says."""
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
    made = _mixed_log(active)
    # Meetings saved before dates were checked, outside the span the log shows, count nowhere: not
    # among the rows, not in the figures, never the next meeting.
    for outside in (MOMENT_SPAN[0] - DAY, MOMENT_SPAN[1] + DAY):
        for status in (MeetingStatus.HELD, MeetingStatus.SCHEDULED):
            stray = MeetingFactory(relationship=active, starts_at=NOW, status=status, location="Stray")
            Meeting.objects.filter(pk=stray.pk).update(starts_at=outside)
    now = NOW + days * DAY
    counted = relationship_page(relationship_id=active.pk, viewer=cast.ana, now=now, meetings_page=1)
    # The next meeting is read on its own, not found on the page shown.
    assert counted.next_meeting is None or counted.next_meeting.starts_at not in [m.starts_at for m in counted.meetings]
    loaded = relationship_page(relationship_id=active.pk, viewer=cast.ana, now=now)
    assert counted.meeting_count == loaded.meeting_count == len(made) == len(loaded.meetings)
    assert "Stray" not in {meeting.location for meeting in loaded.meetings}
    assert counted.last_held_at == loaded.last_held_at
    assert counted._summary.held_by_now == loaded._summary.held_by_now == (days >= -3)
    assert counted.next_meeting == loaded.next_meeting
    expected = {-5: "Past", -3: "Past", -2: "Past", 0: "A", 1: "A", 3: "C", 30: None}[days]
    assert (counted.next_meeting.location if counted.next_meeting else None) == expected
    # Counted without the log's rows (the check-ins asked first): the same figures.
    alone = relationship_page(relationship_id=active.pk, viewer=cast.ana, now=now)
    assert alone.check_ins_due == loaded.check_ins_due
    assert alone._summary.held_by_now == loaded._summary.held_by_now


def _figures_values(relationship: Relationship, now: datetime) -> tuple[object, ...]:
    return (now, relationship.pk, *MOMENT_SPAN)


def test_the_kept_queries_are_the_orms(cast: Cast, active: Relationship) -> None:
    """The SQL kept once per process and the parameters bound each time are those the ORM builds,
    and the rows (dates converted as the ORM converts them) are the ORM's."""
    _mixed_log(active)
    for query, values in [
        (LOG_FIGURES, _figures_values(active, NOW)),
        (NEXT_MEETING, (active.pk, *MOMENT_SPAN, NOW + DAY, MeetingStatus.SCHEDULED.value)),
    ]:
        kept = query.compiled(DEFAULT_DB_ALIAS)
        sql, params = query.compiler_of_orm(DEFAULT_DB_ALIAS, values).as_sql()
        assert kept.kind == "rows" and kept.sql == sql
        assert query.params(connection, values) == list(params)
        with CaptureQueriesContext(connection) as queries:
            rows = query.rows(*values)
            orm = list(query.queryset(*values))
        assert queries[0]["sql"] == queries[1]["sql"]
        assert rows == orm and rows
        assert all(value.tzinfo is not None for value in rows[0] if isinstance(value, datetime))
    assert NEXT_MEETING.rows(active.pk, *MOMENT_SPAN, NOW + DAY, MeetingStatus.SCHEDULED.value) == [(NOW + DAY, "A")]
    held = {row[0]: row[1:] for row in LOG_FIGURES.rows(*_figures_values(active, NOW))}[MeetingStatus.HELD]
    assert held == (2, NOW - 3 * DAY, NOW + 2 * DAY, NOW + 2 * DAY)


@pytest.mark.parametrize("kept", [True, False])
def test_a_kept_read_of_rows_is_not_asked_for_objects(
    active: Relationship, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    """Asking the wrong kind fails whichever way the query is read, kept or by the ORM."""
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
    with pytest.raises(TypeError):
        LOG_FIGURES.objects(*_figures_values(active, NOW))
    with pytest.raises(TypeError):
        PAIR.rows(active.pk)


@pytest.mark.parametrize("with_agreement", [True, False])
def test_the_kept_pair_read_is_the_orms(cast: Cast, active: Relationship, with_agreement: bool) -> None:
    """The relationship the page starts from, kept: the ORM's SQL, and the same objects, each related
    one (the agreement too, or its absence) cached on it so that reading it asks nothing more."""
    if not with_agreement:
        Agreement.objects.filter(relationship=active).delete()
    related = ["programme", "mentor", "mentee", "agreement"]
    for query, names in [(PAIR, related), (PAIR_WITH_ENROLMENTS, [*related, "mentor_enrolment", "mentee_enrolment"])]:
        sql, params = query.compiler_of_orm(DEFAULT_DB_ALIAS, (active.pk,)).as_sql()
        assert query.compiled(DEFAULT_DB_ALIAS).sql == sql and list(params) == [active.pk]
        kept = query.get(active.pk)
        orm = Relationship.objects.select_related(*names).get(pk=active.pk)
        with CaptureQueriesContext(connection) as queries:
            for name in names:
                mine, theirs = getattr(kept, name, None), getattr(orm, name, None)
                assert (mine is None) == (theirs is None) and (
                    name != "agreement" or (mine is not None) == with_agreement
                )
                if mine is not None:
                    assert fields_of(mine) == fields_of(theirs)
        assert len(queries) == 0
        assert fields_of(kept) == fields_of(orm)
        with pytest.raises(Relationship.DoesNotExist):
            query.get(active.pk + 1000)
