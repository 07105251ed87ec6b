"""The API's insights headlines are the page across programmes' snapshot: its figures, its time, its
refresh, each viewer seeing the programmes theirs to see."""

from __future__ import annotations

import pytest

from tests.api.test_flows import as_user
from tests.conftest import Cast
from tests.factories import ProgrammeFactory
from twofold.insights.models import InsightsSnapshot, RefreshStatus
from twofold.insights.snapshots import OverviewReport, View, snapshot_compute, snapshot_content
from twofold.programmes.models import ProgrammeState


@pytest.fixture(autouse=True)
def _from_snapshots(settings) -> None:  # type: ignore[no-untyped-def]
    settings.INSIGHTS_LIVE = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_headlines_are_read_from_the_snapshot_of_the_page_across_programmes(cast: Cast) -> None:
    mine = ProgrammeFactory(state=ProgrammeState.RUNNING, managers=[cast.programme_manager])
    other = ProgrammeFactory(state=ProgrammeState.RUNNING)
    executive = as_user(cast.executive, "insights:read")
    manager = as_user(cast.programme_manager, "insights:read")

    # Never computed: the call queues its refresh, as opening the page does, and says so.
    first = executive("GET", "/insights/programmes")
    assert first.status_code == 202
    assert first.json()["status"] == RefreshStatus.QUEUED
    assert (first.json()["programmes"], first.json()["computed_at"]) == ([], None)
    assert sorted(first.json()["pending_programme_ids"]) == sorted([mine.pk, other.pk])
    snapshot = InsightsSnapshot.objects.get(key=View(programme=None).key)
    assert snapshot.status == RefreshStatus.QUEUED

    # The worker computes it; the API answers with the page's figures and their time.
    snapshot = snapshot_compute(snapshot.pk, with_pdf=False)
    report = snapshot_content(snapshot)
    assert isinstance(report, OverviewReport)
    seen = executive("GET", "/insights/programmes")
    assert seen.status_code == 200
    body = seen.json()
    assert (body["status"], body["as_of"]) == (RefreshStatus.IDLE, report.as_of.isoformat())
    assert body["computed_at"] is not None and body["pending_programme_ids"] == []
    assert {row["programme_id"]: row["mentors"] for row in body["programmes"]} == {
        pk: headline.mentors for pk, headline in report.headlines.items()
    }

    # A programme manager sees theirs only.
    assert [row["programme_id"] for row in manager("GET", "/insights/programmes").json()["programmes"]] == [mine.pk]

    # A programme started since is not in those figures until the next refresh.
    later = ProgrammeFactory(state=ProgrammeState.RUNNING)
    after = executive("GET", "/insights/programmes").json()
    assert later.pk not in [row["programme_id"] for row in after["programmes"]]
    assert after["pending_programme_ids"] == [later.pk]
    assert InsightsSnapshot.objects.get(pk=snapshot.pk).status == RefreshStatus.IDLE
