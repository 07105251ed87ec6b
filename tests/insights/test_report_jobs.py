"""The board report as a background task: asked for once, drawn by the worker, downloaded by its asker."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.insights.test_report import sponsored_organisation
from tests.people.test_views import signed_in
from twofold.insights.report_jobs.models import ReportFile, ReportJob, ReportJobStatus
from twofold.insights.report_jobs.services import report_job_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def managed():  # type: ignore[no-untyped-def]
    programme = sponsored_organisation()
    own = UserFactory(username="own", is_programme_manager=True)
    programme.managers.set([own])
    return programme, own


def test_asking_for_the_pdf_queues_one_job_and_its_page_shows_the_steps(managed, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    programme, own = managed
    client = signed_in(own)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(reverse("insights:report_request", args=[programme.pk]))
        again = client.post(reverse("insights:report_request", args=[programme.pk]))
    job = ReportJob.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == reverse("insights:report_job", args=[job.pk])
    assert len(queued) == 1  # asked for twice while in flight: one job, one task
    assert job.status == ReportJobStatus.QUEUED and job.actor == own and job.department == ""

    page = client.get(reverse("insights:report_job", args=[job.pk])).content.decode()
    assert "Waiting for a worker" in page and 'hx-trigger="every 2s"' in page and "Step 0 of 3" in page
    assert client.get(reverse("insights:report_job_download", args=[job.pk])).status_code == 404

    ran = report_job_run(job=job)
    assert ran.status == ReportJobStatus.READY and ran.attempts == 1 and ran.step == ran.steps
    page = client.get(reverse("insights:report_job", args=[job.pk])).content.decode()
    assert "hx-trigger" not in page and reverse("insights:report_job_download", args=[job.pk]) in page
    pdf = client.get(reverse("insights:report_job_download", args=[job.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Disposition"].endswith('.pdf"')

    # Run again (a retry after the commit): nothing drawn twice.
    assert report_job_run(job=job).status == ReportJobStatus.READY
    assert ReportFile.objects.count() == 1 and ReportJob.objects.get().attempts == 1


def test_a_job_is_its_askers_alone_and_the_pdf_is_for_who_may_see_the_programme(managed, cast) -> None:  # type: ignore[no-untyped-def]
    programme, own = managed
    other = UserFactory(username="other", is_programme_manager=True)
    assert signed_in(other).post(reverse("insights:report_request", args=[programme.pk])).status_code == 404
    assert signed_in(cast.ana_user).post(reverse("insights:report_request", args=[programme.pk])).status_code == 403
    assert not ReportJob.objects.exists()

    signed_in(own).post(reverse("insights:report_request", args=[programme.pk]))
    job = ReportJob.objects.get()
    report_job_run(job=job)
    executive = signed_in(cast.executive)  # sees every programme, but the job is not theirs
    assert executive.get(reverse("insights:report_job", args=[job.pk])).status_code == 404
    assert executive.get(reverse("insights:report_job_download", args=[job.pk])).status_code == 404


def test_a_bad_department_is_refused_before_anything_is_queued(managed) -> None:  # type: ignore[no-untyped-def]
    programme, own = managed
    response = signed_in(own).post(reverse("insights:report_request", args=[programme.pk]), {"department": "Nope"})
    assert response.status_code == 400 and not ReportJob.objects.exists()
