"""Background work of webhooks: each delivery attempt runs on the worker (``twofold worker``)."""

from __future__ import annotations

from twofold.operations.tasks import traced_task


@traced_task()
def webhook_deliver(delivery_id: str, attempt: int | None = None) -> str:
    """Make attempt number ``attempt`` at one webhook delivery (the next one, if not named; a task
    queued before attempts were named); returns the delivery's status afterwards."""
    from twofold.webhooks.services import delivery_attempt

    delivery = delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    return "gone" if delivery is None else delivery.status
