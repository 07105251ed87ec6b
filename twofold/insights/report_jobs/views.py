"""The board report's pages: ask for it (POST), follow its job, download the PDF when drawn."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from twofold.insights.forms import InsightsFilter
from twofold.insights.report_jobs.models import ReportJob
from twofold.insights.report_jobs.services import report_file_for, report_job_request
from twofold.insights.views import visible_programmes
from twofold.programmes.models import Programme


@login_required
@require_POST
def report_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the programme's PDF with the page's department filter (or find the one in flight)."""
    # Those who may not see the programme get the answer of an unknown id, asked in one query alike.
    programme = get_object_or_404(visible_programmes(request), pk=pk)
    form = InsightsFilter(request.POST, programmes=Programme.objects.none(), with_programme=False)
    if not form.is_valid():
        return render(request, "insights/bad_filter.html", {"form": form}, status=400)
    job = report_job_request(actor=request.user, programme=programme, department=form.cleaned_data.get("department"))
    return redirect("insights:report_job", pk=job.pk)


def _own_job(request: HttpRequest, pk: int) -> ReportJob:
    # Someone else's job answers like an unknown one.
    return get_object_or_404(ReportJob.objects.select_related("programme"), pk=pk, actor_id=request.user.pk)


@require_GET
@login_required
def report_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's steps while a worker draws it, then its download. The page may be left."""
    job = _own_job(request, pk)
    template = "report_jobs/partials/job.html" if request.htmx else "report_jobs/job.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


@require_GET
@login_required
def report_job_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    drawn = report_file_for(actor=request.user, job=job)
    if drawn is None:
        raise Http404("This report is not drawn yet.")
    response = HttpResponse(bytes(drawn.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{drawn.name}"'
    return response
