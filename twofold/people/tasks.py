"""Background work of the directory: large imports, run by ``twofold worker``."""

from __future__ import annotations

from twofold.operations.tasks import traced_task


@traced_task()
def import_job_run_task(job_id: int) -> str:
    """Run a confirmed import job; returns how it ended. Safe to run again (see ``import_jobs``)."""
    from twofold.people.import_jobs import import_job_run
    from twofold.people.models import ImportJob

    return import_job_run(job=ImportJob.objects.get(pk=job_id)).status
