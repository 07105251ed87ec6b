"""Two workers at one webhook delivery at the same moment, on PostgreSQL: an old worker still sending
it (around a deploy or an upgrade) while the new worker's sweep, or a task the old code queued
without an attempt number, reaches it too.

The worker that sends holds the delivery's row (``SELECT … FOR UPDATE``) from before the POST until
the attempt is recorded; the other waits for that row, then finds the attempt made and sends
nothing. The interleaving is forced (tests/interleave.py): the second starts only once the first
has posted, and the first commits only once the second waits for its lock.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.interleave import interleave
from tests.loopback import Receiver
from tests.webhooks.test_changes_and_recovery import left_pending
from tests.webhooks.test_deliveries import hook
from twofold.webhooks.models import Delivery, DeliveryStatus
from twofold.webhooks.services import delivery_attempt

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: row locks between workers"),
]


@pytest.mark.parametrize("second_attempt", [1, None], ids=["swept-copy", "task-without-attempt-number"])
def test_a_delivery_being_sent_by_one_worker_is_not_sent_again_by_another(
    cast, receiver: Receiver, second_attempt: int | None
) -> None:
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    delivery = left_pending(subscription, minutes_ago=5)

    outcomes = interleave(
        lambda: delivery_attempt(delivery_id=str(delivery.pk), attempt=1),
        lambda: delivery_attempt(delivery_id=str(delivery.pk), attempt=second_attempt),
        refusals=(),
    )

    assert outcomes == ("ok", "ok")
    assert len(receiver.requests) == 1
    stored = Delivery.objects.get(pk=delivery.pk)
    assert stored.status == DeliveryStatus.SUCCEEDED and stored.attempts == 1
    assert list(stored.attempt_log.values_list("number", flat=True)) == [1]
