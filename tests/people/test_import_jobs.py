"""Large imports on a worker: the confirmation queues a job, its page shows the progress and the end."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.people.test_import_page import importer, upload, waiting_files  # noqa: F401 (a fixture)
from tests.people.test_views import signed_in
from twofold.people.import_jobs import ImportJobRuleBroken, import_job_retry, import_job_run
from twofold.people.models import ImportJob, ImportJobStatus, ImportOutcome, ImportRecord, Person

LARGE = "employee_id,name,email,level,manager_id\nN1,Nia New,nia@x.org,3,V1\nN2,Noor New,noor@x.org,3,V1\n"


@pytest.fixture
def background(settings):  # type: ignore[no-untyped-def]
    """Two rows count as large; tasks run when their transaction commits, as a worker would take them."""
    settings.IMPORT_BACKGROUND_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_large_confirmed_import_runs_as_a_job_whose_page_shows_how_it_ended(
    importer,  # noqa: F811
    background,
    tmp_path,
    django_capture_on_commit_callbacks,
) -> None:
    client = signed_in(importer)
    assert upload(client, LARGE).status_code == 200
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("people:import_confirm"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("people:import_job", args=[job.pk])
    # Until a worker takes it, nothing is imported, the file waits and the page says so (and refreshes).
    assert job.status == ImportJobStatus.QUEUED and job.rows == 2 and waiting_files(tmp_path)
    assert not Person.objects.filter(employee_id__in=["N1", "N2"]).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in page and "Rows checked" in page and 'hx-trigger="every 2s"' in page

    for callback in queued:
        callback()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.APPLIED and job.rows_checked == 2 and job.rows_written == 2
    assert job.record is not None and job.record.outcome == ImportOutcome.APPLIED and job.record.created == 2
    assert Person.objects.filter(employee_id__in=["N1", "N2"]).count() == 2
    assert not waiting_files(tmp_path)
    page = client.get(response["Location"]).content.decode()
    assert "Applied" in page and "hx-trigger" not in page
    listed = client.get(reverse("people:import")).content.decode()
    assert reverse("people:import_job", args=[job.pk]) in listed and "people.csv" in listed

    # Run again (a worker died after the commit, its task queued again): nothing more is written.
    assert import_job_run(job=job).status == ImportJobStatus.APPLIED
    assert ImportRecord.objects.filter(outcome=ImportOutcome.APPLIED).count() == 1


def test_a_job_whose_file_is_refused_says_why_and_only_a_stopped_job_is_retried(
    cast,
    importer,  # noqa: F811
    background,
    tmp_path,
    django_capture_on_commit_callbacks,
) -> None:
    client = signed_in(importer)
    # Ben leaves in a whole-workforce file, and the confirmation typed the wrong number of leavers.
    everyone = "employee_id,name,email,level\n" + "".join(
        f"{person.employee_id},{person.name},{person.email},{person.level}\n"
        for person in Person.objects.exclude(employee_id="J2")
    )
    assert upload(client, everyone, full="on").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:import_confirm"), {"deactivations": 5})
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.REFUSED and "1 of the 6 active people" in job.error
    assert Person.objects.get(employee_id="J2").active and not waiting_files(tmp_path)
    page = client.get(response["Location"]).content.decode()
    assert "1 of the 6 active people" in page and "Try again" not in page and "Check the file again" in page
    with pytest.raises(ImportJobRuleBroken):
        import_job_retry(actor=importer, job=job)

    # A job a fault stopped is queued again, and runs from its kept file.
    upload(client, LARGE)
    path = client.session["pending_people_import"]["path"]
    stopped = ImportJob.objects.create(
        actor=importer, file_path=path, file_name="people.csv", preset="generic", status=ImportJobStatus.FAILED
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("people:import_job_retry", args=[stopped.pk])).status_code == 302
    stopped.refresh_from_db()
    assert stopped.status == ImportJobStatus.APPLIED and Person.objects.filter(employee_id="N1").exists()
