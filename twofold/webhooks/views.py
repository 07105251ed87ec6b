"""The webhooks pages, for org admins: the list, a new webhook (its secret shown once), a webhook's
delivery log with "send test event", disable/enable, resending a delivery, editing it, and a new
signing secret (shown once)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from twofold.accounts.permissions import authorize
from twofold.confirmation import confirmation_page, confirmed
from twofold.events import EVENTS
from twofold.webhooks.forms import ActiveForm, SubscriptionEditForm, SubscriptionForm
from twofold.webhooks.models import Delivery, Subscription
from twofold.webhooks.selectors import recent_deliveries, subscriptions
from twofold.webhooks.services import (
    WebhookRuleBroken,
    delivery_resend,
    subscription_create,
    subscription_rotate_secret,
    subscription_send_test,
    subscription_set_active,
    subscription_update,
)
from twofold.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER


@login_required
@require_safe
def subscription_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "webhooks.view")
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions()})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_new(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "webhooks.view")  # the form; creating asks for webhooks.manage
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subscription, secret = subscription_create(
                actor=request.user,
                name=data["name"],
                url=data["url"],
                preset=data["preset"],
                events=data["events"],
                admins_only=data["admins_only"],
            )
        except WebhookRuleBroken as error:
            form.add_error(error.field, error.message)
        else:
            # The one time the secret is shown: a page, not a redirect, so it is never in a URL or a flash.
            return render(
                request,
                "webhooks/created.html",
                {
                    "subscription": subscription,
                    "secret": secret,
                    "signature_header": SIGNATURE_HEADER,
                    "timestamp_header": TIMESTAMP_HEADER,
                },
                status=201,
            )
    status = 400 if request.method == "POST" else 200
    return render(request, "webhooks/new.html", {"form": form}, status=status)


def _detail(request: HttpRequest, subscription: Subscription, *, problem: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "webhooks/detail.html",
        {
            "subscription": subscription,
            "events": [EVENTS[name] for name in subscription.events if name in EVENTS],
            "deliveries": recent_deliveries(subscription),
            "problem": problem,
        },
        status=status,
    )


@login_required
@require_safe
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    authorize(request.user, "webhooks.view")
    return _detail(request, get_object_or_404(Subscription, pk=pk))


@login_required
@require_POST
def subscription_test(request: HttpRequest, pk: int) -> HttpResponse:
    authorize(request.user, "webhooks.view")  # changing asks for webhooks.manage, in the service
    subscription = get_object_or_404(Subscription, pk=pk)
    try:
        subscription_send_test(actor=request.user, subscription=subscription)
    except WebhookRuleBroken as error:
        return _detail(request, subscription, problem=error.message, status=400)
    messages.success(request, "Test event queued: its delivery appears below once the worker has sent it.")
    return redirect("webhooks:detail", pk=pk)


@login_required
@require_POST
def subscription_active(request: HttpRequest, pk: int) -> HttpResponse:
    authorize(request.user, "webhooks.view")  # changing asks for webhooks.manage, in the service
    subscription = get_object_or_404(Subscription, pk=pk)
    form = ActiveForm(request.POST)
    if not form.is_valid():
        return _detail(request, subscription, problem="Say whether to enable or disable the webhook.", status=400)
    updated = subscription_set_active(actor=request.user, subscription=subscription, active=form.cleaned_data["active"])
    messages.success(request, "Webhook enabled." if updated.active else "Webhook disabled: nothing more is sent.")
    return redirect("webhooks:detail", pk=pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    authorize(request.user, "webhooks.view")  # the form; changing asks for webhooks.manage, in the service
    subscription = get_object_or_404(Subscription, pk=pk)
    form = SubscriptionEditForm.of(subscription, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subscription_update(
                actor=request.user,
                subscription=subscription,
                name=data["name"],
                url=data["url"],
                preset=data["preset"],
                events=data["events"],
                admins_only=data["admins_only"],
                active=data["active"],
            )
        except WebhookRuleBroken as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, "Webhook saved: the next attempt of every delivery follows it.")
            return redirect("webhooks:detail", pk=pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "webhooks/edit.html", {"form": form, "subscription": subscription}, status=status)


@login_required
@require_POST
def subscription_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    authorize(request.user, "webhooks.view")  # changing asks for webhooks.manage, in the service
    subscription = get_object_or_404(Subscription, pk=pk)
    if not confirmed(request):
        return confirmation_page(
            request,
            title="New signing secret",
            question=f"Give “{subscription.name}” a new signing secret?",
            details=[
                "The current secret stops signing at once: every delivery from now on, retries included, is "
                "signed with the new one, which is shown once.",
                "Put the new secret into the receiver straight away, or it refuses what arrives.",
            ],
            confirm_label="Yes, make a new secret",
            cancel_url=reverse("webhooks:detail", kwargs={"pk": pk}),
        )
    subscription, secret = subscription_rotate_secret(actor=request.user, subscription=subscription)
    # Shown once, on a page (never in a URL or a flash), as when the webhook was created.
    return render(
        request,
        "webhooks/created.html",
        {
            "subscription": subscription,
            "secret": secret,
            "rotated": True,
            "signature_header": SIGNATURE_HEADER,
            "timestamp_header": TIMESTAMP_HEADER,
        },
    )


@login_required
@require_POST
def delivery_resend_view(request: HttpRequest, pk: int, delivery_id: UUID) -> HttpResponse:
    authorize(request.user, "webhooks.view")  # changing asks for webhooks.manage, in the service
    subscription = get_object_or_404(Subscription, pk=pk)
    delivery = get_object_or_404(Delivery, pk=delivery_id, subscription=subscription)
    try:
        delivery_resend(actor=request.user, delivery=delivery)
    except WebhookRuleBroken as error:
        return _detail(request, subscription, problem=error.message, status=400)
    messages.success(request, "Delivery queued again: the worker sends it with the same delivery id.")
    return redirect("webhooks:detail", pk=pk)
