"""What the webhooks app hears: every domain event (:mod:`twofold.events`), turned into deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from twofold.events import domain_event
from twofold.webhooks.services import deliveries_create


@receiver(domain_event, dispatch_uid="twofold.webhooks.deliveries")
def event_heard(sender: Any, name: str, payload: dict[str, Any], occurred_at: datetime, **kwargs: Any) -> None:
    deliveries_create(event=name, payload=payload, occurred_at=occurred_at)
