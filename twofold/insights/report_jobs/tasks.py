"""Background work of the insights: the board report, run by ``twofold worker``."""

from __future__ import annotations

from twofold.operations.tasks import traced_task


@traced_task()
def report_job_run_task(job_id: int) -> str:
    """Draw a report job's PDF; returns how it ended. Safe to run again (see ``report_jobs.services``)."""
    from twofold.insights.report_jobs.models import ReportJob
    from twofold.insights.report_jobs.services import report_job_run

    return report_job_run(job=ReportJob.objects.select_related("programme").get(pk=job_id)).status
