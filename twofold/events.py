"""Domain events: what happened, announced by the service that did it, heard by whoever listens.

A service calls :func:`announce` with an event's name and a small payload (ids and names, never free
text, notes or restricted attributes). Listeners (the webhooks app, above every other app) connect
to :data:`domain_event`; the services never import them, so the layers still point one way.

An event is sent only once the transaction that made it happen commits: a write that is rolled back
announces nothing. Outside any transaction it is sent at once. A listener that fails is logged and
never undoes, nor fails, the write it heard about.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

logger = logging.getLogger("twofold.events")

# Sent with ``name`` (one of EVENTS), ``payload`` (a JSON-ready dict) and ``occurred_at``.
domain_event = Signal()


@dataclass(frozen=True)
class Event:
    name: str
    description: str
    # Sensitive events go only to endpoints that org admins alone read.
    admins_only: bool = False


EVENTS: dict[str, Event] = {
    event.name: event
    for event in (
        Event("proposal.made", "A mentor and a mentee were proposed to each other."),
        Event("proposal.accepted", "Everyone asked accepted a proposal (the relationship starts too)."),
        Event("proposal.declined", "One of a pair declined a proposal."),
        Event("proposal.expired", "A proposal was left unanswered past its deadline."),
        Event("relationship.started", "A relationship became active."),
        Event("relationship.ended", "A relationship was completed or ended early."),
        Event("meeting.logged", "One of a pair recorded a meeting that took place."),
        Event("match_run.published", "A programme manager published a match run's proposals."),
        Event("import.finished", "An import of people or career events was applied."),
        Event(
            "concern.raised",
            "One of a pair raised a concern with the programme managers (never its text).",
            admins_only=True,
        ),
    )
}


class UnknownEvent(LookupError):
    """An event name nobody declared: a typo must fail loudly, not announce into the void."""


def announce(name: str, payload: dict[str, Any]) -> None:
    """Announce that ``name`` happened, once the current transaction commits."""
    if name not in EVENTS:
        raise UnknownEvent(f"No event is declared as {name!r}.")
    occurred_at = timezone.now()

    def send() -> None:
        for _receiver, response in domain_event.send_robust(
            sender=Event, name=name, payload=payload, occurred_at=occurred_at
        ):
            if isinstance(response, Exception):
                logger.error("a listener of %s failed: %r", name, response, exc_info=response)

    transaction.on_commit(send)
