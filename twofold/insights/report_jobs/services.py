"""The board report on a worker: asked for from the insights page, drawn once, downloaded when ready.

Drawing a programme's PDF (its figures, then WeasyPrint's layout) takes seconds at an
organisation's size: the request only records a :class:`ReportJob` and queues
:func:`~twofold.insights.report_jobs.tasks.report_job_run_task`; the job's page shows its steps
and offers the file when it is drawn.

Safe to run again: a run claims only a job still queued or running (one whose worker died), and
writes the file and the ready state in one transaction, so a retry after a death draws the report
once, and a run of a job already ready writes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from twofold.accounts import permissions
from twofold.insights.report import programme_report
from twofold.insights.report_jobs.models import IN_FLIGHT, ReportFile, ReportJob, ReportJobStatus
from twofold.programmes.models import Programme

logger = logging.getLogger(__name__)

# A job in flight for longer than this lost its worker for good (its task failed after the last
# retry): asking again starts a new one instead of pointing at it.
STALE_AFTER = timedelta(minutes=30)
STEPS = ("Reading the figures", "Laying out the PDF", "Saving the file")


def report_job_request(*, actor: Any, programme: Programme, department: str | None = None) -> ReportJob:
    """The report job of ``actor`` for ``programme`` as of today: the one in flight, or a new one queued."""
    permissions.authorize(actor, "overview.view")
    permissions.authorize(actor, "insights.report", programme)
    key = {"actor": actor, "programme": programme, "department": department or "", "as_of": timezone.localdate()}
    with transaction.atomic():
        current = ReportJob.objects.select_for_update().filter(status__in=IN_FLIGHT, **key).first()
        if current is not None and timezone.now() - current.created_at < STALE_AFTER:
            return current
        if current is not None:
            _finish(current, ReportJobStatus.FAILED, "Its worker stopped; the report was asked for again.")
        try:
            with transaction.atomic():
                job = ReportJob.objects.create(stage="Waiting for a worker", steps=len(STEPS), **key)
        except IntegrityError:
            # Asked for twice at once: the other request's job is the one.
            return ReportJob.objects.get(status__in=IN_FLIGHT, **key)
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: int) -> None:
    from twofold.insights.report_jobs.tasks import report_job_run_task

    report_job_run_task.enqueue(job_id)


def report_job_run(*, job: ReportJob) -> ReportJob:
    """Draw a queued job's PDF (or that of one whose worker died: it is taken over), once."""
    claimed = ReportJob.objects.filter(pk=job.pk, status__in=IN_FLIGHT).update(
        status=ReportJobStatus.RUNNING, stage=STEPS[0], step=0, attempts=job.attempts + 1
    )
    job.refresh_from_db()
    if not claimed:
        return job
    if ReportFile.objects.filter(job=job).exists():
        return _finish(job, ReportJobStatus.READY)
    try:
        report = programme_report(job.programme, as_of=job.as_of, department=job.department or None)
        _step(job, 1)
        content = report.as_pdf()
        _step(job, 2)
        name = f"{slugify(job.programme.name) or 'programme'}-evidence-{job.as_of.isoformat()}.pdf"
        with transaction.atomic():
            ReportFile.objects.create(job=job, name=name, content=content)
            ReportJob.objects.filter(pk=job.pk).update(
                status=ReportJobStatus.READY, stage="", step=len(STEPS), finished_at=timezone.now()
            )
    except DatabaseError as error:
        # A fault, not the report: nothing was saved. Say so and let the task fail too (its log names it).
        logger.exception("report job %s stopped", job.pk)
        connection.close_if_unusable_or_obsolete()
        _finish(job, ReportJobStatus.FAILED, f"The database connection was lost ({error.__class__.__name__}).")
        raise
    except Exception as error:
        logger.exception("report job %s could not be drawn", job.pk)
        _finish(job, ReportJobStatus.FAILED, f"The report could not be drawn ({error.__class__.__name__}).")
        raise
    job.refresh_from_db()
    return job


def report_file_for(*, actor: Any, job: ReportJob) -> ReportFile | None:
    """The drawn file of ``actor``'s own job, once ready; ``None`` before."""
    permissions.authorize(actor, "insights.report", job.programme)
    if job.actor_id != actor.pk or job.status != ReportJobStatus.READY:
        return None
    return ReportFile.objects.filter(job=job).first()


def _step(job: ReportJob, step: int) -> None:
    ReportJob.objects.filter(pk=job.pk, status=ReportJobStatus.RUNNING).update(stage=STEPS[step], step=step)


def _finish(job: ReportJob, status: str, error: str = "") -> ReportJob:
    ReportJob.objects.filter(pk=job.pk).update(status=status, stage="", error=error[:2000], finished_at=timezone.now())
    job.refresh_from_db()
    return job
