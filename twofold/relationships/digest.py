"""The programme managers' daily digest: every idle pair they are told about on a day, in one email
(rather than one email per pair), each programme linking to its pairs list filtered to idle pairs.

Built from plain rows, so that the daily run (:mod:`twofold.relationships.reminders`) decides who
is told about which pair, and this module only writes the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse

from twofold.plain_text import counted
from twofold.relationships.links import site_link


class Mailbox(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def address(self) -> str: ...


@dataclass(frozen=True)
class DigestRow:
    programme_id: int
    programme_name: str
    mentor_name: str
    mentee_name: str
    days_since_meeting: int | None  # None: they have not met since they started


def pairs_link(programme_id: int, *, show: str = "") -> str:
    path = reverse("relationships:pairs", kwargs={"pk": programme_id})
    return site_link(f"{path}?show={show}" if show else path)


def digest_message(
    recipient: Mailbox, rows: list[DigestRow], *, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    """One manager's digest: the idle pairs by programme, plain text and HTML, no notes and no concerns."""
    ordered = sorted(rows, key=lambda row: (row.programme_name, row.programme_id, row.mentor_name, row.mentee_name))
    programmes: list[dict[str, Any]] = [
        {"name": name, "link": pairs_link(programme_id, show="idle"), "pairs": list(pairs)}
        for (name, programme_id), pairs in groupby(ordered, key=lambda row: (row.programme_name, row.programme_id))
    ]
    count = len(rows)
    context = {
        "recipient_name": recipient.name,
        "programmes": programmes,
        "count": count,
        "programme_name": ", ".join(programme["name"] for programme in programmes),
        "link": programmes[0]["link"] if programmes else site_link("/"),
        "for_manager": True,
    }
    subject = f"{counted(count, 'pair')} in your programmes {'has' if count == 1 else 'have'} not met for a while"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("relationships/email/manager_digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.address],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated", "X-Twofold-Reminder": "manager_digest"},
    )
    message.attach_alternative(render_to_string("relationships/email/manager_digest.html", context), "text/html")
    return message
