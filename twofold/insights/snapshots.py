"""Insights snapshots: each view's report computed by a worker, stored, and read by the pages.

A programme's page, its table downloads, its report files and the page across programmes are all
read from the last :class:`~twofold.insights.models.InsightsSnapshot` of their view (programme,
department, period): one :class:`~twofold.insights.report.ProgrammeReport` (or
:class:`OverviewReport`), computed once by :func:`snapshot_compute` through the very functions the
pages used to call per request, serialized whole. A cell hidden in the report is hidden in every
file read from it, as before; only the moment it describes moved, and the pages say which.

Refreshing goes through :func:`snapshot_refresh` (``insights.refresh``): by a viewer's button, by a
page whose view was never computed, and each day by :func:`insights_refresh_all` for every
programme and the page across programmes. A refresh already queued or running is not queued twice.
With ``INSIGHTS_LIVE`` the report is computed inside the request instead, for small organisations
(and the tests): the page then always describes the records as they are.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from twofold.accounts import permissions
from twofold.insights.charts import Chart
from twofold.insights.evidence import Section, pipeline_section
from twofold.insights.models import IN_FLIGHT, InsightsSnapshot, RefreshStatus, SnapshotScope
from twofold.insights.periods import period_as_of
from twofold.insights.report import ProgrammeReport, programme_report
from twofold.insights.sections import CareersSection, careers_section, forest_chart
from twofold.insights.selectors import ProgrammeHeadline, programme_headlines
from twofold.programmes.models import Programme, ProgrammeState

logger = logging.getLogger(__name__)

# The version of what ``payload`` holds; a row of another version counts as never computed.
FORMAT = 1

Progress = Callable[[str, int, int], None]
PDF_STEP = 6  # after the report's five parts (twofold.insights.report.programme_report)


@dataclass
class OverviewReport:
    """The page across programmes, for every started programme; each viewer sees those theirs to see."""

    as_of: date
    department: str | None
    careers: dict[int, CareersSection] = field(default_factory=dict)
    headlines: dict[int, ProgrammeHeadline] = field(default_factory=dict)
    pipeline: Section | None = None
    # The forest chart of every programme, drawn once: the view of those who see them all.
    forest_ids: tuple[int, ...] = ()
    forest: Chart | None = None

    def forest_of(self, sections: list[CareersSection]) -> Chart | None:
        ids = tuple(section.programme.pk for section in sections)
        return self.forest if ids == self.forest_ids else forest_chart(sections)


@dataclass(frozen=True)
class View:
    """What a page shows: one programme (or all of them) with its department and period."""

    programme: Programme | None
    department: str = ""
    period: str = ""

    @property
    def scope(self) -> str:
        return SnapshotScope.OVERVIEW if self.programme is None else SnapshotScope.PROGRAMME

    @property
    def key(self) -> str:
        programme = "-" if self.programme is None else str(self.programme.pk)
        return f"{self.scope}:{programme}:{self.period}:{self.department}"


def started_programmes() -> Any:
    return Programme.objects.exclude(state=ProgrammeState.DRAFT).order_by("kind", "-starts_on", "name")


# --- who may refresh ---------------------------------------------------------------------------------


def can_refresh(user: Any, programme: Programme | None) -> bool:
    """A view's viewers may refresh it: a programme's page, those who see its insights; the page
    across programmes, anyone who sees the insights area."""
    if not permissions.can_see_overview(user):
        return False
    if programme is None:
        return True
    return permissions.insight_programmes(user, Programme.objects.filter(pk=programme.pk)).exists()


# --- reading -----------------------------------------------------------------------------------------


def snapshot_of(view: View) -> InsightsSnapshot | None:
    return InsightsSnapshot.objects.filter(key=view.key).first()


def snapshot_content(snapshot: InsightsSnapshot | None) -> Any:
    """The stored report, or ``None`` while none of this version was computed."""
    if snapshot is None or snapshot.payload is None or snapshot.format != FORMAT:
        return None
    stored = bytes(snapshot.payload)
    signature, pickled = stored[:SIGNATURE_BYTES], stored[SIGNATURE_BYTES:]
    if not constant_time_compare(signature, _signature(pickled)):
        # Written only by snapshot_compute below, signed with the secret key: anything else (a row
        # written by hand, another installation's copy) is never unpickled.
        logger.warning(
            "insights snapshot %s is not signed by this installation; it will be computed again", snapshot.key
        )
        return None
    try:
        return pickle.loads(pickled)
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError):
        logger.warning("insights snapshot %s could not be read; it will be computed again", snapshot.key)
        return None


SIGNATURE_BYTES = 32


def _signature(pickled: bytes) -> bytes:
    return salted_hmac("twofold.insights.snapshot", pickled, algorithm="sha256").digest()


def is_stale(snapshot: InsightsSnapshot) -> bool:
    if snapshot.computed_at is None:
        return True
    return timezone.now() - snapshot.computed_at > timedelta(seconds=settings.INSIGHTS_SNAPSHOT_MAX_AGE)


def snapshot_read(actor: Any, view: View) -> tuple[InsightsSnapshot | None, Any]:
    """The view's snapshot and its report, as every reader gets them (the pages, their downloads,
    the API): a view never computed, or whose report is older than the setting allows, is queued
    for computing by its reader (computed now with ``INSIGHTS_LIVE``). The report is ``None`` while
    none was computed."""
    snapshot = snapshot_of(view)
    content = snapshot_content(snapshot)
    wanted = settings.INSIGHTS_LIVE or snapshot is None
    if snapshot is not None and snapshot.status == RefreshStatus.IDLE and (content is None or is_stale(snapshot)):
        wanted = True
    if wanted:
        snapshot = snapshot_refresh(actor, view)
        content = snapshot_content(snapshot)
    return snapshot, content


# --- refreshing --------------------------------------------------------------------------------------


def snapshot_refresh(actor: Any, view: View) -> InsightsSnapshot:
    """Queue the computation of ``view``'s report (or, with ``INSIGHTS_LIVE``, compute it now).

    A refresh already waiting or running stands: asking again returns it. The row keeps the last
    report meanwhile, so the page goes on showing it, with its age, while the new one is computed.
    """
    permissions.authorize(actor, "insights.refresh", view.programme)
    requester = actor if getattr(actor, "pk", None) is not None else None
    with transaction.atomic():
        snapshot, _ = InsightsSnapshot.objects.select_for_update().get_or_create(
            key=view.key,
            defaults={
                "scope": view.scope,
                "programme": view.programme,
                "department": view.department,
                "period": view.period,
            },
        )
        if snapshot.status in IN_FLIGHT and not settings.INSIGHTS_LIVE and not _abandoned(snapshot):
            return snapshot
        snapshot.status, snapshot.stage, snapshot.step, snapshot.steps = RefreshStatus.QUEUED, "", 0, 0
        snapshot.error, snapshot.requested_by, snapshot.requested_at = "", requester, timezone.now()
        snapshot.save(update_fields=["status", "stage", "step", "steps", "error", "requested_by", "requested_at"])
        if not settings.INSIGHTS_LIVE:
            snapshot_id = snapshot.pk
            transaction.on_commit(lambda: _enqueue(snapshot_id))
    # An immediate task backend (no worker) has computed it already, on commit.
    snapshot.refresh_from_db()
    if settings.INSIGHTS_LIVE:
        # The PDF only when downloaded: a page computed per request should not typeset one.
        return snapshot_compute(snapshot.pk, with_pdf=False)
    return snapshot


def _abandoned(snapshot: InsightsSnapshot) -> bool:
    """A refresh asked for longer ago than a task may run: its worker died; it is queued again."""
    limit = timedelta(seconds=settings.TASK_TIMEOUT_SECONDS)
    return snapshot.requested_at is None or timezone.now() - snapshot.requested_at > limit


def _enqueue(snapshot_id: int) -> None:
    from twofold.insights.tasks import insights_snapshot_task

    insights_snapshot_task.enqueue(snapshot_id)


def snapshot_compute(snapshot_id: int, *, with_pdf: bool = True) -> InsightsSnapshot:
    """Compute a queued view's report (and its PDF) and store it; run by the worker (safe to run again)."""
    snapshot = InsightsSnapshot.objects.select_related("programme").get(pk=snapshot_id)
    InsightsSnapshot.objects.filter(pk=snapshot_id).update(status=RefreshStatus.RUNNING, stage="Starting")
    started = time.monotonic()

    def progress(stage: str, step: int, steps: int) -> None:
        InsightsSnapshot.objects.filter(pk=snapshot_id).update(stage=stage[:100], step=step, steps=steps)

    today = timezone.localdate()
    as_of = period_as_of(snapshot.period, today=today)
    department = snapshot.department or None
    try:
        content: ProgrammeReport | OverviewReport
        pdf: bytes | None = None
        if snapshot.programme is None:
            content = overview_report(as_of=as_of, department=department, progress=progress)
        else:
            content = programme_report(snapshot.programme, as_of=as_of, department=department, progress=progress)
            if with_pdf:
                # The board report is made here too: typesetting it takes seconds, a download none.
                progress("The PDF report", PDF_STEP, PDF_STEP)
                pdf = content.as_pdf()
        pickled = pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)
        payload = _signature(pickled) + pickled
    except Exception as error:
        logger.exception("insights snapshot %s failed", snapshot.key)
        InsightsSnapshot.objects.filter(pk=snapshot_id).update(
            status=RefreshStatus.FAILED, stage="", error=f"{error.__class__.__name__}: {error}"[:2000]
        )
        raise
    InsightsSnapshot.objects.filter(pk=snapshot_id).update(
        payload=payload,
        pdf=pdf,
        format=FORMAT,
        computed_at=timezone.now(),
        compute_seconds=round(time.monotonic() - started, 3),
        status=RefreshStatus.IDLE,
        stage="",
        error="",
    )
    snapshot.refresh_from_db()
    return snapshot


def overview_report(*, as_of: date, department: str | None, progress: Progress | None = None) -> OverviewReport:
    """The page across programmes: each started programme's careers and headline, and the pipeline."""
    programmes = list(started_programmes())
    steps = len(programmes) + 2
    report = OverviewReport(as_of=as_of, department=department)
    for step, programme in enumerate(programmes, start=1):
        if progress:
            progress(f"Careers in {programme.name}", step, steps)
        report.careers[programme.pk] = careers_section(programme, as_of=as_of, department=department)
    if progress:
        progress("Headline figures", steps - 1, steps)
    report.headlines = {headline.programme.pk: headline for headline in programme_headlines(started_programmes())}
    if progress:
        progress("The leadership pipeline", steps, steps)
    report.pipeline = pipeline_section(None, as_of=as_of)
    report.forest_ids = tuple(report.careers)
    report.forest = forest_chart(list(report.careers.values()))
    return report


def snapshot_pdf(snapshot: InsightsSnapshot, report: ProgrammeReport) -> bytes:
    """The report's PDF, made once per snapshot and kept beside it."""
    if snapshot.pdf is not None:
        return bytes(snapshot.pdf)
    pdf = report.as_pdf()
    # Only onto the snapshot it was made from: a refresh that landed meanwhile keeps its own.
    InsightsSnapshot.objects.filter(pk=snapshot.pk, computed_at=snapshot.computed_at).update(pdf=pdf)
    return pdf


def insights_refresh_all(actor: Any) -> list[InsightsSnapshot]:
    """Queue a refresh of every view already computed and of each programme's and the overview's
    unfiltered view: what the daily run does."""
    views = {View(programme=None).key: View(programme=None)}
    for programme in started_programmes():
        view = View(programme=programme)
        views[view.key] = view
    for snapshot in InsightsSnapshot.objects.select_related("programme").exclude(programme__state=ProgrammeState.DRAFT):
        view = View(programme=snapshot.programme, department=snapshot.department, period=snapshot.period)
        views[view.key] = view
    return [snapshot_refresh(actor, view) for view in views.values()]


def minutes_ago(moment: datetime, *, now: datetime | None = None) -> int:
    return max(0, int(((now or timezone.now()) - moment).total_seconds() // 60))
