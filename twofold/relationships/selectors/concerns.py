"""Concerns, for those who handle them and for their author: never for the partner."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from twofold.accounts.kept_queries import KeptQuery
from twofold.accounts.permissions import manageable_programmes
from twofold.people.models import Person
from twofold.programmes.models import Programme
from twofold.relationships.models import Concern, ConcernStatus, Relationship

OPEN_CONCERN_STATES = (ConcernStatus.OPEN, ConcernStatus.ACKNOWLEDGED)


def concerns_for_managers(
    user: Any, *, statuses: Iterable[str] | None = None, programme_id: int | None = None
) -> QuerySet[Concern]:
    """The concerns a user handles: every one for an org admin, those of the programmes they manage
    for a programme manager, none for anyone else (the partner above all). Optionally only some
    statuses, or one programme's (none when the user does not manage it). Who manages what is
    :func:`twofold.accounts.permissions.manageable_programmes`."""
    concerns = Concern.objects.select_related(
        "relationship__programme", "relationship__mentor", "relationship__mentee", "raised_by", "handled_by"
    ).order_by("-created_at", "pk")
    if statuses is not None:
        concerns = concerns.filter(status__in=list(statuses))
    if programme_id is not None:
        concerns = concerns.filter(relationship__programme_id=programme_id)
    return concerns.filter(relationship__programme__in=manageable_programmes(user, Programme.objects.all()))


def concern_programmes(user: Any) -> QuerySet[Programme]:
    """The programmes whose concerns ``user`` handles and that have any, by name: the choices of the
    concerns page's programme filter."""
    with_concerns = Programme.objects.filter(pk__in=Concern.objects.values("relationship__programme_id"))
    # The filter shows each one's name, no more: two columns of thirty-five.
    return manageable_programmes(user, with_concerns).only("pk", "name").order_by("name", "pk")


def concerns_raised_by(*, person: Person, relationship: Relationship | None = None) -> QuerySet[Concern]:
    """The concerns a person raised (about one relationship, if given), so they can follow what became
    of them; never their partner's."""
    concerns = Concern.objects.filter(raised_by=person).order_by("-created_at")
    if relationship is not None:
        # About the one pair whose page shows them: their relationship is known already.
        return concerns.filter(relationship=relationship)
    return concerns.select_related("relationship__programme")


def _raised_about(person_id: int, relationship_id: int) -> QuerySet[Concern]:
    return concerns_raised_by(person=Person(pk=person_id), relationship=Relationship(pk=relationship_id))


def _raised_about_samples() -> tuple[tuple[int, int], tuple[int, int]]:
    return (1, 2), (3, 4)


# What the pair's page lists of the viewer's own concerns on every request: concerns_raised_by's
# read, its SQL built once per process (KeptQuery).
RAISED_ABOUT = KeptQuery(
    Concern, _raised_about, parameters=("raised_by", "relationship"), samples=_raised_about_samples
)


def concerns_raised_about(*, person_id: int, relationship_id: int) -> list[Concern]:
    """The concerns ``person_id`` raised about one relationship (:func:`concerns_raised_by`), kept."""
    return RAISED_ABOUT.objects(person_id, relationship_id)
