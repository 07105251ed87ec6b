"""Changing a webhook after it is made (edit, a new secret), resending a delivery from its log, and the
worker's sweep that queues deliveries whose task was never queued — each against the receiver on
loopback, sent by the database worker as the project runs it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.loopback import Receiver, run_worker
from tests.webhooks.test_deliveries import documented_verifier, hook
from twofold.accounts.permissions import NotPermitted
from twofold.operations.recovery import sweeps_run
from twofold.webhooks.models import Delivery, DeliveryStatus, Subscription
from twofold.webhooks.presets import TEST_EVENT
from twofold.webhooks.services import (
    deliveries_requeue,
    delivery_resend,
    failed_payloads_forget,
    subscription_rotate_secret,
    subscription_send_test,
    subscription_update,
)
from twofold.webhooks.tasks import webhook_deliver

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def subscription_row(subscription: Subscription) -> dict[str, Any]:
    return Subscription.objects.filter(pk=subscription.pk).values().get()


def test_an_org_admin_edits_a_webhook_and_the_next_delivery_follows_it(cast, receiver: Receiver) -> None:
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    admin = signed_in(cast.admin)
    url = reverse("webhooks:edit", args=[subscription.pk])
    page = admin.get(url).content.decode()
    assert receiver.url in page and "Save webhook" in page

    # Bad input: the form again with the reason, nothing written.
    before = subscription_row(subscription)
    bad = admin.post(url, {"name": "HR", "url": "ftp://x.example.org", "preset": "slack", "events": ["proposal.made"]})
    assert bad.status_code == 400 and "must start with https://" in bad.content.decode()
    assert subscription_row(subscription) == before
    # Another role, through the service as through the page: refused, nothing written.
    with pytest.raises(NotPermitted):
        subscription_update(
            actor=cast.programme_manager,
            subscription=subscription,
            name="Mine",
            url=receiver.url,
            events=["proposal.made"],
            preset="generic",
            admins_only=False,
            active=True,
        )
    assert signed_in(cast.programme_manager).post(url, {"name": "Mine"}).status_code == 403
    assert subscription_row(subscription) == before

    saved = admin.post(
        url,
        {
            "name": "Slack channel",
            "url": receiver.url + "/slack",
            "preset": "slack",
            "events": ["proposal.made", "proposal.accepted"],
            "active": "on",
        },
    )
    assert saved.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.name, subscription.preset, subscription.events) == (
        "Slack channel",
        "slack",
        ["proposal.accepted", "proposal.made"],
    )
    assert subscription.secret == before["secret"]
    subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()
    (request,) = receiver.requests
    assert request.path == "/hook/slack" and set(request.json) == {"text"}

    # Unticking "active" disables it, as the disable button does.
    admin.post(url, {"name": "Slack channel", "url": receiver.url, "preset": "slack", "events": ["proposal.made"]})
    subscription.refresh_from_db()
    assert not subscription.active and subscription.disabled_at is not None


def test_a_new_signing_secret_is_shown_once_and_signs_from_then_on(cast, receiver: Receiver) -> None:
    subscription, old_secret = hook(cast.admin, receiver.url, ["proposal.made"])
    url = reverse("webhooks:rotate", args=[subscription.pk])
    admin = signed_in(cast.admin)

    asked = admin.post(url)  # without JavaScript: asked on a page first, nothing changed yet
    assert asked.status_code == 200 and "Yes, make a new secret" in asked.content.decode()
    assert Subscription.objects.get().secret == old_secret
    assert signed_in(cast.executive).post(url, {"confirmed": "yes"}).status_code == 403
    with pytest.raises(NotPermitted):
        subscription_rotate_secret(actor=cast.ana_user, subscription=subscription)
    assert Subscription.objects.get().secret == old_secret

    shown = admin.post(url, {"confirmed": "yes"})
    new_secret = Subscription.objects.get().secret
    assert shown.status_code == 200 and new_secret != old_secret and new_secret.startswith("whsec_")
    assert new_secret in shown.content.decode()
    assert new_secret not in admin.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()

    subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()
    (request,) = receiver.requests
    verify = documented_verifier()
    assert verify(new_secret, request.headers, request.body)
    assert not verify(old_secret, request.headers, request.body)


def test_a_delivery_that_gave_up_is_resent_from_the_log_with_its_id(
    cast, receiver: Receiver, retry_at_once, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    subscription, secret = hook(cast.admin, receiver.url, ["proposal.made"])
    receiver.answer_with(500, 503)
    delivery = subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.payload  # kept, to be resent
    admin = signed_in(cast.admin)
    detail = reverse("webhooks:detail", args=[subscription.pk])
    assert "Resend" in admin.get(detail).content.decode()

    url = reverse("webhooks:resend", args=[subscription.pk, delivery.pk])
    assert signed_in(cast.programme_manager).post(url).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert admin.post(url).status_code == 302
    run_worker()
    assert len(receiver.requests) == 3
    third = receiver.requests[2]
    assert third.headers["x-twofold-delivery"] == str(delivery.pk) and third.headers["x-twofold-attempt"] == "3"
    assert third.body == receiver.requests[0].body and documented_verifier()(secret, third.headers, third.body)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.payload == {}

    # Delivered: not resent (the log says why), and nothing is sent.
    refused = admin.post(url)
    assert refused.status_code == 400 and "Only a delivery that failed" in refused.content.decode()
    run_worker()
    assert len(receiver.requests) == 3


def test_a_failed_delivery_forgets_its_payload_after_the_resend_days(cast, receiver: Receiver, settings) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    receiver.answer_with(500)
    delivery = subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()
    assert failed_payloads_forget() == 0
    assert failed_payloads_forget(now=timezone.now() + timedelta(days=settings.WEBHOOK_RESEND_DAYS, hours=1)) == 1
    delivery.refresh_from_db()
    assert delivery.payload == {} and not delivery.resendable
    from twofold.webhooks.services import WebhookRuleBroken

    with pytest.raises(WebhookRuleBroken, match="no longer kept"):
        delivery_resend(actor=cast.admin, delivery=delivery)
    run_worker()
    assert len(receiver.requests) == 1


def left_pending(subscription: Subscription, *, minutes_ago: float) -> Delivery:
    """A delivery committed by a process that died before it queued its task."""
    delivery = Delivery.objects.create(
        subscription=subscription,
        event=TEST_EVENT,
        payload={"subscription": {"id": subscription.pk, "name": subscription.name}},
        occurred_at=timezone.now(),
        test=True,
    )
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return delivery


def test_a_delivery_never_queued_is_queued_by_the_workers_sweep_and_sent_once(cast, receiver: Receiver) -> None:
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    lost = left_pending(subscription, minutes_ago=2)
    fresh = left_pending(subscription, minutes_ago=0)  # its process may still be about to queue it
    run_worker()
    assert not receiver.requests  # no task: nothing would ever send it

    assert sweeps_run() == {"webhooks": {"requeued": 1, "payloads_forgotten": 0}}
    run_worker()
    (request,) = receiver.requests
    assert request.headers["x-twofold-delivery"] == str(lost.pk)
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == DeliveryStatus.SUCCEEDED and lost.attempts == 1
    assert fresh.status == DeliveryStatus.PENDING
    assert deliveries_requeue() == 0  # swept once: it has its task now
    run_worker()
    assert len(receiver.requests) == 1


def test_a_delivery_queued_twice_for_the_same_attempt_is_sent_once(cast, receiver: Receiver) -> None:
    # The process queued the task but died before noting it: the sweep queues a second copy.
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    delivery = left_pending(subscription, minutes_ago=5)
    webhook_deliver.enqueue(str(delivery.pk), attempt=1)
    assert deliveries_requeue() == 1
    run_worker()
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    assert list(delivery.attempt_log.values_list("number", flat=True)) == [1]


def test_a_retry_whose_task_was_lost_is_queued_again_for_its_own_attempt(cast, receiver: Receiver) -> None:
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    receiver.answer_with(500)
    delivery = subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()  # attempt 1 fails; attempt 2 is booked 30 seconds later
    # As if that booking never reached the queue, and its time passed.
    Delivery.objects.filter(pk=delivery.pk).update(
        queued_at=None, next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").delete()
    assert deliveries_requeue() == 1
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert [request.headers["x-twofold-attempt"] for request in receiver.requests] == ["1", "2"]


def test_a_concern_waiting_is_not_sent_once_its_webhook_is_no_longer_for_org_admins_alone(
    cast, receiver: Receiver
) -> None:
    from tests.factories import ProgrammeFactory, acting
    from tests.relationships.pairing import pair_up
    from twofold.relationships.services import concern_raise

    subscription, _ = hook(cast.admin, receiver.url, ["concern.raised"], admins_only=True)
    relationship = pair_up(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
    concern_raise(relationship=relationship, actor=acting(cast.ana), text="Worried")
    # Before the worker sends it, the webhook is changed to an endpoint everyone reads.
    subscription_update(
        actor=cast.admin,
        subscription=subscription,
        name="Everyone",
        url=receiver.url,
        events=["proposal.made"],
        preset="generic",
        admins_only=False,
        active=True,
    )
    run_worker()
    assert not receiver.requests
    delivery = Delivery.objects.get(event="concern.raised")
    assert delivery.status == DeliveryStatus.CANCELLED and delivery.payload == {}
