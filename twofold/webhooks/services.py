"""Writes of the webhooks app: subscriptions (org admins), deliveries made from events, and attempts.

A delivery is sent by the background worker (:mod:`twofold.webhooks.tasks`), never inside the
request that caused it. An attempt that gets no 2xx answer is tried again after
``WEBHOOK_RETRY_SECONDS`` × 2^(attempt − 1), until ``WEBHOOK_MAX_ATTEMPTS``; a delivery that
succeeded, gave up or was cancelled is never sent again, however often its task runs (at-least-once:
a worker stopped between the receiver's answer and the record of it sends once more, with the same
``X-Twofold-Delivery`` id).
"""

from __future__ import annotations

import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from twofold.accounts.permissions import authorize
from twofold.events import EVENTS
from twofold.webhooks import presets
from twofold.webhooks.models import (
    FINAL_STATUSES,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Preset,
    Subscription,
)
from twofold.webhooks.signing import signed_headers

logger = logging.getLogger("twofold.webhooks")

SECRET_PREFIX = "whsec_"
MAX_NAME = 100
MAX_URL = 500


class WebhookRuleBroken(ValueError):
    """The request breaks a rule (a bad URL, an unknown event): nothing was written. ``field`` names
    the form field at fault, if one is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def event_allowed(name: str, *, admins_only: bool) -> bool:
    """Whether event ``name`` may go to an endpoint: sensitive events only where org admins alone read."""
    event = EVENTS.get(name)
    return event is not None and (admins_only or not event.admins_only)


def url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a webhook endpoint, or None: http or https, a host, no password."""
    if not url:
        return "Give the endpoint's URL."
    if len(url) > MAX_URL:
        return f"The URL is longer than {MAX_URL} characters."
    if any(character.isspace() or ord(character) < 32 for character in url):
        return "The URL contains spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "This is not a URL that can be posted to (check the host and port)."
    if parts.scheme not in ("http", "https"):
        return "The URL must start with https:// (or http://); other schemes are not posted to."
    if not parts.hostname:
        return "The URL has no host name."
    if parts.username or parts.password:
        return "Put no user name or password in the URL; the signature proves who sent a delivery."
    if port == 0:
        return "The URL's port is not valid."
    return None


def _clean_subscription(
    *, name: str, url: str, preset: str, events: Iterable[str], admins_only: bool
) -> dict[str, Any]:
    name, url = name.strip(), url.strip()
    if not name:
        raise WebhookRuleBroken("Give the webhook a name.", field="name")
    if len(name) > MAX_NAME:
        raise WebhookRuleBroken(f"The name is longer than {MAX_NAME} characters.", field="name")
    problem = url_problem(url)
    if problem:
        raise WebhookRuleBroken(problem, field="url")
    if preset not in Preset.values:
        raise WebhookRuleBroken(f"{preset!r} is not a preset.", field="preset")
    chosen = sorted(set(events))
    if not chosen:
        raise WebhookRuleBroken("Choose at least one event.", field="events")
    unknown = [event for event in chosen if event not in EVENTS]
    if unknown:
        raise WebhookRuleBroken(f"No such event: {', '.join(unknown)}.", field="events")
    refused = [event for event in chosen if not event_allowed(event, admins_only=admins_only)]
    if refused:
        raise WebhookRuleBroken(
            f"{', '.join(refused)} goes only to endpoints that org admins alone read: tick that box, "
            "or leave the event out.",
            field="events",
        )
    return {"name": name, "url": url, "preset": preset, "events": chosen, "admins_only": admins_only}


@transaction.atomic
def subscription_create(
    *,
    actor: Any,
    name: str,
    url: str,
    events: Iterable[str],
    preset: str = Preset.GENERIC,
    admins_only: bool = False,
) -> tuple[Subscription, str]:
    """An org admin points events at an endpoint. Returns the subscription and its signing secret,
    which is shown this once (it is kept, to sign with, but no page shows it again)."""
    authorize(actor, "webhooks.manage")
    fields = _clean_subscription(name=name, url=url, preset=preset, events=events, admins_only=admins_only)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription = Subscription.objects.create(
        **fields, secret=secret, created_by=actor if getattr(actor, "pk", None) else None
    )
    return subscription, secret


@transaction.atomic
def subscription_update(
    *,
    actor: Any,
    subscription: Subscription,
    name: str,
    url: str,
    events: Iterable[str],
    preset: str,
    admins_only: bool,
    active: bool,
) -> Subscription:
    """An org admin changes where a subscription posts, which events, shaped how, and whether it is on.

    The same rules as creating one; the secret stays (see :func:`subscription_rotate_secret`).
    Deliveries already made keep going to the new URL with the new shape, since both are read when
    each attempt is made.
    """
    authorize(actor, "webhooks.manage")
    fields = _clean_subscription(name=name, url=url, preset=preset, events=events, admins_only=admins_only)
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    for field, value in fields.items():
        setattr(current, field, value)
    if current.active != active:
        current.active = active
        current.disabled_at = None if active else timezone.now()
    current.save(update_fields=[*fields, "active", "disabled_at"])
    return current


@transaction.atomic
def subscription_rotate_secret(*, actor: Any, subscription: Subscription) -> tuple[Subscription, str]:
    """A new signing secret for ``subscription``, returned to be shown this once; the old one signs
    nothing from now on (an attempt is signed when it is made, so retries waiting use the new one)."""
    authorize(actor, "webhooks.manage")
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    current.secret = secret
    current.save(update_fields=["secret"])
    return current, secret


@transaction.atomic
def subscription_set_active(*, actor: Any, subscription: Subscription, active: bool) -> Subscription:
    """Disable a subscription (nothing more is sent, deliveries waiting for a retry are cancelled when
    their turn comes) or enable it again (events from then on)."""
    authorize(actor, "webhooks.manage")
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if current.active != active:
        current.active = active
        current.disabled_at = None if active else timezone.now()
        current.save(update_fields=["active", "disabled_at"])
    return current


@transaction.atomic
def subscription_send_test(*, actor: Any, subscription: Subscription) -> Delivery:
    """Queue a test event for ``subscription``, signed and retried like any other."""
    authorize(actor, "webhooks.manage")
    current = Subscription.objects.get(pk=subscription.pk)
    if not current.active:
        raise WebhookRuleBroken("This webhook is disabled: enable it before sending a test event.")
    delivery = Delivery.objects.create(
        subscription=current,
        event=presets.TEST_EVENT,
        payload={"subscription": {"id": current.pk, "name": current.name}},
        occurred_at=timezone.now(),
        test=True,
    )
    _enqueue(delivery)
    return delivery


@transaction.atomic
def delivery_resend(*, actor: Any, delivery: Delivery) -> Delivery:
    """Send a delivery again now, from the log: one that gave up (within
    ``WEBHOOK_RESEND_DAYS``, while its payload is kept) or one waiting for its next retry.

    It is the same delivery, with the same ``X-Twofold-Delivery`` id (a receiver that did get it
    can tell), making one more attempt; if that fails too, it gives up again (or keeps retrying, if
    attempts are left).
    """
    authorize(actor, "webhooks.manage")
    current = Delivery.objects.select_for_update(of=("self",)).select_related("subscription").get(pk=delivery.pk)
    if not current.subscription.active:
        raise WebhookRuleBroken("This webhook is disabled: enable it before resending a delivery.")
    if current.status not in (DeliveryStatus.FAILED, DeliveryStatus.RETRYING):
        raise WebhookRuleBroken(
            f"Only a delivery that failed or waits for a retry is resent; this one is "
            f"{current.get_status_display().lower()}."
        )
    if not current.resendable:
        raise WebhookRuleBroken(
            f"This delivery gave up more than {settings.WEBHOOK_RESEND_DAYS} days ago: what it carried is no "
            "longer kept, so it cannot be sent again."
        )
    current.status, current.next_attempt_at, current.queued_at = DeliveryStatus.RETRYING, timezone.now(), None
    current.save(update_fields=["status", "next_attempt_at", "queued_at"])
    _enqueue(current)
    return current


@transaction.atomic
def deliveries_create(*, event: str, payload: dict[str, Any], occurred_at: datetime) -> list[Delivery]:
    """One delivery of ``event`` for each active subscription that chose it (and may receive it)."""
    subscriptions = [
        subscription
        for subscription in Subscription.objects.filter(active=True)
        if event in subscription.events and event_allowed(event, admins_only=subscription.admins_only)
    ]
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(subscription=subscription, event=event, payload=payload, occurred_at=occurred_at)
            for subscription in subscriptions
        ]
    )
    for delivery in deliveries:
        _enqueue(delivery)
    return deliveries


def _enqueue(delivery: Delivery, *, run_after: datetime | None = None) -> None:
    """Queue the task making the delivery's next attempt, once the transaction commits, and note that
    it was queued (:func:`deliveries_requeue` finds the deliveries whose task never was)."""
    from twofold.webhooks.tasks import webhook_deliver

    attempt = delivery.attempts + 1

    def queue() -> None:
        task = webhook_deliver
        if run_after is not None and task.get_backend().supports_defer:
            task = task.using(run_after=run_after)
        task.enqueue(str(delivery.pk), attempt=attempt)
        Delivery.objects.filter(pk=delivery.pk, attempts=attempt - 1, queued_at__isnull=True).update(
            queued_at=timezone.now()
        )

    transaction.on_commit(queue)


# A delivery whose task should have been queued this long ago, and was not, is queued again.
REQUEUE_AFTER = timedelta(minutes=1)


def deliveries_requeue(*, now: datetime | None = None) -> int:
    """Queue again the deliveries whose task was never queued: the process that made one (or made
    its last attempt) died between the commit and the queuing. Runs at each heartbeat of every
    ``twofold worker`` (:mod:`twofold.operations.recovery`); returns how many it queued.

    Nothing is sent twice: each task names the attempt it makes (the delivery's id and the
    attempt's number are the key), and :func:`delivery_attempt` makes an attempt only once, so a
    task that was queued after all and this one's copy make one attempt between them.
    """
    now = now or timezone.now()
    overdue = now - REQUEUE_AFTER
    lost = Delivery.objects.filter(queued_at__isnull=True).filter(
        Q(status=DeliveryStatus.PENDING, created_at__lt=overdue)
        | Q(status=DeliveryStatus.RETRYING, next_attempt_at__lt=overdue)
    )
    requeued = 0
    for delivery in lost.order_by("created_at")[:1000]:
        # Outside a transaction: queued at once, and noted as queued only once the queue took it (a
        # queue that is down leaves it for the next sweep). Two workers sweeping at once may both
        # queue it; the attempt's number makes that one attempt.
        _enqueue(delivery)
        requeued += 1
    if requeued:
        logger.warning("%d webhook deliveries had no task queued; queued them again", requeued)
    return requeued


def failed_payloads_forget(*, now: datetime | None = None) -> int:
    """Empty the payloads of deliveries that gave up more than ``WEBHOOK_RESEND_DAYS`` ago: past that
    they are not resent, and the names they carried are not kept."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_RESEND_DAYS)
    return (
        Delivery.objects.filter(status=DeliveryStatus.FAILED, created_at__lt=cutoff)
        .exclude(payload={})
        .update(payload={})
    )


def webhooks_sweep() -> dict[str, int]:
    """What every worker's heartbeat does for webhooks: lost deliveries queued again, old payloads forgotten."""
    return {"requeued": deliveries_requeue(), "payloads_forgotten": failed_payloads_forget()}


def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt number ``attempt`` (1, 2, …) the next one is made."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 2 ** (attempt - 1))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer that is not a 2xx: recorded and retried, never followed elsewhere.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST ``body``; the answer's status code (None without one) and what went wrong, if anything."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(65536)
            return int(response.status), ""
    except urllib.error.HTTPError as error:
        return int(error.code), f"HTTP {error.code} {error.reason}"[:300]
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, f"No answer: {reason}"[:300]


def delivery_attempt(*, delivery_id: str, attempt: int | None = None) -> Delivery | None:
    """Make the next attempt at a delivery, unless it is already settled; None if it is gone.

    The row stays locked while it is sent, so two runs of its task cannot both send it. A task that
    names its ``attempt`` makes that attempt only if it is still the next one: a second task for the
    same attempt (queued again by :func:`deliveries_requeue`) finds it made and sends nothing.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in FINAL_STATUSES:
            return delivery
        if attempt is not None and attempt != delivery.attempts + 1:
            return delivery
        subscription = delivery.subscription
        # Disabled since, or changed so that the endpoint may no longer receive this event (no longer
        # read by org admins alone, for a concern): nothing is sent.
        if not subscription.active or not (
            delivery.test or event_allowed(delivery.event, admins_only=subscription.admins_only)
        ):
            delivery.status, delivery.next_attempt_at, delivery.payload = DeliveryStatus.CANCELLED, None, {}
            delivery.save(update_fields=["status", "next_attempt_at", "payload"])
            return delivery
        number = delivery.attempts + 1
        body = presets.body(delivery, subscription.preset)
        headers = signed_headers(
            secret=subscription.secret,
            timestamp=int(time.time()),
            body=body,
            event=delivery.event,
            delivery_id=str(delivery.pk),
            attempt=number,
        )
        at = timezone.now()
        status_code, error = _post(subscription.url, body, headers)
        made = DeliveryAttempt.objects.create(
            delivery=delivery, number=number, at=at, status_code=status_code, error=error
        )
        delivery.attempts = number
        if made.succeeded:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, at, None
        elif number >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            logger.warning("webhook delivery %s to %s gave up after %d attempts", delivery.pk, subscription.pk, number)
        else:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.RETRYING, at + retry_delay(number)
            delivery.queued_at = None
            _enqueue(delivery, run_after=delivery.next_attempt_at)
        if delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.CANCELLED):
            # Names are kept only as long as the delivery may still be sent: the log keeps the event,
            # the attempts and their answers, not who it was about. One that gave up may be resent
            # from the log for WEBHOOK_RESEND_DAYS (failed_payloads_forget empties it then).
            delivery.payload = {}
        delivery.save(update_fields=["status", "attempts", "delivered_at", "next_attempt_at", "payload", "queued_at"])
    return delivery
