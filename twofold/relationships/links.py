"""Absolute links into Twofold for places a request is not at hand: emails and calendar files.

They start from the ``SITE_URL`` setting, because a reminder sent by a background worker has no
request to build an address from.
"""

from __future__ import annotations

from django.urls import reverse

from twofold.site_links import site_host, site_link

__all__ = ["calendar_feed_link", "programme_link", "relationship_link", "site_host", "site_link"]

# The page of one relationship, where both people answer a proposal, log meetings and check in.
RELATIONSHIP_PATH = "/relationships/{pk}/"


def relationship_link(relationship_id: int) -> str:
    return site_link(RELATIONSHIP_PATH.format(pk=relationship_id))


def programme_link(programme_id: int) -> str:
    return site_link(reverse("programmes:detail", kwargs={"pk": programme_id}))


def calendar_feed_link(token: str) -> str:
    return site_link(reverse("relationships:calendar_feed", kwargs={"token": token}))
