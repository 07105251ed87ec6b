"""The board report's task under a worker killed with SIGKILL: no file half-saved, the retry draws it once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.insights.test_report import sponsored_organisation
from tests.operations.faults import Worker, enqueue, holding, wait_until_blocked
from tests.operations.test_faults import BACKENDS, retry_with_a_new_worker
from tests.operations.test_faults import env_for as env_for  # a fixture
from twofold.insights.report_jobs.models import ReportFile, ReportJob, ReportJobStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_report_whose_worker_died_saved_no_file_and_its_retry_saves_it_once(  # type: ignore[no-untyped-def]
    backend, env_for, tmp_path
) -> None:
    env = env_for(backend)
    programme = sponsored_organisation()
    manager = UserFactory(username="own", is_programme_manager=True)
    programme.managers.set([manager])
    job = ReportJob.objects.create(actor=manager, programme=programme, as_of=timezone.localdate(), steps=3)
    worker = Worker(env, tmp_path / "worker.log")
    try:
        # A file for the job, inserted and not committed elsewhere: the worker's own waits on it, drawn and unsaved.
        with holding(
            "INSERT INTO report_jobs_reportfile (job_id, name, content, created_at) VALUES (%s, 'held', '', now())",
            job.pk,
        ):
            enqueue(
                env, f"from twofold.insights.report_jobs.tasks import report_job_run_task as t; t.enqueue({job.pk})"
            )
            wait_until_blocked(worker)
            job.refresh_from_db()
            # The page's progress, committed as the worker went.
            assert job.status == ReportJobStatus.RUNNING and job.step == 2 and job.stage == "Saving the file"
            worker.kill()
    finally:
        worker.stop()
    job.refresh_from_db()
    assert job.status == ReportJobStatus.RUNNING and not ReportFile.objects.exists()

    retry_with_a_new_worker(env)
    job.refresh_from_db()
    assert job.status == ReportJobStatus.READY and job.attempts == 2 and job.finished_at is not None
    saved = ReportFile.objects.get()
    assert saved.job_id == job.pk and bytes(saved.content).startswith(b"%PDF-")
