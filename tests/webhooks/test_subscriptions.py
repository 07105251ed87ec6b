"""Managing webhooks: only org admins, through the services and the pages alike; bad input refused
with a clear message and nothing written; the secret shown once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from twofold.accounts.permissions import CommandLineOperator, NotPermitted
from twofold.webhooks.models import Delivery, Preset, Subscription
from twofold.webhooks.services import (
    WebhookRuleBroken,
    subscription_create,
    subscription_send_test,
    subscription_set_active,
)

URL = "https://hooks.example.org/twofold"


def rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return list(Subscription.objects.order_by("pk").values()), list(Delivery.objects.order_by("pk").values())


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["programme_manager", "ana_user", "executive", "outsider"])
def test_only_org_admins_manage_webhooks_and_a_refusal_changes_nothing(cast, who: str) -> None:
    subscription, _ = subscription_create(actor=cast.admin, name="HR", url=URL, events=["proposal.made"])
    before = rows()
    actor = getattr(cast, who)
    with pytest.raises(NotPermitted):
        subscription_create(actor=actor, name="Mine", url=URL, events=["proposal.made"])
    with pytest.raises(NotPermitted):
        subscription_set_active(actor=actor, subscription=subscription, active=False)
    with pytest.raises(NotPermitted):
        subscription_send_test(actor=actor, subscription=subscription)
    assert rows() == before


def test_the_command_line_manages_webhooks_as_an_org_admin(db) -> None:
    subscription, secret = subscription_create(
        actor=CommandLineOperator(), name="Ops", url=URL, events=["import.finished"]
    )
    assert secret.startswith("whsec_") and subscription.secret == secret and subscription.created_by is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Give the endpoint's URL"),
        ("ftp://files.example.org/hook", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("hooks.example.org/twofold", "must start with https://"),
        ("https://", "no host name"),
        ("https://user:password@hooks.example.org/", "no user name or password"),
        ("https://hooks.example.org:99999/", "not a URL that can be posted to"),
        ("https://hooks.example.org/a b", "spaces or control characters"),
        ("https://hooks.example.org/" + "a" * 500, "longer than 500"),
    ],
)
def test_a_bad_url_is_refused_with_a_clear_message(cast, url: str, message: str) -> None:
    with pytest.raises(WebhookRuleBroken, match=message) as refusal:
        subscription_create(actor=cast.admin, name="HR", url=url, events=["proposal.made"])
    assert refusal.value.field == "url"
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "Give the webhook a name"),
        ({"events": []}, "at least one event"),
        ({"events": ["proposal.made", "salary.changed"]}, "No such event: salary.changed"),
        ({"events": ["concern.raised"]}, "only to endpoints that org admins alone read"),
        ({"preset": "discord"}, "not a preset"),
    ],
)
def test_other_bad_input_is_refused(cast, fields: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"name": "HR", "url": URL, "events": ["proposal.made"], **fields}
    with pytest.raises(WebhookRuleBroken, match=message):
        subscription_create(actor=cast.admin, **arguments)
    assert not Subscription.objects.exists()


def test_concerns_may_go_to_an_admins_only_webhook(cast) -> None:
    subscription, _ = subscription_create(
        actor=cast.admin, name="HR private", url=URL, events=["concern.raised"], admins_only=True
    )
    assert subscription.events == ["concern.raised"]


def test_a_disabled_webhook_sends_no_test_event(cast) -> None:
    subscription, _ = subscription_create(actor=cast.admin, name="HR", url=URL, events=["proposal.made"])
    subscription_set_active(actor=cast.admin, subscription=subscription, active=False)
    with pytest.raises(WebhookRuleBroken, match="enable it"):
        subscription_send_test(actor=cast.admin, subscription=subscription)
    assert not Delivery.objects.exists()


# --- the pages -------------------------------------------------------------------------------------


def test_an_admin_creates_a_webhook_and_sees_its_secret_once(cast) -> None:
    client = signed_in(cast.admin)
    response = client.post(
        reverse("webhooks:new"),
        {"name": "#mentoring", "url": URL, "preset": Preset.SLACK, "events": ["proposal.made", "meeting.logged"]},
    )
    assert response.status_code == 201
    subscription = Subscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert subscription.events == ["meeting.logged", "proposal.made"] and subscription.preset == "slack"
    detail = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    listing = client.get(reverse("webhooks:list")).content.decode()
    assert subscription.secret not in detail and subscription.secret not in listing
    assert subscription.secret[-4:] in detail and "#mentoring" in listing


def test_the_page_says_what_is_wrong_with_a_url(cast) -> None:
    response = signed_in(cast.admin).post(
        reverse("webhooks:new"),
        {"name": "HR", "url": "file:///etc/passwd", "preset": "generic", "events": ["proposal.made"]},
    )
    assert response.status_code == 400
    assert "must start with https://" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_page_refuses_concerns_for_a_wider_audience(cast) -> None:
    response = signed_in(cast.admin).post(
        reverse("webhooks:new"), {"name": "All", "url": URL, "preset": "generic", "events": ["concern.raised"]}
    )
    assert response.status_code == 400 and "org admins alone read" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_buttons_queue_a_test_event_and_disable_the_webhook(cast) -> None:
    subscription, _ = subscription_create(actor=cast.admin, name="HR", url=URL, events=["proposal.made"])
    client = signed_in(cast.admin)
    assert client.post(reverse("webhooks:test", args=[subscription.pk])).status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.test and delivery.event == "webhook.test" and delivery.status == "pending"
    page = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert str(delivery.pk) in page and "Waiting to be sent" in page

    assert client.post(reverse("webhooks:active", args=[subscription.pk]), {"active": "0"}).status_code == 302
    subscription.refresh_from_db()
    assert not subscription.active and subscription.disabled_at is not None
    response = client.post(reverse("webhooks:test", args=[subscription.pk]))
    assert response.status_code == 400 and "enable it" in response.content.decode()
    assert client.post(reverse("webhooks:active", args=[subscription.pk]), {"active": "maybe"}).status_code == 400
    assert client.post(reverse("webhooks:active", args=[subscription.pk]), {"active": "1"}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.active and subscription.disabled_at is None


def test_the_navigation_offers_webhooks_to_org_admins_only(cast) -> None:
    assert reverse("webhooks:list") in signed_in(cast.admin).get(reverse("account")).content.decode()
    assert reverse("webhooks:list") not in signed_in(cast.programme_manager).get(reverse("account")).content.decode()


def test_changes_are_audited_and_looking_is_not(cast) -> None:
    from twofold.audit.models import AuditEntry

    client = signed_in(cast.admin)
    client.get(reverse("webhooks:list"))
    assert not AuditEntry.objects.filter(action__startswith="webhooks.").exists()
    client.post(reverse("webhooks:new"), {"name": "HR", "url": URL, "preset": "generic", "events": ["proposal.made"]})
    entry = AuditEntry.objects.get(action__startswith="webhooks.")
    assert entry.action == "webhooks.manage" and entry.allowed and entry.actor_user_id == cast.admin.pk


def test_every_event_can_be_chosen_and_worded() -> None:
    from twofold.events import EVENTS
    from twofold.webhooks.forms import SubscriptionForm
    from twofold.webhooks.presets import SENTENCES

    assert set(EVENTS) < set(SENTENCES)
    assert {value for value, _ in SubscriptionForm().fields["events"].choices} == set(EVENTS)
