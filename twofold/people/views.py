"""The people directory and person pages (HTML, progressively enhanced with htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from twofold.accounts import permissions
from twofold.people.models import Person
from twofold.people.selectors import (
    DirectoryFilters,
    directory_filter_options,
    person_directory,
    person_profile,
    person_reporting_chain,
    person_self_identification,
)

PAGE_SIZE = 50


def _filters_from(request: HttpRequest, *, talent_flags: bool) -> DirectoryFilters:
    query = request.GET
    level_text = query.get("level", "").strip()
    high_potential = query.get("high_potential", "")
    return DirectoryFilters(
        search=query.get("q", "").strip()[:100],
        department=query.get("department", "").strip(),
        location=query.get("location", "").strip(),
        level=int(level_text) if level_text.isdigit() else None,
        high_potential=(high_potential == "yes") if talent_flags and high_potential in ("yes", "no") else None,
        include_inactive=query.get("inactive") == "yes",
    )


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_directory(request.user):
        raise PermissionDenied("The directory is for employees and programme staff.")
    talent_flags = permissions.can_see_talent_flags(request.user)
    filters = _filters_from(request, talent_flags=talent_flags)
    page = Paginator(person_directory(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "query_string": query.urlencode(),
        "talent_flags": talent_flags,
    }
    if request.htmx and request.htmx.target == "directory-results":  # type: ignore[attr-defined]
        return render(request, "people/partials/directory_results.html", context)
    context["options"] = directory_filter_options()
    return render(request, "people/directory.html", context)


@login_required
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        person = person_profile(pk)
    except Person.DoesNotExist:
        raise Http404("No such person") from None
    if not permissions.can_view_person(request.user, person):
        raise PermissionDenied("You may not see this person.")
    skills = list(person.skills.all())
    context = {
        "person": person,
        "chain": person_reporting_chain(person),
        "reports": list(person.reports.all()[:50]),
        "teaching": [skill for skill in skills if skill.can_teach],
        "learning": [skill for skill in skills if skill.wants_to_learn],
        "other_skills": [skill for skill in skills if not skill.can_teach and not skill.wants_to_learn],
        "events": list(person.career_events.all()[:12]),
        "talent_flags": permissions.can_see_talent_flags(request.user),
        "self_identification": (
            person_self_identification(person)
            if permissions.can_see_self_identification(request.user, person)
            else None
        ),
        "is_me": request.user.person_id == person.pk,  # type: ignore[union-attr]
    }
    return render(request, "people/person.html", context)
