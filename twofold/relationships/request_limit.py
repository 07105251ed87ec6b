"""How many partners a mentee (protégé) of a participant-choice programme may ask, and when.

One request is open at a time already (the mentee's one open relationship in a programme); this
bounds ask-and-withdraw cycles, each of which emails a partner. The limit is stated in
docs/taking-part.md and docs/running-a-programme.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from twofold.programmes.models import Enrolment
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.models import Relationship

# Requests one mentee may make in one programme within REQUEST_WINDOW, whatever came of them
# (accepted, declined, withdrawn, expired).
REQUESTS_PER_WINDOW = 3
REQUEST_WINDOW = timedelta(days=7)


def request_limit_refusal(*, enrolment: Enrolment, now: datetime | None = None) -> RelationshipRuleBroken | None:
    """Why ``enrolment`` (a mentee's) may not ask another partner now because of how many they asked
    lately, or None: the one statement of the rule, for the service and the choose page alike."""
    now = now or timezone.now()
    recent = sorted(
        Relationship.objects.filter(
            mentee_enrolment=enrolment, requested_by_mentee=True, proposed_at__gt=now - REQUEST_WINDOW
        ).values_list("proposed_at", flat=True)
    )
    if len(recent) < REQUESTS_PER_WINDOW:
        return None
    # Free again once enough of the requests in the window have aged out of it.
    again = timezone.localtime(recent[len(recent) - REQUESTS_PER_WINDOW] + REQUEST_WINDOW)
    return RelationshipRuleBroken(
        f"You asked {len(recent)} partners in the last {REQUEST_WINDOW.days} days, the most one may ask; "
        f"you can ask again from {again:%d %B %Y, %H:%M}.",
        code="request_limit",
    )
