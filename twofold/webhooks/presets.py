"""What a delivery's body looks like: Twofold's own JSON, or shaped for a chat tool.

- ``generic``: ``{"id", "event", "occurred_at", "test", "text", "data"}``; ``data`` is the event's
  payload (ids and names), ``text`` one sentence saying what happened.
- ``slack``: an incoming webhook's ``{"text": …}`` (Slack's escaping of ``&``, ``<`` and ``>``).
- ``teams``: the message with one Adaptive Card that a Teams workflow's "When a Teams webhook
  request is received" trigger posts to a channel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse

from twofold.webhooks.models import Delivery, Preset

TEST_EVENT = "webhook.test"


def _pair(data: dict[str, Any]) -> str:
    return f"{data['mentor']['name']} and {data['mentee']['name']}"


def _programme(data: dict[str, Any]) -> str:
    return str(data["programme"]["name"])


def _ended(data: dict[str, Any]) -> str:
    how = "completed their relationship" if data.get("outcome") == "completed" else "ended their relationship early"
    return f"{_pair(data)} {how} in {_programme(data)}."


def _import(data: dict[str, Any]) -> str:
    what = "career events" if data["import"]["kind"] == "career_events" else "people"
    return (
        f"An import of {what} was applied: {data['rows']} rows, {data['created']} added, "
        f"{data['updated']} changed, {data['deactivated']} marked as having left."
    )


SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {
    "proposal.made": lambda d: f"New proposal in {_programme(d)}: {_pair(d)}.",
    "proposal.accepted": lambda d: f"{_pair(d)} accepted their proposal in {_programme(d)}.",
    "proposal.declined": lambda d: f"A proposal in {_programme(d)} was declined ({_pair(d)}).",
    "proposal.expired": lambda d: f"A proposal in {_programme(d)} expired unanswered ({_pair(d)}).",
    "relationship.started": lambda d: f"{_pair(d)} started their relationship in {_programme(d)}.",
    "relationship.ended": _ended,
    "meeting.logged": lambda d: f"{_pair(d)} met ({d['meeting']['duration_minutes']} minutes) in {_programme(d)}.",
    "match_run.published": lambda d: (
        f"Match run {d['match_run']['number']} of {_programme(d)} was published: "
        f"{d['proposed']} proposals sent, {d['skipped']} skipped."
    ),
    "import.finished": _import,
    "concern.raised": lambda d: (
        f"A concern was raised in {_programme(d)}. Read it on the Concerns page: "
        f"{settings.SITE_URL.rstrip('/')}{reverse('relationships:concerns')}"
    ),
    TEST_EVENT: lambda d: f"Test event from Twofold for the webhook “{d['subscription']['name']}”: it works.",
}


def sentence(event: str, data: dict[str, Any]) -> str:
    return SENTENCES[event](data)


def _slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(delivery: Delivery, preset: str) -> bytes:
    """The exact bytes sent (and signed) for ``delivery`` under ``preset``; the same on every attempt."""
    text = sentence(delivery.event, delivery.payload)
    document: dict[str, Any]
    if preset == Preset.SLACK:
        document = {"text": _slack_escaped(text)}
    elif preset == Preset.TEAMS:
        document = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": "Twofold", "weight": "Bolder", "size": "Medium"},
                            {"type": "TextBlock", "text": text, "wrap": True},
                        ],
                    },
                }
            ],
        }
    else:
        document = {
            "id": str(delivery.pk),
            "event": delivery.event,
            "occurred_at": delivery.occurred_at.isoformat(),
            "test": delivery.test,
            "text": text,
            "data": delivery.payload,
        }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
