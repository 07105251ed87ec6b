"""Reads of the webhooks app: the subscriptions, and a subscription's recent deliveries with their attempts."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from twofold.webhooks.models import Delivery, DeliveryAttempt, Subscription

RECENT_DELIVERIES = 50


def subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.annotate(delivery_count=Count("deliveries"))


def recent_deliveries(subscription: Subscription) -> list[Delivery]:
    return list(
        Delivery.objects.filter(subscription=subscription)
        .prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number")))
        .order_by("-created_at")[:RECENT_DELIVERIES]
    )
