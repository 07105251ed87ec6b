"""Webhook subscriptions (where to send which events, shaped how) and their deliveries, attempt by attempt."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Preset(models.TextChoices):
    GENERIC = "generic", "Generic JSON"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams workflow"


class Subscription(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField("URL", max_length=500)
    preset = models.CharField(max_length=10, choices=Preset.choices, default=Preset.GENERIC)
    events = models.JSONField(default=list, help_text="The names of the events sent (twofold.events.EVENTS).")
    admins_only = models.BooleanField(
        "read by org admins only",
        default=False,
        help_text="Only org admins read what arrives there; sensitive events (concerns) go nowhere else.",
    )
    # Kept as it is, not hashed: every delivery is signed with it. Shown once, when created.
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        return f"…{self.secret[-4:]}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    RETRYING = "retrying", "Failed; will try again"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed; gave up"
    CANCELLED = "cancelled", "Not sent: the webhook was disabled, or no longer takes this event"


FINAL_STATUSES = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)


class Delivery(models.Model):
    """One event for one subscription. Its id is the ``X-Twofold-Delivery`` header: the same on every
    attempt, so a receiver can tell a retry from a new event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()
    test = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the task making the next attempt was queued; empty: not known to be."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent"),
            # The heartbeat's sweep for deliveries whose task was never queued: normally none.
            models.Index(
                fields=["status"], condition=models.Q(queued_at__isnull=True), name="webhook_delivery_unqueued"
            ),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id} ({self.status})"

    @property
    def resendable(self) -> bool:
        """Whether it may be sent again from the log: it failed or waits for a retry, and what it
        carries is still kept (a delivery that gave up keeps it for ``WEBHOOK_RESEND_DAYS``)."""
        return self.status in (DeliveryStatus.FAILED, DeliveryStatus.RETRYING) and bool(self.payload)


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="None: no HTTP answer.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once")]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or 'no answer'}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
