"""The webhooks pages, for org admins: the list, a new webhook (its secret shown once), a webhook's
delivery log with "send test event" and disable/enable."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from twofold.accounts.permissions import authorize
from twofold.events import EVENTS
from twofold.webhooks.forms import ActiveForm, SubscriptionForm
from twofold.webhooks.models import Subscription
from twofold.webhooks.selectors import recent_deliveries, subscriptions
from twofold.webhooks.services import (
    WebhookRuleBroken,
    subscription_create,
    subscription_send_test,
    subscription_set_active,
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
