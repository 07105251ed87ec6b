"""Insights snapshots: the pages read a report a worker computed, say how old it is, and refresh it.

These tests turn ``INSIGHTS_LIVE`` off (the other tests compute each page in its request) and run
the queued task themselves, as ``twofold worker`` would.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import Cast
from tests.factories import OPERATOR
from tests.insights.test_pages import Organisation, build_organisation, promote, text, today
from tests.people.test_views import signed_in
from twofold.insights.careers import careers_evidence
from twofold.insights.models import InsightsSnapshot, RefreshStatus
from twofold.insights.periods import period_as_of
from twofold.insights.report import programme_report
from twofold.insights.snapshots import View, snapshot_compute, snapshot_content, snapshot_refresh
from twofold.insights.tasks import insights_daily, insights_schedule, insights_snapshot_task
from twofold.operations.tasks import scheduled_runs
from twofold.programmes.models import Programme, ProgrammeState


@pytest.fixture(autouse=True)
def _from_snapshots(settings) -> None:  # type: ignore[no-untyped-def]
    settings.INSIGHTS_LIVE = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def org(cast: Cast) -> Organisation:
    """The organisation of tests/insights/test_pages.py: its estimate on the page is +40.0 pts."""
    return build_organisation()


def queued_snapshot_ids() -> list[int]:
    rows = DBTaskResult.objects.filter(task_path=insights_snapshot_task.module_path)
    return sorted(row.args_kwargs["args"][0] for row in rows)


def computed(programme: Programme | None, **filters: str) -> InsightsSnapshot:
    return snapshot_compute(snapshot_refresh(OPERATOR, View(programme=programme, **filters)).pk, with_pdf=False)


def test_a_view_never_computed_shows_its_progress_then_its_figures(
    org: Organisation,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    manager = signed_in(org.own_manager)
    page = reverse("insights:programme", args=[org.programme.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = manager.get(page)
    assert first.status_code == 200
    assert "Refresh waiting for a worker" in text(first) and "+40.0 pts" not in text(first)
    snapshot = InsightsSnapshot.objects.get(key=View(programme=org.programme).key)
    assert snapshot.status == RefreshStatus.QUEUED and snapshot.payload is None
    assert queued_snapshot_ids() == [snapshot.pk]
    # Asking again while it waits queues nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        manager.get(page)
    assert queued_snapshot_ids() == [snapshot.pk]
    # The progress card polls the page; while the refresh waits it comes back, updating itself.
    poll = manager.get(page, {"progress": "1"}, HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and 'hx-trigger="every 2s"' in poll.content.decode()

    insights_snapshot_task.call(snapshot.pk)  # what the worker does

    snapshot.refresh_from_db()
    assert snapshot.status == RefreshStatus.IDLE and snapshot.computed_at is not None and snapshot.pdf
    assert manager.get(page, {"progress": "1"}, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    shown = text(manager.get(page))
    assert "+40.0 pts" in shown
    assert f"computed at {timezone.localtime(snapshot.computed_at):%H:%M} , 0 minutes ago" in shown
    # The PDF is the one the worker made with the snapshot.
    pdf = manager.get(reverse("insights:report", args=[org.programme.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content == bytes(snapshot.pdf)


def test_figures_stay_as_computed_until_refreshed_and_say_their_age(
    org: Organisation,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    snapshot = computed(org.programme)
    InsightsSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=timezone.now() - timedelta(minutes=42))
    # Five more protégés promoted after the snapshot: the page keeps its figures, and says their age.
    unpromoted = [
        pair.mentee
        for pair in org.programme.relationships.select_related("mentee").order_by("pk")
        if not pair.mentee.career_events.filter(kind="promotion").exists()
    ]
    for person in unpromoted[:5]:
        promote(person, 100)
    manager = signed_in(org.own_manager)
    page = reverse("insights:programme", args=[org.programme.pk])
    before = text(manager.get(page))
    assert "+40.0 pts" in before and "42 minutes ago" in before
    csv = manager.get(reverse("insights:report", args=[org.programme.pk, "csv"])).content.decode()
    assert "+40.0 pts" in csv  # the downloads read the same snapshot as the page

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("insights:programme_refresh", args=[org.programme.pk]))
    assert response.status_code == 302 and response["Location"] == page
    snapshot.refresh_from_db()
    assert snapshot.status == RefreshStatus.QUEUED and snapshot.requested_by == org.own_manager
    assert queued_snapshot_ids() == [snapshot.pk]
    refreshing = text(manager.get(page))
    assert "+40.0 pts" in refreshing and "Refresh waiting for a worker" in refreshing  # old figures meanwhile

    insights_snapshot_task.call(snapshot.pk)

    after = text(manager.get(page))
    assert "0 minutes ago" in after, after
    now = careers_evidence(org.programme, as_of=today()).comparison
    assert now is not None and "+40.0 pts" not in after
    assert f"{100 * now.promotion.difference:+.1f} pts" in after


def test_a_snapshot_older_than_the_setting_is_queued_again_when_shown(
    org: Organisation,
    settings,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    snapshot = computed(org.programme)
    settings.INSIGHTS_SNAPSHOT_MAX_AGE = 3600
    InsightsSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=timezone.now() - timedelta(minutes=59))
    page = reverse("insights:programme", args=[org.programme.pk])
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(org.own_manager).get(page)
    assert queued_snapshot_ids() == []
    InsightsSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=timezone.now() - timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        shown = text(signed_in(org.own_manager).get(page))
    assert "+40.0 pts" in shown and "61 minutes ago" in shown
    assert queued_snapshot_ids() == [snapshot.pk]


def test_a_refresh_is_refused_to_who_may_not_see_the_view(
    cast: Cast,
    org: Organisation,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    snapshot = computed(org.programme)
    with django_capture_on_commit_callbacks(execute=True):
        other = signed_in(org.other_manager).post(reverse("insights:programme_refresh", args=[org.programme.pk]))
        employee = signed_in(cast.ana_user).post(reverse("insights:refresh"))
    assert other.status_code == 404 and employee.status_code == 403
    assert queued_snapshot_ids() == []
    assert list(InsightsSnapshot.objects.values_list("pk", "status")) == [(snapshot.pk, RefreshStatus.IDLE)]


@pytest.mark.parametrize("which", ["programme", "other"])
def test_the_report_read_back_is_the_report_computed(org: Organisation, which: str) -> None:
    """The snapshot changes when the figures are computed, never what they release: the one read
    back is, figure for figure and suppression for suppression, the one computed directly."""
    programme = getattr(org, which)
    for department in ("", "Sales", "Finance"):
        stored = snapshot_content(computed(programme, department=department))
        direct = programme_report(programme, as_of=today(), department=department or None)
        assert json.dumps(stored.as_json(), sort_keys=True) == json.dumps(direct.as_json(), sort_keys=True)
        assert stored.as_csv() == direct.as_csv()
    tiny = snapshot_content(computed(org.other)).as_json()
    assert tiny["careers"]["promotion_12m"]["suppressed"] is True
    assert tiny["careers"]["promotion_12m"]["difference"] is None


def test_the_period_reads_the_figures_as_of_the_end_of_a_year(
    cast: Cast,
    org: Organisation,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.INSIGHTS_LIVE = True
    this_day = today()
    last_year = this_day.year - 1
    Programme.objects.filter(pk=org.programme.pk).update(starts_on=date(last_year - 1, 3, 1))
    executive = signed_in(cast.executive)
    page = reverse("insights:programme", args=[org.programme.pk])
    response = executive.get(page, {"period": str(last_year)})
    assert response.status_code == 200
    shown = text(response)
    assert f"Figures up to the end of {last_year}" in shown
    assert f"read as of 31 December {last_year}" in shown
    stored = snapshot_content(
        InsightsSnapshot.objects.get(key=View(programme=org.programme, period=str(last_year)).key)
    )
    assert stored.as_of == date(last_year, 12, 31) == period_as_of(str(last_year), today=this_day)
    # A year before the programme began, or not a year: not among the choices, a clear 400.
    for period in (str(last_year - 5), "lately"):
        assert executive.get(page, {"period": period}).status_code == 400
        assert executive.get(reverse("insights:overview"), {"period": period}).status_code == 400
    assert InsightsSnapshot.objects.filter(period__in=(str(last_year - 5), "lately")).count() == 0


def test_the_overview_reads_its_own_snapshot_and_shows_each_viewer_their_programmes(
    cast: Cast, org: Organisation
) -> None:
    computed(None)
    mine = text(signed_in(org.own_manager).get(reverse("insights:overview")))
    assert "Rising leaders" in mine and "Another cohort" not in mine and "0 minutes ago" in mine
    everything = text(signed_in(cast.executive).get(reverse("insights:overview")))
    assert "Rising leaders" in everything and "Another cohort" in everything
    assert "Promotion against the comparison group, programme by programme" in everything
    # A programme started after the snapshot is named, not silently left out.
    Programme.objects.create(name="Started since", kind="sponsorship", state=ProgrammeState.RUNNING)
    later = text(signed_in(cast.executive).get(reverse("insights:overview")))
    assert "Not in these figures yet (they started after the last refresh): Started since." in later


def test_the_daily_run_books_the_next_and_queues_every_view(
    org: Organisation,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    assert insights_schedule(at="05:30").created
    assert not insights_schedule(at="05:30").created  # one chain of daily runs
    assert len(scheduled_runs(insights_daily)) == 1
    computed(org.programme, department="Sales")  # a filtered view someone asked for
    with django_capture_on_commit_callbacks(execute=True):
        result = insights_daily.call(at="05:30")
    started = Programme.objects.exclude(state=ProgrammeState.DRAFT).count()
    assert result["queued"] == started + 2  # each programme, the overview, and the Sales view
    assert InsightsSnapshot.objects.filter(status=RefreshStatus.QUEUED).count() == started + 2
    assert len(queued_snapshot_ids()) == started + 2
    assert len(scheduled_runs(insights_daily)) == 1  # tomorrow's, booked by the run


def test_a_payload_not_signed_here_is_never_unpickled(org: Organisation) -> None:
    """Only what this installation's worker wrote is read back: a row changed by hand (or copied from
    another installation) counts as never computed, so a crafted pickle never runs."""
    import pickle

    snapshot = computed(org.programme)
    assert snapshot_content(snapshot) is not None
    crafted = pickle.dumps({"not": "a report"})
    stored = bytes(snapshot.payload)
    tampered = stored[:100] + bytes([stored[100] ^ 1]) + stored[101:]
    for payload in (crafted, b"\0" * 32 + crafted, tampered):
        InsightsSnapshot.objects.filter(pk=snapshot.pk).update(payload=payload)
        snapshot.refresh_from_db()
        assert snapshot_content(snapshot) is None
