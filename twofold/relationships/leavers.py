"""What relationships let go of when people leave the organisation (see :mod:`twofold.people.leavers`).

Registered when Django starts (:meth:`twofold.relationships.apps.RelationshipsConfig.ready`), and
run inside :func:`~twofold.people.leavers.people_deactivate`'s transaction, in bulk: a handful of
queries per 5,000 leavers, however many pairs they were in.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import F, Q

from twofold.people.leavers import Departure, register_leaver_handler
from twofold.programmes.enrolment_services import enrolments_withdraw_leavers
from twofold.programmes.models import Enrolment
from twofold.relationships.models import OPEN_STATES, CalendarFeed, Relationship, RelationshipState


def relationships_release_leavers(departure: Departure) -> dict[str, int]:
    """Close the leavers' open proposals and relationships, free the seats they held, withdraw their
    enrolments and revoke their calendar feeds.

    A proposal becomes *withdrawn* and an active relationship *ended early*, both with the
    departure's reason and no one recorded as ending it. Each closed pair gives its mentor's seat
    back (the leaver's, or the partner's, who stays in the pool to be matched again). The state
    changes are compare-and-set updates along :data:`RELATIONSHIP_TRANSITIONS`, on rows locked first.
    """
    at, reason = departure.at, departure.reason
    withdrawn = ended = feeds = 0
    seats: Counter[int] = Counter()
    for chunk in departure.chunks():
        theirs = Relationship.objects.filter(Q(mentor_id__in=chunk) | Q(mentee_id__in=chunk))
        closing = list(
            theirs.select_for_update(of=("self",))
            .filter(state__in=OPEN_STATES)
            .order_by("pk")
            .values_list("mentor_enrolment_id", flat=True)
        )
        seats.update(closing)
        withdrawn += theirs.filter(state=RelationshipState.PROPOSED).update(
            state=RelationshipState.WITHDRAWN, ended_at=at, end_reason=reason, ended_by=None, updated_at=at
        )
        ended += theirs.filter(state=RelationshipState.ACTIVE).update(
            state=RelationshipState.ENDED_EARLY, ended_at=at, end_reason=reason, ended_by=None, updated_at=at
        )
        feeds += CalendarFeed.objects.filter(person_id__in=chunk).delete()[0]
    # One UPDATE per number of seats given back (at most a mentor's capacity), not one per mentor.
    by_count: dict[int, list[int]] = {}
    for enrolment_id, count in seats.items():
        by_count.setdefault(count, []).append(enrolment_id)
    for count, enrolment_ids in sorted(by_count.items()):
        ordered = sorted(enrolment_ids)
        for start in range(0, len(ordered), 5000):
            Enrolment.objects.filter(pk__in=ordered[start : start + 5000]).update(
                seats_taken=F("seats_taken") - count, updated_at=at
            )
    enrolments = enrolments_withdraw_leavers(person_ids=departure.person_ids, reason=reason)
    return {
        "proposals_withdrawn": withdrawn,
        "relationships_ended": ended,
        "seats_freed": sum(seats.values()),
        "enrolments_withdrawn": enrolments,
        "calendar_feeds_revoked": feeds,
    }


def register_leaver_handlers() -> None:
    register_leaver_handler("relationships", relationships_release_leavers)
