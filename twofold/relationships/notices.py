"""Emails sent the moment something happens, rather than by the daily run: a programme manager's
nudge to a pair, and the word to a programme's managers that a concern was raised.

A concern's email carries no text and no names: only that a concern waits in a programme, and the
link to the concerns page, where a manager signed in reads it (and reading it is audited). A failed
send is logged and never undoes what happened: the nudge stays in the pair's log, the concern in the
queue.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from twofold.accounts.models import User
from twofold.programmes.models import Programme
from twofold.relationships.links import relationship_link, site_link
from twofold.relationships.models import Concern, PairEvent
from twofold.relationships.reminders import Recipient, one_line, programme_managers

logger = logging.getLogger(__name__)


def _send(*, template: str, subject: str, recipient: Recipient, context: dict[str, Any], kind: str) -> bool:
    context = {**context, "recipient_name": recipient.name}
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=render_to_string(f"relationships/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.address],
        headers={"Auto-Submitted": "auto-generated", "X-Twofold-Notice": kind},
    )
    message.attach_alternative(render_to_string(f"relationships/email/{template}.html", context), "text/html")
    try:
        message.send()
    except Exception:
        # Deliberately broad: a refused address must not turn a recorded action into an error page.
        logger.exception("Could not send the %s email to %s", kind, recipient.email)
        return False
    return True


def nudge_send(event: PairEvent) -> int:
    """Email both people of the nudged pair (those still here); returns how many were sent."""
    relationship = event.relationship
    programme = relationship.programme
    sent = 0
    for person, partner, partner_role in (
        (relationship.mentor, relationship.mentee, programme.mentee_label),
        (relationship.mentee, relationship.mentor, programme.mentor_label),
    ):
        if not (person.active and person.email):
            continue
        recipient = Recipient(email=person.email, name=person.name, role="pair", person_id=person.pk)
        context = {
            "programme_name": programme.name,
            "partner_name": partner.name,
            "partner_role": partner_role,
            "message": event.text,
            "link": relationship_link(relationship.pk),
            "for_manager": False,
        }
        sent += _send(
            template="nudge",
            subject=f"Time to meet {partner.name}: a word from {programme.name}",
            recipient=recipient,
            context=context,
            kind="nudge",
        )
    return sent


def _concern_recipients(programme: Programme) -> tuple[Recipient, ...]:
    managers = programme_managers([programme.pk]).get(programme.pk, ())
    if managers:
        return managers
    # A programme nobody manages: its concerns go to the org admins, who handle every programme's.
    return tuple(
        Recipient(email=user.email, name=user.get_full_name() or user.username, role="manager")
        for user in User.objects.filter(is_superuser=True, is_active=True).exclude(email="").order_by("pk")
    )


def concern_raised_send(concern: Concern) -> int:
    """Tell the programme's managers a concern waits for them, without its text or who raised it."""
    programme = concern.relationship.programme
    sent = 0
    for recipient in _concern_recipients(programme):
        context = {
            "programme_name": programme.name,
            "link": site_link(reverse("relationships:concerns")),
            "for_manager": True,
        }
        sent += _send(
            template="concern_raised",
            subject=f"A concern was raised in {programme.name}",
            recipient=recipient,
            context=context,
            kind="concern_raised",
        )
    return sent
