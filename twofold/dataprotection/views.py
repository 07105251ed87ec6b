"""The org admins' page for data-subject requests: find a person, download everything held about them."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from twofold.accounts import permissions
from twofold.audit import record
from twofold.dataprotection.subject_data import person_export
from twofold.people.models import Person

FORMATS = {"json": "application/json; charset=utf-8", "html": "text/html; charset=utf-8"}


@login_required
@require_safe
def requests_page(request: HttpRequest) -> HttpResponse:
    if not permissions.allowed(request.user, "person.export"):
        raise PermissionDenied("Data-subject requests are answered by org admins.")
    wanted = request.GET.get("person", "").strip()[:64]
    found: list[Person] = []
    if wanted:
        match = Q(employee_id__iexact=wanted) | Q(email__iexact=wanted)
        if re.fullmatch(r"[0-9]{1,18}", wanted):
            match |= Q(pk=int(wanted))
        found = list(Person.objects.filter(match).order_by("pk")[:10])
    return render(
        request,
        "dataprotection/requests.html",
        {"wanted": wanted, "found": found},
        status=404 if wanted and not found else 200,
    )


@login_required
@require_safe
def person_export_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The export as a file to download; anyone but an org admin gets what an unknown id gets."""
    if fmt not in FORMATS:
        raise Http404("No such format.")
    if not permissions.allowed(request.user, "person.export"):
        record("person.export", target_type="person", target_id=pk, subject_person_id=None, allowed=False)
        raise Http404("No such person.")
    person = Person.objects.filter(pk=pk).select_related("manager").first()
    if person is None:
        raise Http404("No such person.")
    export = person_export(actor=request.user, person=person)
    response = HttpResponse(export.json_text if fmt == "json" else export.html_text, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export.file_stem}.{fmt}"'
    return response
