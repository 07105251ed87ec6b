"""The executive overview: both programmes in headline numbers, nothing about any one person."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from twofold.accounts import permissions
from twofold.insights.selectors import overview_totals, programme_headlines


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    permissions.authorize(request.user, "overview.view")
    headlines = programme_headlines()
    return render(request, "insights/overview.html", {"headlines": headlines, "totals": overview_totals(headlines)})
