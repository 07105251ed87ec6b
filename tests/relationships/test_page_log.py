"""The pair's page reads one page of its meeting log, whatever the log's length, and still says what
the whole log holds: its length, the next meeting, the last one held, a meeting already logged that
day, and the page that holds a meeting being edited."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import MeetingFactory
from tests.people.test_views import signed_in
from tests.relationships.pairing import DAY, NOW, pair_up
from twofold.accounts import kept_queries
from twofold.audit.models import AuditEntry
from twofold.relationships.models import Meeting, MeetingStatus, Relationship
from twofold.relationships.selectors import MEETINGS_PER_PAGE, relationship_page
from twofold.relationships.selectors import page as page_selectors


def _log(relationship: Relationship, held: int, *, start=NOW) -> list[Meeting]:  # type: ignore[no-untyped-def]
    return [
        MeetingFactory(relationship=relationship, starts_at=start - n * DAY, status=MeetingStatus.HELD)
        for n in range(held)
    ]


def test_one_page_of_the_log_is_read_and_the_summary_covers_all_of_it(cast: Cast, active: Relationship) -> None:
    held = _log(active, 25)
    # The next meeting is the earliest to come, far below the first page (newest first).
    coming = [
        MeetingFactory(
            relationship=active, starts_at=NOW + n * DAY, status=MeetingStatus.SCHEDULED, location=f"Room {n}"
        )
        for n in range(12, 1, -1)
    ]
    page = relationship_page(relationship_id=active.pk, viewer=cast.ana, now=NOW + DAY, meetings_page=1)
    assert page.meeting_count == 36
    assert [m.id for m in page.meetings] == [m.pk for m in coming[:MEETINGS_PER_PAGE]]
    assert page.next_meeting is not None and page.next_meeting.location == "Room 2"
    assert page.last_held_at == held[0].starts_at
    # Counted in SQL for a page, or from the whole log loaded: the same summary.
    whole = relationship_page(relationship_id=active.pk, viewer=cast.ana, now=NOW + DAY)
    assert len(whole.meetings) == whole.meeting_count == 36
    assert (whole.next_meeting, whole.last_held_at) == (page.next_meeting, page.last_held_at)
    assert whole.check_ins_due == page.check_ins_due
    last = relationship_page(relationship_id=active.pk, viewer=cast.ana, now=NOW + DAY, meetings_page="last")
    assert last.meetings_shown is not None and last.meetings_shown.number == 4
    assert [m.id for m in last.meetings] == [m.pk for m in held[-6:]]
    # Editing the oldest meeting opens the page that holds it.
    editing = relationship_page(relationship_id=active.pk, viewer=cast.ana, now=NOW + DAY, meeting_in_view=held[-1].pk)
    assert editing.meeting(held[-1].pk) is not None and editing.meetings_shown.number == 4  # type: ignore[union-attr]


# What the meeting log drawn alone (htmx) and a meeting logged (a plain post) may cost in queries.
FRAGMENT_QUERIES = 7
POST_QUERIES = 9


@pytest.mark.parametrize("size", [3, 40])
def test_the_page_reads_at_most_a_page_of_meetings_whatever_the_log(
    cast: Cast, active: Relationship, size: int
) -> None:
    _log(active, size)
    client = signed_in(cast.ana_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("relationships:detail", args=[active.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('id="meeting-') == min(size, MEETINGS_PER_PAGE)
    # The meetings' rows are read with a limit of one page, never the whole log.
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "relationships_meeting"."id"')]
    assert len(reads) == 1 and f"LIMIT {MEETINGS_PER_PAGE}" in reads[0]


def test_a_meeting_logged_that_day_is_found_off_the_first_page(client, cast: Cast, reverse_mentoring) -> None:  # type: ignore[no-untyped-def]
    active = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=60))
    day = timezone.now() - timedelta(days=20)
    MeetingFactory(relationship=active, starts_at=day, status=MeetingStatus.HELD)
    _log(active, 15, start=timezone.now() - timedelta(days=1))  # the earlier meeting is on page 2
    client.force_login(cast.ana_user)
    url = reverse("relationships:meeting_log", kwargs={"pk": active.pk})
    when = timezone.localtime(day + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"starts_at": when, "duration_minutes": 45}).status_code == 400
    assert active.meetings.count() == 16
    assert client.post(url, {"starts_at": when, "duration_minutes": 45, "same_day": "yes"}).status_code == 302
    assert active.meetings.count() == 17


def test_a_meeting_on_a_later_page_opens_for_editing_there(client, cast: Cast, reverse_mentoring) -> None:  # type: ignore[no-untyped-def]
    active = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=60))
    oldest = _log(active, 23, start=timezone.now() - timedelta(days=1))[-1]
    client.force_login(cast.ana_user)
    page = client.get(reverse("relationships:meeting_edit", args=[active.pk, oldest.pk])).content.decode()
    assert f'action="/relationships/{active.pk}/meetings/{oldest.pk}/"' in page
    assert "Page 3 of 3" in page


def test_the_meeting_log_alone_reads_neither_the_partner_s_profile_nor_concerns(
    cast: Cast, active: Relationship
) -> None:
    _log(active, 3)
    client = signed_in(cast.ana_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("relationships:meetings", args=[active.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content.decode().count('id="meeting-') == 3
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "people_personskill" not in read and "relationships_concern" not in read
    # Nor the enrolments (what each wrote when they joined): only the partner's profile draws them.
    for table in (
        "relationships_knowledgetransfer",
        "relationships_checkin",
        "relationships_pairevent",
        "programmes_enrolment",
    ):
        assert table not in read
    assert len(queries.captured_queries) <= FRAGMENT_QUERIES
    with CaptureQueriesContext(connection) as queries:
        whole = client.get(reverse("relationships:detail", args=[active.pk])).content.decode()
    assert "Why you were matched" in whole and "Raise a concern" in whole
    assert "wants from it</h3>" in whole
    # The whole page reads the enrolments with the relationship, not in a query of their own.
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "programmes_enrolment"."id"')]
    assert [
        q
        for q in queries.captured_queries
        if '"programmes_enrolment"' in q["sql"] and "relationships_relationship" in q["sql"]
    ]


def test_a_form_posted_to_the_page_reads_none_of_the_pair_s_record_before_saving(
    client, cast: Cast, reverse_mentoring
) -> None:  # type: ignore[no-untyped-def]
    active = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=60))
    _log(active, 12, start=timezone.now() - timedelta(days=1))
    client.force_login(cast.ana_user)
    when = timezone.localtime(timezone.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("relationships:meeting_log", args=[active.pk]),
            {"starts_at": when, "duration_minutes": 45, "same_day": "yes"},
        )
    assert response.status_code == 302 and active.meetings.count() == 13
    read = " ".join(q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT"))
    for table in (
        "relationships_knowledgetransfer",
        "relationships_checkin",
        "relationships_pairevent",
        "programmes_enrolment",
    ):
        assert table not in read
    assert f"LIMIT {MEETINGS_PER_PAGE}" not in read  # no page of the log either
    assert len(queries.captured_queries) <= POST_QUERIES


def test_the_log_s_rows_write_their_dates_as_the_date_filter_does(cast: Cast, active: Relationship, settings) -> None:  # type: ignore[no-untyped-def]
    # A zone far from UTC, and meetings whose day there is not their day in UTC: a row written in
    # UTC would show the wrong hour and the wrong day.
    settings.TIME_ZONE = "Pacific/Chatham"
    meetings = _log(active, 3, start=NOW + timedelta(hours=3))
    for meeting in meetings:
        assert timezone.localtime(meeting.starts_at).date() != meeting.starts_at.astimezone(UTC).date()
    client = signed_in(cast.ana_user)
    page = client.get(reverse("relationships:meetings", args=[active.pk]), HTTP_HX_REQUEST="true").content.decode()
    written = Template('<strong>{{ at|date:"D j M Y, H:i" }}</strong>|the meeting of {{ at|date:"j F Y" }}</span>')
    for meeting in meetings:
        when, day = written.render(Context({"at": meeting.starts_at})).split("|")
        assert when in page and day in page
        edit = reverse("relationships:meeting_edit", kwargs={"pk": active.pk, "meeting_id": meeting.pk})
        assert f'href="{edit}"' in page


def test_each_row_names_its_status_as_the_model_does(cast: Cast, active: Relationship) -> None:
    for n, status in enumerate(MeetingStatus):
        MeetingFactory(relationship=active, starts_at=NOW - n * DAY, status=status)
    client = signed_in(cast.ana_user)
    page = client.get(reverse("relationships:meetings", args=[active.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert f'<span class="badge">{MeetingStatus.HELD.label}</span>' in page
    for status in (MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED):
        assert f'<span class="badge muted">{status.label}</span>' in page


def _people_read_alone(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "people_person"."id"')]


def test_the_viewer_s_record_comes_with_the_relationship(client, cast: Cast, reverse_mentoring) -> None:  # type: ignore[no-untyped-def]
    # Neither the page, its meeting log, nor a meeting logged (plain, htmx or refused) reads the
    # signed-in person's record on its own: it is the one the relationship's row came with, and
    # what reads it later in the request (the audit entry of the change names them) finds it there.
    active = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=60))
    _log(active, 3, start=timezone.now() - timedelta(days=1))
    when = timezone.localtime(timezone.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    page_url = reverse("relationships:detail", args=[active.pk])
    log_url = reverse("relationships:meeting_log", args=[active.pk])
    requests = (
        lambda: client.get(page_url),
        lambda: client.get(page_url, {"meetings": "last"}),
        lambda: client.get(reverse("relationships:meetings", args=[active.pk]), HTTP_HX_REQUEST="true"),
        lambda: client.post(log_url, {"starts_at": when, "duration_minutes": 45, "same_day": "yes"}),
        lambda: client.post(
            log_url, {"starts_at": when, "duration_minutes": 45, "same_day": "yes"}, HTTP_HX_REQUEST="true"
        ),
        lambda: client.post(log_url, {"starts_at": "never", "duration_minutes": 45}),
    )
    for user in (cast.ana_user, cast.vp_sales_user):
        client.force_login(user)
        for request in requests:
            with CaptureQueriesContext(connection) as queries:
                response = request()
            assert response.status_code in (200, 302, 400)
            assert _people_read_alone(queries) == []
    assert active.meetings.count() == 3 + 4
    entries = AuditEntry.objects.filter(action="relationships.meetings", target_id=str(active.pk))
    assert {entry.actor_name for entry in entries} == {
        f"{cast.ana.name} ({cast.ana_user.username})",
        f"{cast.vp_sales.name} ({cast.vp_sales_user.username})",
    }
    assert {entry.actor_person_id for entry in entries} == {cast.ana.pk, cast.vp_sales.pk}


@pytest.mark.parametrize("kept", [True, False])
def test_walking_the_log_shows_every_meeting_once_newest_first(
    cast: Cast, active: Relationship, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    """Page by page through the pair's page, the first (a kept read) and the later ones (the ORM's):
    every meeting once, in the log's order, meetings at the same time in the order they were logged."""
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
    size = 2 * MEETINGS_PER_PAGE + 5
    for n in range(size):
        MeetingFactory(relationship=active, starts_at=NOW - (n // 3) * DAY, status=MeetingStatus.HELD)
    in_order = list(
        Meeting.objects.filter(relationship=active).order_by("-starts_at", "pk").values_list("pk", flat=True)
    )
    client = signed_in(cast.ana_user)
    pages = -(-size // MEETINGS_PER_PAGE)
    shown: list[int] = []
    for number in range(1, pages + 1):
        response = client.get(reverse("relationships:detail", args=[active.pk]), {"meetings": number})
        assert response.status_code == 200
        page = response.content.decode()
        assert f"Page {number} of {pages}" in page
        rows = [int(pk) for pk in re.findall(r'<li id="meeting-(\d+)"', page)]
        assert len(rows) == min(MEETINGS_PER_PAGE, size - len(shown))
        shown += rows
    assert shown == in_order and len(set(shown)) == size


def test_a_page_size_changed_in_a_running_process_pages_the_log_s_first_page_too(
    cast: Cast, active: Relationship, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log's first page is a kept read whose LIMIT is written into its SQL: read once with one page
    size and then with another, the first page is the new size's, and the second follows it."""
    _log(active, 2 * MEETINGS_PER_PAGE)
    in_order = list(
        Meeting.objects.filter(relationship=active).order_by("-starts_at", "pk").values_list("pk", flat=True)
    )
    client = signed_in(cast.ana_user)
    url = reverse("relationships:detail", args=[active.pk])

    def shown(number: int) -> list[int]:
        page = client.get(url, {"meetings": number}).content.decode()
        return [int(pk) for pk in re.findall(r'<li id="meeting-(\d+)"', page)]

    assert shown(1) == in_order[:MEETINGS_PER_PAGE]
    monkeypatch.setattr(page_selectors, "MEETINGS_PER_PAGE", 4)
    assert shown(1) + shown(2) == in_order[:8]
