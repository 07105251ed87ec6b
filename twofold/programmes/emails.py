"""The emails a programme sends, in wording its managers may change: the invitations (sent from
here) and the proposal and pair reminders (sent by :mod:`twofold.relationships.reminders` through
:func:`email_render` and :func:`email_message`).

Each kind of email (:class:`~twofold.programmes.models.EmailKind`) has a default subject and body
(:data:`~twofold.programmes.email_definitions.EMAILS`) and a programme may keep its own
(:class:`~twofold.programmes.models.ProgrammeEmail`).
Both are plain text with placeholders such as ``{{ first_name }}``; an unknown placeholder is refused
when the wording is saved, never sent. Values are substituted as text: a name or description cannot
add markup or template code. Every email has a plain-text and an HTML part, and ends with a footer
the managers cannot remove, saying why the person got it and how to stop any more (decline the
invitation; end the relationship).

Invitations go once to each person invited (recorded in
:class:`~twofold.programmes.models.EnrolmentEmailSent` before sending, so that two workers never
both send one), and once more a few days before the programme's enrolment closes to those who have
not answered yet (the daily run calls :func:`invitation_reminders_send`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from email.headerregistry import Address
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from twofold.accounts.models import User
from twofold.accounts.permissions import authorize
from twofold.programmes.email_definitions import EMAILS
from twofold.programmes.errors import ProgrammeRuleBroken
from twofold.programmes.models import (
    EmailKind,
    Enrolment,
    EnrolmentEmailSent,
    EnrolmentRole,
    EnrolmentStatus,
    Programme,
    ProgrammeEmail,
    ProgrammeState,
)
from twofold.site_links import site_link

logger = logging.getLogger(__name__)

# ``{{ name }}``; anything else between double braces is an unknown placeholder.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# People still invited are reminded once, this many days (or fewer) before enrolment closes.
REMINDER_DAYS_BEFORE_CLOSING = 3
SUBJECT_MAX = 200
BODY_MAX = 5000

# Checking and rendering wording ------------------------------------------------------------------


def wording_problems(kind: str, *, subject: str, body: str) -> dict[str, list[str]]:
    """What is wrong with this wording of ``kind``, by field (``subject``, ``body``); empty when nothing.

    Unknown placeholders are named with the ones that exist; a lone ``{{`` or ``}}`` is refused too,
    since it would reach the reader as it stands."""
    definition = EMAILS[kind]
    problems: dict[str, list[str]] = {}
    for name, text, most in (("subject", subject, SUBJECT_MAX), ("body", body, BODY_MAX)):
        found: list[str] = []
        if not text.strip():
            found.append(f"The {name} is empty.")
        if len(text) > most:
            found.append(f"The {name} is {len(text)} characters long; at most {most}.")
        if name == "subject" and ("\n" in text or "\r" in text):
            found.append("The subject must be one line.")
        unknown = sorted({match.group(1) for match in PLACEHOLDER.finditer(text)} - set(definition.placeholders))
        for placeholder in unknown:
            found.append(
                f"Unknown placeholder {{{{ {placeholder} }}}}: use one of "
                + ", ".join(f"{{{{ {known} }}}}" for known in definition.placeholders)
                + "."
            )
        rest = PLACEHOLDER.sub("", text)
        if "{{" in rest or "}}" in rest:
            found.append("A “{{” or “}}” is not part of a placeholder; write placeholders as {{ name }}.")
        if found:
            problems[name] = found
    return problems


def render_text(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value, as plain text."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), text)


def render_html(text: str, values: dict[str, str]) -> str:
    """``text`` as HTML paragraphs: the wording and the values escaped, the link a link."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        shown = escape(values.get(name, ""))
        return f'<a href="{shown}">{shown}</a>' if name == "link" else str(shown)

    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    html = []
    for paragraph in paragraphs:
        pieces, last = [], 0
        for match in PLACEHOLDER.finditer(paragraph):
            pieces.append(str(escape(paragraph[last : match.start()])))
            pieces.append(value(match))
            last = match.end()
        pieces.append(str(escape(paragraph[last:])))
        content = "".join(pieces).strip()
        if content:  # a paragraph that was only an empty value (no description) is left out
            html.append("<p>" + content.replace("\n", "<br>\n") + "</p>")
    return "\n".join(html)


def email_wording(
    programme: Programme, kind: str, *, cache: dict[tuple[int, str], tuple[str, str]] | None = None
) -> tuple[str, str]:
    """The subject and body ``programme`` sends for ``kind``: its own, or the default. A run that
    sends many emails passes a ``cache`` so that each programme's wording is read once."""
    if cache is not None and (programme.pk, kind) in cache:
        return cache[programme.pk, kind]
    own = ProgrammeEmail.objects.filter(programme=programme, kind=kind).first()
    wording = (own.subject, own.body) if own is not None else (EMAILS[kind].subject, EMAILS[kind].body)
    if cache is not None:
        cache[programme.pk, kind] = wording
    return wording


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    body_html: str
    footer_html: str

    @property
    def html(self) -> str:
        # Both parts were escaped piece by piece as they were rendered.
        parts = {"body_html": mark_safe(self.body_html), "footer_html": mark_safe(self.footer_html)}
        return render_to_string("programmes/email/message.html", parts)


def email_render(kind: str, *, subject: str, body: str, values: dict[str, str]) -> RenderedEmail:
    """The email as it will be read: subject on one line, body and the fixed footer, as text and HTML."""
    footer = EMAILS[kind].footer
    return RenderedEmail(
        subject=" ".join(render_text(subject, values).split()),
        # A placeholder alone on its lines and empty (no description) leaves no gap of blank lines.
        text=re.sub(r"\n\s*\n(\s*\n)+", "\n\n", render_text(body, values)).strip()
        + "\n\n-- \n"
        + render_text(footer, values)
        + "\n",
        body_html=render_html(body, values),
        footer_html=render_html(footer, values),
    )


def _day(day: date | None) -> str:
    return dateformat.format(day, "l j F Y") if day is not None else "no set date"


def invitation_values(enrolment: Enrolment, *, base_url: str | None = None) -> dict[str, str]:
    """The placeholders' values for the invitation of ``enrolment``."""
    programme, person = enrolment.programme, enrolment.person
    inviter = enrolment.invited_by
    invited_by = (inviter.get_full_name() or inviter.username) if inviter is not None else "The programme's team"
    return {
        "first_name": person.name.split()[0] if person.name.split() else person.name,
        "name": person.name,
        "role": programme.mentor_label if enrolment.role == EnrolmentRole.MENTOR else programme.mentee_label,
        "programme_name": programme.name,
        "programme_kind": programme.get_kind_display().lower(),
        "description": programme.description.strip(),
        "invited_by": invited_by,
        "link": site_link(reverse("programmes:apply", kwargs={"pk": programme.pk}), base_url=base_url),
        "closes_on": _day(programme.enrolment_closes_on),
    }


def sample_values(
    programme: Programme, *, actor: Any, kind: str = EmailKind.INVITATION, base_url: str | None = None
) -> dict[str, str]:
    """Values for the preview and the test email of ``kind``: the manager as the person invited (to a
    mentor's seat), or as the mentor of a pair whose partner is "Sam Example"."""
    name = (getattr(actor, "get_full_name", lambda: "")() or getattr(actor, "username", "")) or "Alex Example"
    values = {
        "first_name": name.split()[0],
        "name": name,
        "role": programme.mentor_label,
        "own_role": programme.mentor_label,
        "partner_name": "Sam Example",
        "partner_role": programme.mentee_label,
        "programme_name": programme.name,
        "programme_kind": programme.get_kind_display().lower(),
        "description": programme.description.strip(),
        "invited_by": name,
        "link": site_link(reverse("programmes:apply", kwargs={"pk": programme.pk}), base_url=base_url),
        "closes_on": _day(programme.enrolment_closes_on),
        **EMAILS[kind].samples,
    }
    return {name: value for name, value in values.items() if name in EMAILS[kind].placeholders}


def email_message(
    rendered: RenderedEmail,
    *,
    to: str,
    kind: str,
    link: str,
    connection: BaseEmailBackend | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """The email as sent: both parts, and headers saying no one typed it and where to stop more
    (``link``: decline the invitation, or the pair's page)."""
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
        headers={
            # RFC 3834: no one typed this; RFC 2369: where to stop it.
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{link}>",
            "X-Twofold-Email": kind,
            **(headers or {}),
        },
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


# Changing the wording: services -------------------------------------------------------------------


def _check_wording(kind: str, subject: str, body: str) -> None:
    if kind not in EMAILS:
        raise ProgrammeRuleBroken(f"no such email: {kind}", code="unknown_email")
    problems = wording_problems(kind, subject=subject, body=body)
    if problems:
        field_name = "body" if "body" in problems else "subject"
        flat = [message for messages in problems.values() for message in messages]
        raise ProgrammeRuleBroken("; ".join(flat), code="invalid_email", field=field_name, problems=flat)


@transaction.atomic
def programme_email_save(*, actor: Any, programme: Programme, kind: str, subject: str, body: str) -> ProgrammeEmail:
    """Keep ``programme``'s own wording of ``kind``, refused (nothing saved) while a placeholder is unknown."""
    authorize(actor, "programmes.manage", programme)
    _check_wording(kind, subject, body)
    email, _ = ProgrammeEmail.objects.update_or_create(
        programme=programme,
        kind=kind,
        defaults={"subject": subject.strip(), "body": body.strip(), "updated_by": _user_or_none(actor)},
    )
    return email


@transaction.atomic
def programme_email_reset(*, actor: Any, programme: Programme, kind: str) -> None:
    """Go back to the default wording of ``kind``."""
    authorize(actor, "programmes.manage", programme)
    ProgrammeEmail.objects.filter(programme=programme, kind=kind).delete()


def programme_email_test(
    *, actor: Any, programme: Programme, kind: str, subject: str, body: str, base_url: str | None = None
) -> str:
    """Send this wording (saved or not) to the manager's own address, with sample values; returns the address."""
    authorize(actor, "programmes.manage", programme)
    _check_wording(kind, subject, body)
    address = getattr(actor, "email", "") or getattr(getattr(actor, "person", None), "email", "")
    if not address:
        raise ProgrammeRuleBroken("your account has no email address to send a test to", code="no_email")
    values = sample_values(programme, actor=actor, kind=kind, base_url=base_url)
    rendered = email_render(kind, subject=subject, body=body, values=values)
    rendered = replace(rendered, subject=f"[Test] {rendered.subject}")
    email_message(rendered, to=address, kind=kind, link=values["link"]).send()
    return address


def _user_or_none(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


# Sending invitations and their reminder ------------------------------------------------------------


@dataclass
class EmailReport:
    sent: list[int] = field(default_factory=list)  # enrolment ids
    failed: list[int] = field(default_factory=list)
    skipped: int = 0  # no longer invited, no address, or already sent


def _claim(enrolment: Enrolment, kind: str) -> bool:
    try:
        with transaction.atomic():
            EnrolmentEmailSent.objects.create(enrolment=enrolment, kind=kind)
    except IntegrityError:
        return False
    return True


def invitations_email(
    *,
    enrolment_ids: Iterable[int],
    kind: str = EmailKind.INVITATION,
    base_url: str | None = None,
    connection: BaseEmailBackend | None = None,
) -> EmailReport:
    """Email ``kind`` about each of these enrolments still invited, once each.

    Each is recorded before it is sent and the record removed again when sending fails, so a second
    run sends only what the first could not. Links start from ``base_url`` (the address the manager
    used) or ``SITE_URL``."""
    report = EmailReport()
    ids = sorted(set(enrolment_ids))
    wording: dict[int, tuple[str, str]] = {}
    backend = connection or get_connection()
    for start in range(0, len(ids), 500):
        chunk = (
            Enrolment.objects.filter(pk__in=ids[start : start + 500], status=EnrolmentStatus.INVITED)
            .exclude(emails_sent__kind=kind)
            .select_related("programme", "person", "invited_by")
            .order_by("pk")
        )
        for enrolment in chunk:
            person = enrolment.person
            if not person.active or not person.email:
                report.skipped += 1
                continue
            if enrolment.programme_id not in wording:
                wording[enrolment.programme_id] = email_wording(enrolment.programme, kind)
            subject, body = wording[enrolment.programme_id]
            try:
                values = invitation_values(enrolment, base_url=base_url)
                rendered = email_render(kind, subject=subject, body=body, values=values)
                to = str(Address(display_name=" ".join(person.name.split()), addr_spec=person.email))
                message = email_message(rendered, to=to, kind=kind, link=values["link"], connection=backend)
            except Exception:
                # Deliberately broad: one person's odd data must not stop everybody else's invitation.
                logger.exception("Could not write the %s of enrolment %s", kind, enrolment.pk)
                report.failed.append(enrolment.pk)
                continue
            if not _claim(enrolment, kind):
                report.skipped += 1
                continue
            try:
                message.send()
            except Exception:
                logger.exception("Could not send the %s of enrolment %s", kind, enrolment.pk)
                EnrolmentEmailSent.objects.filter(enrolment=enrolment, kind=kind).delete()
                report.failed.append(enrolment.pk)
            else:
                report.sent.append(enrolment.pk)
    return report


def invitation_reminders_due(*, today: date | None = None) -> list[int]:
    """The enrolments whose invitation reminder is due on ``today``: still invited, invitation sent,
    in a programme that is enrolling and closes within :data:`REMINDER_DAYS_BEFORE_CLOSING` days."""
    today = today or timezone.localdate()
    return list(
        Enrolment.objects.filter(
            status=EnrolmentStatus.INVITED,
            programme__state__in=(ProgrammeState.ENROLLING, ProgrammeState.MATCHING, ProgrammeState.RUNNING),
            programme__enrolment_closes_on__gte=today,
            programme__enrolment_closes_on__lte=today + timedelta(days=REMINDER_DAYS_BEFORE_CLOSING),
            emails_sent__kind=EmailKind.INVITATION,
        )
        .exclude(pk__in=EnrolmentEmailSent.objects.filter(kind=EmailKind.INVITATION_REMINDER).values("enrolment_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def invitation_reminders_send(*, today: date | None = None, connection: BaseEmailBackend | None = None) -> EmailReport:
    """The daily run's part: remind, once, those still invited shortly before enrolment closes."""
    return invitations_email(
        enrolment_ids=invitation_reminders_due(today=today),
        kind=EmailKind.INVITATION_REMINDER,
        connection=connection,
    )
