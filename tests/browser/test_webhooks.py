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
