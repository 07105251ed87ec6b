"""What holds an enrolment in place: a registry the layers above programmes fill in.

Programmes sit below relationships, so the enrolment services cannot look up a person's pairs
themselves (not even lazily). Yet two of their rules depend on them: a mentee already in an open
pair is never moved to the waiting list, and nobody leaves a pool while a pair still counts on them.
The relationships app registers the answers here when Django starts
(:meth:`twofold.relationships.apps.RelationshipsConfig.ready`); the services ask through
:func:`held_mentees` and :func:`withdrawal_refusal`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from twofold.programmes.models import Enrolment, Programme


@dataclass(frozen=True)
class Hold:
    """One kind of hold, as registered by a layer above.

    ``held_mentees(programme)`` gives the ids (a ``values("…")`` queryset, used as a subquery) of the
    programme's mentee enrolments it holds; ``withdrawal_refusal(enrolment)`` says why the enrolment
    may not leave its pool now, as ``(code, message)``, or None.
    """

    name: str
    held_mentees: Callable[[Programme], QuerySet[Any]]
    withdrawal_refusal: Callable[[Enrolment], tuple[str, str] | None]


_holds: dict[str, Hold] = {}


def register(hold: Hold) -> None:
    """Add (or, registered again under its name, replace) a kind of hold."""
    _holds[hold.name] = hold


def held_mentees(programme: Programme) -> Q:
    """A filter matching the programme's mentee enrolments that some hold keeps where they are."""
    condition = Q(pk__in=[])
    for hold in _holds.values():
        condition |= Q(pk__in=hold.held_mentees(programme))
    return condition


def withdrawal_refusal(enrolment: Enrolment) -> tuple[str, str] | None:
    """Why ``enrolment`` may not leave its pool now, as ``(code, message)``; None when it may."""
    for hold in _holds.values():
        refusal = hold.withdrawal_refusal(enrolment)
        if refusal is not None:
            return refusal
    return None
