"""Writes for people who leave the organisation, and for those who come back.

Every path that marks someone as having left goes through :func:`people_deactivate`: an import (a
row saying ``active: no``, or a full export without them), an exit among the career events, an
org admin unticking "active", and SCIM (``active: false`` or a DELETE, through
:mod:`~twofold.people.provisioning`). Leaving takes effect at once and in the caller's
transaction (an import that fails writes nothing, leavers included):

- the person is inactive in the directory;
- their account cannot sign in and every session it holds is deleted (accounts, below people);
- what the layers above hold for them is let go, by the handlers those layers register here when
  Django starts: open proposals and relationships closed with the reason "left the organisation",
  the mentor seats they held freed, their enrolments withdrawn, their calendar feed revoked, their
  pairs taken off match runs still under review.

People sit below programmes, relationships and match runs and may not import them (not even
lazily), hence the registry, as :mod:`twofold.programmes.holds` does one layer up.

:func:`people_reactivate` is the way back: the person is active and may sign in again (with new
sessions); closed relationships stay closed and a revoked calendar feed stays revoked (a new
address is issued when they ask for one).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from twofold.accounts.permissions import authorize
from twofold.accounts.services import accounts_close, accounts_reopen
from twofold.people.models import Delegation, Person
from twofold.people.selectors import FILTER_OPTIONS_CACHE_KEY

LEFT_THE_ORGANISATION = "left the organisation"
# Ids per IN (…) list: well inside every database's limit on query parameters.
CHUNK = 5000


@dataclass(frozen=True)
class Departure:
    """People leaving together (one import, one exit): what each layer's handler is told."""

    person_ids: tuple[int, ...]
    reason: str
    at: datetime

    def chunks(self) -> Iterator[list[int]]:
        """The ids in slices small enough for one ``IN (…)`` each."""
        for start in range(0, len(self.person_ids), CHUNK):
            yield list(self.person_ids[start : start + CHUNK])


def _lock_in_order(person_ids: tuple[int, ...] | list[int]) -> None:
    """Lock every one of these people, in id order, before the first of them changes.

    Moving people between active and inactive also updates the directory's count
    (:class:`~twofold.people.models.PersonCount`), whose row stays locked until the transaction
    commits. Without this, a second chunk would wait for a person that an editor or a SCIM request
    had locked while that request, in turn, waited for the count row this transaction already
    held: a deadlock. With every person locked first, this transaction waits for no person once it
    holds the count.
    """
    for start in range(0, len(person_ids), CHUNK):
        list(
            Person.objects.filter(pk__in=person_ids[start : start + CHUNK])
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", flat=True)
        )


# A handler lets go of what its layer holds for the people leaving and returns what it did, as
# counts by name (e.g. {"relationships_ended": 2}). It runs inside people_deactivate's transaction.
LeaverHandler = Callable[[Departure], dict[str, int]]

_handlers: dict[str, LeaverHandler] = {}


def register_leaver_handler(name: str, handler: LeaverHandler) -> None:
    """Add (or, registered again under its name, replace) what a layer above does when people leave."""
    _handlers[name] = handler


@dataclass
class DeactivationResult:
    """What leaving did: people newly marked inactive, accounts and sessions closed, and the
    counts each layer above reported (see :data:`LeaverHandler`)."""

    people: int = 0
    accounts: int = 0
    sessions: int = 0
    consequences: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def people_deactivate(
    *,
    person_ids: Collection[int],
    actor: Any,
    reason: str = LEFT_THE_ORGANISATION,
    now: datetime | None = None,
) -> DeactivationResult:
    """Mark these people as having left the organisation, with everything that follows (see the
    module docstring), in a bounded number of queries per 5,000 people.

    Safe to call for people already inactive (the caller may have written ``active`` itself, as the
    import does for rows saying ``active: no``): whatever they still hold is let go all the same.
    """
    authorize(actor, "people.deactivate")
    departure = Departure(person_ids=tuple(sorted(set(person_ids))), reason=reason, at=now or timezone.now())
    result = DeactivationResult()
    if not departure.person_ids:
        return result
    _lock_in_order(departure.person_ids)
    for chunk in departure.chunks():
        result.people += Person.objects.filter(pk__in=chunk, active=True).update(active=False, updated_at=departure.at)
        # A leaver neither decides applications for someone else nor keeps a delegate deciding theirs.
        Delegation.objects.filter(Q(manager_id__in=chunk) | Q(delegate_id__in=chunk)).delete()
    closed = accounts_close(person_ids=departure.person_ids)
    result.accounts, result.sessions = closed.accounts, closed.sessions
    for handler in _handlers.values():
        for name, count in handler(departure).items():
            result.consequences[name] = result.consequences.get(name, 0) + count
    transaction.on_commit(lambda: cache.delete(FILTER_OPTIONS_CACHE_KEY))
    return result


@transaction.atomic
def people_reactivate(*, person_ids: Collection[int], actor: Any, now: datetime | None = None) -> int:
    """Someone who left is back: active in the directory, and their account may sign in again.

    Nothing else returns: their relationships stay closed, and their old calendar address stays
    revoked. Returns how many people were made active (those already active are left alone, but
    their accounts are reopened all the same, as the import may have written ``active`` itself).
    """
    authorize(actor, "people.deactivate")
    ids = sorted(set(person_ids))
    at = now or timezone.now()
    reactivated = 0
    _lock_in_order(ids)
    for start in range(0, len(ids), CHUNK):
        reactivated += Person.objects.filter(pk__in=ids[start : start + CHUNK], active=False).update(
            active=True, updated_at=at
        )
    accounts_reopen(person_ids=ids)
    if ids:
        transaction.on_commit(lambda: cache.delete(FILTER_OPTIONS_CACHE_KEY))
    return reactivated
