"""A participant's "My programmes" page and their calendar feed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from twofold.people.models import Person
from twofold.programmes.models import EnrolmentStatus
from twofold.programmes.selectors import approvals_awaiting, enrolments_listed, programmes_open_to
from twofold.relationships.calendar import calendar_feed_for, calendar_feed_rotate, person_calendar
from twofold.relationships.links import calendar_feed_link
from twofold.relationships.models import CalendarFeed
from twofold.relationships.progress import progress_of
from twofold.relationships.selectors import (
    relationships_of_person,
)
from twofold.relationships.services import enrolments_choosing
from twofold.relationships.views.page import _whole_page_done

# --- my programmes ---------------------------------------------------------------------------------


@login_required
@require_safe
def my_programmes(request: HttpRequest) -> HttpResponse:
    """A participant's invitations, enrolments, pairs, the programmes they may join and the
    applications waiting for their approval."""
    person: Person | None = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only employees take part in programmes.")
    enrolments = enrolments_listed(person)
    relationships = relationships_of_person(person=person, awaiting_first=True)
    return render(
        request,
        "relationships/mine.html",
        {
            "person": person,
            "invitations": [e for e in enrolments if e.status == EnrolmentStatus.INVITED],
            "enrolments": [e for e in enrolments if e.status != EnrolmentStatus.INVITED],
            "offers": programmes_open_to(person),
            "approvals": approvals_awaiting(request.user),
            "choosing": enrolments_choosing(actor=request.user, enrolments=enrolments),
            "relationships": relationships,
            "progress": progress_of(person, [row.relationship for row in relationships]),
            "calendar_feed_url": calendar_feed_link(calendar_feed_for(person).token),
        },
    )


# --- the calendar feed -----------------------------------------------------------------------------


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's meetings as iCalendar, for calendar apps to subscribe to.

    The secret token in the address is the only credential, because calendar apps cannot sign in;
    an unknown or rotated token, or a person who has left, is a plain 404 that says nothing more.
    """
    feed = CalendarFeed.objects.select_related("person").filter(token=token).first()
    if feed is None or not feed.person.active:
        raise Http404("No such calendar.")
    response = HttpResponse(person_calendar(feed.person), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="twofold.ics"'
    # The address is a secret: keep the document out of shared caches and search engines.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def calendar_rotate(request: HttpRequest) -> HttpResponse:
    """Give my calendar feed a new secret address; the old one stops working at once."""
    person: Person | None = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only employees have a calendar of meetings.")
    calendar_feed_rotate(actor=request.user, person=person)
    return _whole_page_done(
        request,
        reverse("relationships:mine") + "#calendar",
        "Your calendar has a new address, and the old one has stopped working. Subscribe again with the new one.",
    )
