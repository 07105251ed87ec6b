"""Background work of webhooks: each delivery attempt runs on the worker (``twofold worker``)."""

from __future__ import annotations

from twofold.operations.tasks import traced_task


@traced_task()
def webhook_deliver(delivery_id: str) -> str:
    """Attempt one webhook delivery; returns its status afterwards."""
    from twofold.webhooks.services import delivery_attempt

    delivery = delivery_attempt(delivery_id=delivery_id)
    return "gone" if delivery is None else delivery.status
