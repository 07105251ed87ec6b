"""The insights area: evidence of impact, per programme and across both kinds, aggregates only.

Who may see which programme is asked once, of :func:`twofold.accounts.permissions.insight_programmes`
(:func:`visible_programmes` below); the figures come from :mod:`twofold.insights.sections`.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from twofold.accounts import permissions
from twofold.insights.forms import InsightsFilter
from twofold.insights.sections import advocacy_section, careers_section, forest_chart, funnel_section
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
    return render(
        request,
        "insights/programme.html",
        {
            "programme": chosen,
            "form": form,
            "section": careers_section(chosen, as_of=today, department=department),
            "reach": funnel_section(chosen),
            "advocacy": advocacy_section(chosen),
            "department": department,
            "as_of": today,
        },
    )
