"""Pages and feeds of the life of relationships."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from twofold.relationships.calendar import person_calendar
from twofold.relationships.models import CalendarFeed


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
