"""Webhook deliveries end to end: a service does something, the event becomes a delivery, the
database worker posts it to a real receiver on loopback, signed, retried, never twice."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.factories import ProgrammeFactory, acting
from tests.loopback import Receiver, run_worker
from tests.relationships.pairing import pair_up, propose
from twofold.relationships.services import concern_raise, relationship_answer
from twofold.webhooks.models import Delivery, DeliveryStatus, Preset, Subscription
from twofold.webhooks.services import retry_delay, subscription_create, subscription_send_test, subscription_set_active
from twofold.webhooks.tasks import webhook_deliver

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits, and ends a test's transaction on PostgreSQL

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
ALL_BUT_CONCERNS = [
    "proposal.made",
    "proposal.accepted",
    "proposal.declined",
    "proposal.expired",
    "relationship.started",
    "relationship.ended",
    "meeting.logged",
    "match_run.published",
    "import.finished",
]


def documented_verifier() -> Callable[..., bool]:
    """``verify_twofold_webhook`` exactly as docs/integrations.md prints it for receivers to copy."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    snippet = next(block for block in blocks if "def verify_twofold_webhook" in block)
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)
    return namespace["verify_twofold_webhook"]  # type: ignore[no-any-return]


def hook(admin: Any, url: str, events: list[str], **fields: Any) -> tuple[Subscription, str]:
    return subscription_create(actor=admin, name="Mentoring channel", url=url, events=events, **fields)


def test_an_accepted_proposal_arrives_signed_as_documented(cast, receiver: Receiver) -> None:
    subscription, secret = hook(cast.admin, receiver.url, ["proposal.accepted", "relationship.started"])
    programme = ProgrammeFactory(name="Digital fluency", state="matching")
    pair_up(programme, cast.ana, cast.vp_sales)
    run_worker()

    assert [request.json["event"] for request in receiver.requests] == ["proposal.accepted", "relationship.started"]
    verify = documented_verifier()
    for request in receiver.requests:
        assert verify(secret, request.headers, request.body)
        assert not verify(secret, request.headers, request.body + b" ")
        assert not verify("whsec_another", request.headers, request.body)
        assert request.headers["x-twofold-attempt"] == "1"
    started = receiver.requests[1].json
    assert started["data"]["mentor"] == {"id": cast.ana.pk, "name": "Ana Junior"}
    assert started["data"]["programme"]["name"] == "Digital fluency"
    assert started["text"] == "Ana Junior and Vera Sales started their relationship in Digital fluency."
    assert started["id"] == receiver.requests[1].headers["x-twofold-delivery"]
    assert set(Delivery.objects.filter(subscription=subscription).values_list("status", flat=True)) == {"succeeded"}


def test_a_stale_timestamp_fails_the_documented_check(cast, receiver: Receiver) -> None:
    subscription, secret = hook(cast.admin, receiver.url, ["proposal.made"])
    subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()
    (request,) = receiver.requests
    assert documented_verifier()(secret, request.headers, request.body)
    assert not documented_verifier()(secret, request.headers, request.body, tolerance=-1)


def test_a_500_is_retried_then_succeeds_with_the_same_delivery_id(cast, receiver: Receiver, retry_at_once) -> None:
    subscription, secret = hook(cast.admin, receiver.url, ["proposal.made"])
    receiver.answer_with(500)
    propose(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
    run_worker()

    first, second = receiver.requests
    assert first.headers["x-twofold-delivery"] == second.headers["x-twofold-delivery"]
    assert (first.headers["x-twofold-attempt"], second.headers["x-twofold-attempt"]) == ("1", "2")
    assert first.body == second.body
    assert documented_verifier()(secret, second.headers, second.body)
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert [(a.number, a.status_code) for a in delivery.attempt_log.order_by("number")] == [(1, 500), (2, 200)]
    assert "HTTP 500" in delivery.attempt_log.get(number=1).error


def test_a_delivered_event_is_never_sent_again(cast, receiver: Receiver) -> None:
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    delivery = subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()
    webhook_deliver.enqueue(str(delivery.pk))  # the task queued again, as by a worker restarted mid-way
    run_worker()
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    assert delivery.payload == {}  # settled: the names it carried are not kept


def test_it_gives_up_after_the_last_attempt(cast, receiver: Receiver, retry_at_once, settings) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    receiver.answer_with(503, 500, 502, 200)
    delivery = subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()
    assert len(receiver.requests) == 3
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [503, 500, 502]


def test_a_closed_port_is_an_attempt_without_an_answer(cast, receiver: Receiver, settings) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription, _ = hook(cast.admin, "http://127.0.0.1:9/nothing-listens-here", ["proposal.made"])
    delivery = subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()
    delivery.refresh_from_db()
    attempt = delivery.attempt_log.get()
    assert delivery.status == DeliveryStatus.FAILED and attempt.status_code is None
    assert attempt.error.startswith("No answer")


def test_retries_wait_longer_each_time(settings) -> None:
    settings.WEBHOOK_RETRY_SECONDS = 30
    assert [retry_delay(n) for n in (1, 2, 3, 7)] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=32),
    ]


def test_a_failed_delivery_waits_for_its_retry_and_is_cancelled_once_disabled(cast, receiver: Receiver) -> None:
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    receiver.answer_with(500)
    delivery = subscription_send_test(actor=cast.admin, subscription=subscription)
    run_worker()  # the retry is 30 seconds away: this run makes the first attempt only
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.next_attempt_at is not None
    subscription_set_active(actor=cast.admin, subscription=subscription, active=False)
    webhook_deliver.enqueue(str(delivery.pk))  # its turn comes
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED and len(receiver.requests) == 1


def test_a_disabled_webhook_hears_nothing_new(cast, receiver: Receiver) -> None:
    subscription, _ = hook(cast.admin, receiver.url, ["proposal.made"])
    subscription_set_active(actor=cast.admin, subscription=subscription, active=False)
    propose(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
    run_worker()
    assert not receiver.requests and not Delivery.objects.exists()


def test_slack_and_teams_bodies_are_shaped_for_them(cast, receiver: Receiver) -> None:
    hook(cast.admin, receiver.url + "/slack", ["proposal.declined"], preset=Preset.SLACK)
    hook(cast.admin, receiver.url + "/teams", ["proposal.declined"], preset=Preset.TEAMS)
    programme = ProgrammeFactory(name="R&D <fluency>", state="matching")
    proposal = propose(programme, cast.ana, cast.vp_sales)
    relationship_answer(relationship=proposal, actor=acting(cast.vp_sales), accept=False)
    run_worker()

    bodies = {request.path: request.json for request in receiver.requests}
    assert bodies["/hook/slack"] == {
        "text": "A proposal in R&amp;D &lt;fluency&gt; was declined (Ana Junior and Vera Sales)."
    }
    card = bodies["/hook/teams"]["attachments"][0]
    assert bodies["/hook/teams"]["type"] == "message"
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    texts = [block["text"] for block in card["content"]["body"]]
    assert "A proposal in R&D <fluency> was declined (Ana Junior and Vera Sales)." in texts


def test_a_concern_reaches_only_admin_webhooks_and_never_its_text(cast, receiver: Receiver) -> None:
    hook(cast.admin, receiver.url + "/admins", ["concern.raised"], admins_only=True)
    hook(cast.admin, receiver.url + "/everyone", ALL_BUT_CONCERNS)
    relationship = pair_up(ProgrammeFactory(name="Digital fluency", state="matching"), cast.ana, cast.vp_sales)
    concern_raise(relationship=relationship, actor=acting(cast.ana), text="My mentee keeps cancelling on me")
    run_worker()

    to_admins = [request for request in receiver.requests if request.path == "/hook/admins"]
    assert [request.json["event"] for request in to_admins] == ["concern.raised"]
    body = to_admins[0].body.decode()
    assert "cancelling" not in body and "Ana" not in body and "Vera" not in body
    assert to_admins[0].json["data"]["programme"]["name"] == "Digital fluency"
    assert "/concerns/" in to_admins[0].json["text"]
    everyone = [request.json["event"] for request in receiver.requests if request.path == "/hook/everyone"]
    assert "concern.raised" not in everyone and "relationship.started" in everyone


def test_a_concern_is_not_sent_even_to_a_webhook_that_somehow_chose_it(cast, receiver: Receiver) -> None:
    # A row written around the service (the Django shell): the delivery rule still holds.
    Subscription.objects.create(name="Wide", url=receiver.url, events=["concern.raised"], secret="whsec_x")
    relationship = pair_up(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
    concern_raise(relationship=relationship, actor=acting(cast.ana), text="Worried")
    run_worker()
    assert not receiver.requests and not Delivery.objects.exists()


def test_a_rolled_back_change_announces_nothing(cast, receiver: Receiver) -> None:
    from django.db import transaction

    hook(cast.admin, receiver.url, ["proposal.made"])
    with transaction.atomic():
        propose(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
        transaction.set_rollback(True)
    run_worker()
    assert not receiver.requests and not Delivery.objects.exists()


def test_a_delivery_is_made_at_commit_and_sent_only_by_the_worker(cast, receiver: Receiver) -> None:
    hook(cast.admin, receiver.url, ["proposal.made"])
    propose(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
    assert Delivery.objects.get().status == DeliveryStatus.PENDING and not receiver.requests
    run_worker()
    assert receiver.requests[0].json["data"]["mentee"]["name"] == "Vera Sales"
