"""The insights area: evidence of impact, per programme and across both kinds, aggregates only.

Who may see which programme is asked once, of :func:`twofold.accounts.permissions.insight_programmes`
(:func:`visible_programmes` below); the figures come from :mod:`twofold.insights.sections`.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from twofold.accounts import permissions
from twofold.insights.evidence import pipeline_section
from twofold.insights.forms import InsightsFilter
from twofold.insights.report import FORMATS, ProgrammeReport, programme_report
from twofold.insights.sections import careers_section, forest_chart
from twofold.insights.selectors import programme_headlines
from twofold.programmes.models import Programme, ProgrammeState


def visible_programmes(request: HttpRequest) -> QuerySet[Programme]:
    if not permissions.can_see_overview(request.user):
        raise PermissionDenied("Insights are for executives, programme managers and org admins.")
    started = Programme.objects.exclude(state=ProgrammeState.DRAFT).order_by("kind", "-starts_on", "name")
    return permissions.insight_programmes(request.user, started)


@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    programmes = visible_programmes(request)
    form = InsightsFilter(request.GET or None, programmes=programmes)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(render(request, "insights/bad_filter.html", {"form": form}).content)
    chosen = programmes
    filters = form.cleaned_data if form.is_bound else {}
    if filters.get("programme"):
        chosen = chosen.filter(pk=filters["programme"].pk)
    if filters.get("started"):
        chosen = chosen.filter(starts_on__year=filters["started"])
    department = filters.get("department") or None
    today = timezone.localdate()
    sections = [careers_section(programme, as_of=today, department=department) for programme in chosen]
    return render(
        request,
        "insights/overview.html",
        {
            "form": form,
            "sections": sections,
            "forest": forest_chart(sections),
            "headlines": programme_headlines(chosen),
            # Organisation-wide: high-potential people with and without a sponsor in any programme.
            "pipeline": pipeline_section(None, as_of=today)
            if permissions.sees_all_insights(request.user) and not filters.get("programme")
            else None,
            "department": department,
            "as_of": today,
        },
    )


@require_GET
@login_required
def programme(request: HttpRequest, pk: int) -> HttpResponse:
    chosen = get_object_or_404(visible_programmes(request), pk=pk)
    form = InsightsFilter(request.GET or None, programmes=Programme.objects.none(), with_programme=False)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(render(request, "insights/bad_filter.html", {"form": form}).content)
    department = (form.cleaned_data.get("department") if form.is_bound else None) or None
    today = timezone.localdate()
    report = programme_report(chosen, as_of=today, department=department)
    return render(
        request,
        "insights/programme.html",
        {
            "programme": chosen,
            "form": form,
            "report": report,
            "section": report.careers,
            "reach": report.reach,
            "advocacy": report.advocacy,
            "sections": report.sections,
            "download_base": reverse("insights:programme", args=[chosen.pk]) + "tables/",
            "query": request.GET.urlencode(),
            "department": department,
            "as_of": today,
        },
    )


def _chosen_report(request: HttpRequest, pk: int) -> ProgrammeReport | HttpResponse:
    """The programme's report as its page shows it, with the page's department filter."""
    chosen = get_object_or_404(visible_programmes(request), pk=pk)
    form = InsightsFilter(request.GET or None, programmes=Programme.objects.none(), with_programme=False)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(render(request, "insights/bad_filter.html", {"form": form}).content)
    department = (form.cleaned_data.get("department") if form.is_bound else None) or None
    return programme_report(chosen, as_of=timezone.localdate(), department=department)


@require_GET
@login_required
def report_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The board report of a programme as HTML, JSON or CSV, the page's very figures. The PDF takes
    seconds to lay out: it is drawn by a worker (:mod:`twofold.insights.report_jobs`)."""
    if fmt not in FORMATS or fmt == "pdf":
        raise Http404("The report comes as HTML, JSON or CSV here; the PDF is asked for on the programme's page.")
    report = _chosen_report(request, pk)
    if isinstance(report, HttpResponse):
        return report
    name = f"{slugify(report.programme.name) or 'programme'}-evidence-{report.as_of.isoformat()}"
    if fmt == "json":
        response = HttpResponse(json.dumps(report.as_json(), indent=2), content_type="application/json")
    elif fmt == "csv":
        response = HttpResponse(report.as_csv(), content_type="text/csv; charset=utf-8")
    else:
        # A page of the site (its stylesheet is the site's static file), printable from the browser.
        return HttpResponse(report.as_html(), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_GET
@login_required
def table_download(request: HttpRequest, pk: int, slug: str, fmt: str) -> HttpResponse:
    """One table of a programme's page as CSV or XLSX, through the same privacy rules as the page."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("A table comes as CSV or XLSX.")
    report = _chosen_report(request, pk)
    if isinstance(report, HttpResponse):
        return report
    table = report.table(slug)
    if table is None:
        raise Http404("No such table.")
    name = f"{slugify(report.programme.name) or 'programme'}-{table.slug}-{report.as_of.isoformat()}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(
            table.as_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        response = HttpResponse(table.as_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
