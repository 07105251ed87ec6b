"""The insights area: evidence of impact, per programme and across both kinds, aggregates only.

Who may see which programme is asked once, of :func:`twofold.accounts.permissions.insight_programmes`
(:func:`visible_programmes` below); the figures are read from the view's snapshot
(:mod:`twofold.insights.snapshots`), computed by a worker from :mod:`twofold.insights.sections`.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from twofold.accounts import permissions
from twofold.insights.forms import InsightsFilter
from twofold.insights.models import InsightsSnapshot
from twofold.insights.periods import period_label
from twofold.insights.report import FORMATS, ProgrammeReport
from twofold.insights.snapshots import (
    OverviewReport,
    View,
    minutes_ago,
    snapshot_pdf,
    snapshot_read,
    snapshot_refresh,
)
from twofold.programmes.models import Programme, ProgrammeState


def visible_programmes(request: HttpRequest) -> QuerySet[Programme]:
    if not permissions.can_see_overview(request.user):
        raise PermissionDenied("Insights are for executives, programme managers and org admins.")
    started = Programme.objects.exclude(state=ProgrammeState.DRAFT).order_by("kind", "-starts_on", "name")
    return permissions.insight_programmes(request.user, started)


def freshness(request: HttpRequest, snapshot: InsightsSnapshot | None, view: View) -> dict[str, Any]:
    """What the page says of its figures' age, and of a refresh under way."""
    filters = [(key, value) for key, value in (("department", view.department), ("period", view.period)) if value]
    return {
        "poll_url": f"{request.path}?{urlencode([*filters, ('progress', '1')])}",
        "refresh_url": reverse("insights:refresh")
        if view.programme is None
        else reverse("insights:programme_refresh", args=[view.programme.pk]),
        "snapshot": snapshot,
        "minutes_ago": minutes_ago(snapshot.computed_at) if snapshot and snapshot.computed_at else None,
        "refresh_fields": {"department": view.department, "period": view.period},
        "period_label": period_label(view.period),
    }


def _computing(request: HttpRequest, snapshot: InsightsSnapshot | None, context: dict[str, Any]) -> HttpResponse:
    """The page while its view's first snapshot is computed: its progress, updating by itself."""
    return render(request, "insights/computing.html", {**context, **freshness(request, snapshot, context["view"])})


def _progress_poll(request: HttpRequest, snapshot: InsightsSnapshot | None, view: View) -> HttpResponse | None:
    """An htmx poll of the progress card: the card again while the refresh runs, a reload once it ended."""
    if not getattr(request, "htmx", False) or request.GET.get("progress") != "1":
        return None
    if snapshot is not None and snapshot.refreshing:
        return render(request, "insights/partials/freshness.html", freshness(request, snapshot, view))
    return HttpResponseClientRefresh()


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
    department, period = form.view_filters()
    view = View(programme=None, department=department, period=period)
    snapshot, content = snapshot_read(request.user, view)
    context: dict[str, Any] = {"form": form, "view": view}
    polled = _progress_poll(request, snapshot, view)
    if polled is not None:
        return polled
    if not isinstance(content, OverviewReport):
        return _computing(request, snapshot, {**context, "title": "Insights"})
    ids = list(chosen.values_list("pk", flat=True))
    sections = [content.careers[pk] for pk in ids if pk in content.careers]
    return render(
        request,
        "insights/overview.html",
        {
            **context,
            **freshness(request, snapshot, view),
            "sections": sections,
            "forest": content.forest_of(sections),
            "headlines": [content.headlines[pk] for pk in ids if pk in content.headlines],
            "not_yet": [programme for programme in chosen if programme.pk not in content.headlines],
            # Organisation-wide: high-potential people with and without a sponsor in any programme.
            "pipeline": content.pipeline
            if permissions.sees_all_insights(request.user) and not filters.get("programme")
            else None,
            "department": department or None,
            "as_of": content.as_of,
        },
    )


def _programme_view(request: HttpRequest, pk: int) -> tuple[Programme, InsightsFilter, View] | HttpResponse:
    chosen = get_object_or_404(visible_programmes(request), pk=pk)
    first_year = chosen.starts_on.year if chosen.starts_on else None
    form = InsightsFilter(
        request.GET or None, programmes=Programme.objects.none(), with_programme=False, first_year=first_year
    )
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(render(request, "insights/bad_filter.html", {"form": form}).content)
    department, period = form.view_filters()
    return chosen, form, View(programme=chosen, department=department, period=period)


def _query(request: HttpRequest) -> str:
    """The page's filters, for its download links (not its progress polls)."""
    return urlencode([(key, str(request.GET[key])) for key in ("department", "period") if request.GET.get(key)])


@require_GET
@login_required
def programme(request: HttpRequest, pk: int) -> HttpResponse:
    found = _programme_view(request, pk)
    if isinstance(found, HttpResponse):
        return found
    chosen, form, view = found
    snapshot, report = snapshot_read(request.user, view)
    context: dict[str, Any] = {
        "programme": chosen,
        "form": form,
        "view": view,
    }
    polled = _progress_poll(request, snapshot, view)
    if polled is not None:
        return polled
    if not isinstance(report, ProgrammeReport):
        return _computing(request, snapshot, {**context, "title": f"Insights: {chosen.name}"})
    return render(
        request,
        "insights/programme.html",
        {
            **context,
            **freshness(request, snapshot, view),
            "report": report,
            "section": report.careers,
            "reach": report.reach,
            "advocacy": report.advocacy,
            "sections": report.sections,
            "download_base": reverse("insights:programme", args=[chosen.pk]) + "tables/",
            "query": _query(request),
            "department": view.department or None,
            "as_of": report.as_of,
        },
    )


def _chosen_report(request: HttpRequest, pk: int) -> tuple[InsightsSnapshot, ProgrammeReport] | HttpResponse:
    """The programme's report as its page shows it, from the same snapshot; while none is computed,
    the page (which shows its progress)."""
    found = _programme_view(request, pk)
    if isinstance(found, HttpResponse):
        return found
    chosen, _, view = found
    snapshot, report = snapshot_read(request.user, view)
    if snapshot is None or not isinstance(report, ProgrammeReport):
        page = reverse("insights:programme", args=[chosen.pk])
        query = _query(request)
        return redirect(f"{page}?{query}" if query else page)
    return snapshot, report


@require_GET
@login_required
def report_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The board report of a programme: PDF, HTML, JSON or CSV, the page's very figures."""
    if fmt not in FORMATS:
        raise Http404("The report comes as PDF, HTML, JSON or CSV.")
    found = _chosen_report(request, pk)
    if isinstance(found, HttpResponse):
        return found
    snapshot, report = found
    name = f"{slugify(report.programme.name) or 'programme'}-evidence-{report.as_of.isoformat()}"
    if fmt == "pdf":
        response = HttpResponse(snapshot_pdf(snapshot, report), content_type="application/pdf")
    elif fmt == "json":
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
    found = _chosen_report(request, pk)
    if isinstance(found, HttpResponse):
        return found
    _, report = found
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


def _refresh(request: HttpRequest, programme: Programme | None, page: str) -> HttpResponse:
    form = InsightsFilter(request.POST, programmes=Programme.objects.none(), with_programme=False, first_year=1900)
    if not form.is_valid():
        return HttpResponseBadRequest(render(request, "insights/bad_filter.html", {"form": form}).content)
    department, period = form.view_filters()
    snapshot_refresh(request.user, View(programme=programme, department=department, period=period))
    query = urlencode([(key, value) for key, value in (("department", department), ("period", period)) if value])
    return redirect(f"{page}?{query}" if query else page)


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """Compute the page across programmes again, for the filters it shows."""
    visible_programmes(request)
    return _refresh(request, None, reverse("insights:overview"))


@login_required
@require_POST
def programme_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """Compute a programme's page again, for the filters it shows."""
    chosen = get_object_or_404(visible_programmes(request), pk=pk)
    return _refresh(request, chosen, reverse("insights:programme", args=[chosen.pk]))
