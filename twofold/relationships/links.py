"""Absolute links into Twofold for places a request is not at hand: emails and calendar files.

They start from the ``SITE_URL`` setting, because a reminder sent by a background worker has no
request to build an address from.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

# The page of one relationship, where both people answer a proposal, log meetings and check in.
RELATIONSHIP_PATH = "/relationships/{pk}/"


def site_link(path: str) -> str:
    """``path`` (starting with /) on the public address of this Twofold."""
    return settings.SITE_URL.rstrip("/") + path


def site_host() -> str:
    """The host name of ``SITE_URL``; calendar UIDs end with it so that they are unique worldwide."""
    return urlsplit(settings.SITE_URL).hostname or "twofold.invalid"


def relationship_link(relationship_id: int) -> str:
    return site_link(RELATIONSHIP_PATH.format(pk=relationship_id))


def programme_link(programme_id: int) -> str:
    return site_link(reverse("programmes:detail", kwargs={"pk": programme_id}))


def calendar_feed_link(token: str) -> str:
    return site_link(reverse("relationships:calendar_feed", kwargs={"token": token}))
