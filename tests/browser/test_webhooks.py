"""An org admin points Twofold at a receiver, copies the secret, and sends a test event that the
worker delivers, signed, to a real receiver on loopback."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, sign_in
from tests.loopback import run_worker
from tests.webhooks.test_deliveries import documented_verifier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_a_webhook_and_sends_a_test_event(page, cast, receiver) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "admin")
    page.goto("/integrations/webhooks/")
    page.get_by_role("link", name="New webhook").click()
    page.get_by_label("Name").fill("Ops receiver")
    page.get_by_label("URL").fill("gopher://nowhere")
    page.get_by_label("proposal.made", exact=False).check()
    page.get_by_role("button", name="Create webhook").click()
    assert "must start with https://" in page.locator(".error-summary").inner_text()

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_role("button", name="Create webhook").click()
    secret = page.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    assert_accessible(page)
    page.get_by_role("link", name="Go to the webhook").click()
    assert secret not in page.content()
    page.get_by_role("button", name="Send test event").click()
    assert "Test event queued" in page.content()

    run_worker()
    (request,) = receiver.requests
    assert request.json["event"] == "webhook.test" and request.json["test"] is True
    assert documented_verifier()(secret, request.headers, request.body)
    page.reload()
    assert "Delivered" in page.content() and "1: 200" in page.content()


def test_an_admin_rotates_the_secret_and_resends_a_delivery_that_gave_up(page, cast, receiver, settings) -> None:  # type: ignore[no-untyped-def]
    from twofold.webhooks.services import subscription_create, subscription_send_test

    settings.WEBHOOK_MAX_ATTEMPTS = 1
    webhook, old_secret = subscription_create(
        actor=cast.admin, name="Ops receiver", url=receiver.url, events=["proposal.made"]
    )
    receiver.answer_with(500)
    subscription_send_test(actor=cast.admin, subscription=webhook)
    run_worker()

    sign_in(page, "admin")
    page.goto(f"/integrations/webhooks/{webhook.pk}/")
    page.get_by_role("button", name="New signing secret…").click()
    page.get_by_role("button", name="Yes, make a new secret").click()
    secret = page.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_") and secret != old_secret
    page.get_by_role("link", name="Go to the webhook").click()
    assert "Failed; gave up" in page.content()
    page.get_by_role("button", name="Resend").click()
    assert "Delivery queued again" in page.content()

    run_worker()
    first, again = receiver.requests
    assert again.headers["x-twofold-delivery"] == first.headers["x-twofold-delivery"]
    assert documented_verifier()(secret, again.headers, again.body)
    assert not documented_verifier()(old_secret, again.headers, again.body)
    page.reload()
    assert "Delivered" in page.content()
