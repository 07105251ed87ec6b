"""Large people imports on a worker: queued when confirmed, run once, with progress for their page.

A confirmed import of ``IMPORT_BACKGROUND_ROWS`` rows or more does not run inside the request: it
becomes an :class:`ImportJob`, and ``twofold worker`` runs it through the very service the page
and the command line use (:func:`~twofold.people.import_services.people_import_bytes`), all or
nothing. The job counts the rows checked and written as it goes, so its page can be left and come
back to; it ends applied, refused, rejected (with the file's problems counted in its record) or
stopped by a fault, which a retry starts over.

Safe to run again: the job is marked applied in the transaction that writes the import, so a
second run after a worker died finds it applied and writes nothing; a run that died earlier was
rolled back whole, and the next one starts from the unchanged directory.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone

from twofold.accounts import permissions
from twofold.people.import_services import DeactivationNotConfirmed, ImportNotPermitted, people_import_bytes
from twofold.people.import_uploads import import_upload_discard, import_upload_read
from twofold.people.import_writes import ImportResult
from twofold.people.models import ImportJob, ImportJobStatus, ImportRecord
from twofold.people.tabular import FileRejected

logger = logging.getLogger(__name__)

IN_FLIGHT = (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
READING = "Reading rows"  # the stage in which import_services reads and checks the file


class ImportJobRuleBroken(Exception):
    """A request about a job the rules refuse (retrying one that did not fail)."""


def import_runs_in_background(rows: int) -> bool:
    return rows >= settings.IMPORT_BACKGROUND_ROWS


def import_job_queue(
    *,
    actor: Any,
    path: str | Path,
    name: str,
    preset: str,
    full: bool,
    rows: int = 0,
    confirmed_deactivations: int | None = None,
    allow_mass_deactivation: bool = False,
) -> ImportJob:
    """Queue the import of a waiting file (see :func:`~twofold.people.import_uploads.import_upload_save`)."""
    permissions.authorize(actor, "people.import")
    with transaction.atomic():
        job = ImportJob.objects.create(
            actor=actor,
            file_path=str(path),
            file_name=name[:255],
            preset=preset[:200],
            full=full,
            rows=rows,
            confirmed_deactivations=confirmed_deactivations,
            allow_mass_deactivation=allow_mass_deactivation,
            stage="Waiting for a worker",
        )
        _enqueue_on_commit(job)
    return job


def import_job_retry(*, actor: Any, job: ImportJob) -> ImportJob:
    """Queue again a job a fault stopped (a lost database connection): it starts over, from its file."""
    permissions.authorize(actor, "people.import")
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJobStatus.FAILED:
            state = job.get_status_display().lower()
            raise ImportJobRuleBroken(f"this import is {state}; only one stopped by a fault is retried")
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJobStatus.QUEUED, stage="Waiting for a worker", error="", finished_at=None
        )
        _enqueue_on_commit(job)
    job.refresh_from_db()
    return job


def _enqueue_on_commit(job: ImportJob) -> None:
    from twofold.people.tasks import import_job_run_task

    job_id = job.pk
    transaction.on_commit(lambda: import_job_run_task.enqueue(job_id))


def import_job_run(*, job: ImportJob) -> ImportJob:
    """Run a queued job (or one whose worker died: it is taken over) as the account that confirmed it."""
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=IN_FLIGHT).update(
        status=ImportJobStatus.RUNNING, stage="Reading the file", attempts=job.attempts + 1
    )
    job.refresh_from_db()
    if not claimed:
        return job
    if job.record_id is not None:
        # The worker died between committing the import and saying so: it is done.
        return _finish(job, ImportJobStatus.APPLIED)
    data = import_upload_read(job.file_path)
    if data is None:
        return _finish(job, ImportJobStatus.FAILED, "The file waited too long or is gone; upload it again.")
    typed = job.confirmed_deactivations
    progress = JobProgress(job)
    try:
        people_import_bytes(
            data,
            name=job.file_name,
            actor=job.actor,
            preset=job.preset,
            full=job.full,
            confirm_deactivation=lambda plan: typed == plan.count,
            allow_mass_deactivation=job.allow_mass_deactivation,
            progress=progress,
            on_applied=lambda record, result: _mark_applied(job, record, result),
        )
    except FileRejected as rejected:
        return _finish(job, ImportJobStatus.REJECTED, f"{len(rejected.problems)} problems in the file.")
    except (ImportNotPermitted, DeactivationNotConfirmed) as refused:
        return _finish(job, ImportJobStatus.REFUSED, str(refused))
    except DatabaseError as error:
        # A fault, not the file: the transaction rolled back whole. Say so, keep the file for a retry,
        # and let the task fail too (its log names the error).
        logger.exception("import job %s stopped", job.pk)
        connection.close_if_unusable_or_obsolete()
        _finish(
            job,
            ImportJobStatus.FAILED,
            f"The database connection was lost ({error.__class__.__name__}); nothing was imported. Try again.",
            keep_file=True,
        )
        raise
    finally:
        progress.close()
    job.refresh_from_db()
    import_upload_discard(job.file_path)
    return job


def _mark_applied(job: ImportJob, record: ImportRecord, result: ImportResult) -> None:
    # Inside the import's transaction: the job is applied exactly when the import is.
    ImportJob.objects.filter(pk=job.pk).update(
        record=record,
        status=ImportJobStatus.APPLIED,
        stage="",
        rows=result.rows,
        rows_checked=result.rows,
        rows_written=len(set(result.created) | set(result.updated)),
        finished_at=timezone.now(),
    )


def _finish(job: ImportJob, status: str, error: str = "", *, keep_file: bool = False) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(status=status, stage="", error=error[:2000], finished_at=timezone.now())
    if not keep_file:
        import_upload_discard(job.file_path)
    job.refresh_from_db()
    return job


class JobProgress:
    """Rows checked and written, saved on the job at most about once a second.

    The writes happen inside the import's transaction, which no other connection sees before it
    commits: on PostgreSQL their count goes through a second connection of its own. SQLite allows
    one writer at a time, so there the written count appears when the import ends.
    """

    INTERVAL = 1.0

    def __init__(self, job: ImportJob) -> None:
        self.job_id = job.pk
        self.stage_name = ""
        self.stage_total = 0
        self.checked = 0
        self.written = 0
        self.saved_at = 0.0
        self._side: Any = None

    def stage(self, name: str, total: int) -> None:
        if self.stage_name == READING:
            self.checked = self.stage_total  # reading counts by the thousand; the next stage means all read
        self.stage_name, self.stage_total = name, total
        self._save(force=True)

    def advance(self, amount: int) -> None:
        if self.stage_name == READING:
            self.checked += amount
        else:
            self.written += amount
        self._save()

    def _save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.saved_at < self.INTERVAL:
            return
        self.saved_at = now
        values = {"stage": self.stage_name[:100], "rows_checked": self.checked, "rows_written": self.written}
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id).update(**values)
            return
        if connection.vendor != "postgresql":
            return
        try:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET stage = %s, rows_checked = %s, rows_written = %s "
                    "WHERE id = %s",
                    [values["stage"], self.checked, self.written, self.job_id],
                )
        except DatabaseError:
            # Progress is a courtesy: the import goes on without it.
            logger.warning("could not record the progress of import job %s", self.job_id, exc_info=True)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
