"""The audit log page: org admins search who did or read what."""

from __future__ import annotations

import re
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from twofold.accounts import permissions
from twofold.audit.recording import record
from twofold.audit.selectors import AuditFilters, audit_entries, audit_target_types

PAGE_SIZE = 50


def _day(text: str, problems: list[str], label: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{label}: {text!r} is not a date (YYYY-MM-DD).")
        return None


def filters_from(query: dict[str, str]) -> tuple[AuditFilters, list[str]]:
    """The filters a query string asks for, and what was wrong with it (ignored, and said)."""
    problems: list[str] = []
    person = query.get("person", "").strip()
    if person and not re.fullmatch(r"[0-9]{1,18}", person):
        problems.append(f"Person: {person!r} is not a person's id (a number).")
    allowed = query.get("allowed", "")
    filters = AuditFilters(
        person_id=int(person) if person and not problems else None,
        actor=query.get("actor", "").strip()[:100],
        action=query.get("action", "").strip()[:100],
        target_type=query.get("target_type", "").strip()[:60],
        target_id=query.get("target_id", "").strip()[:64],
        allowed={"yes": True, "no": False}.get(allowed),
        since=_day(query.get("since", "").strip(), problems, "From"),
        until=_day(query.get("until", "").strip(), problems, "To"),
    )
    if filters.since and filters.until and filters.since > filters.until:
        problems.append("From is after To: nothing can match.")
    return filters, problems


@login_required
@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    permissions.require(request.user, "audit.search")
    filters, problems = filters_from(request.GET.dict())
    page = Paginator(audit_entries(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # read before this very search is added to the log
    # Reading the log is recorded too (who watched the watchers), once per search, not per page.
    if request.GET.get("page") in (None, "", "1"):
        record(
            "audit.search",
            target_type="audit log",
            detail={key: value for key, value in request.GET.dict().items() if key != "page" and value},
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "filters": filters,
            "form": request.GET,
            "problems": problems,
            "target_types": audit_target_types(),
            "query_string": query.urlencode(),
        },
        status=400 if problems else 200,
    )
