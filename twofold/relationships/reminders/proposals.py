"""The email of a new proposal, sent by the worker once the proposal is committed.

When a match run is published, a programme manager picks a partner for someone, or a mentee of a
participant-choice programme requests a partner, the service queues :func:`proposal_emails_later`:
after its transaction commits (never inside it: a publication rolled back, or refused, emails
nobody) a task sends, to each person of each proposal, the programme's ``proposal_made`` email; a
request goes only to the partner asked (``partner_requested``), since the mentee asked.

Each email is sent once per person and proposal, as the reminders are: claimed in
:class:`~twofold.relationships.models.ReminderSent` before it goes (its day is the day of the
proposal, so the unique constraint holds whenever the task runs), confirmed once the mail server
took it, released again when sending failed. A task run again — queued twice, or retried after its
worker died — releases the dead run's claims and sends only what was not confirmed. A proposal
answered, declined or expired before the worker reached it is not announced any more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from twofold.programmes.emails import email_message, email_render, email_wording
from twofold.programmes.models import EmailKind
from twofold.relationships.models import Answer, Relationship, RelationshipState, ReminderSent
from twofold.relationships.reminders.messages import WordingCache, answer_by, pair_values
from twofold.relationships.reminders.rules import PROPOSAL_REMINDER_EVERY_DAYS, Recipient, local_date
from twofold.relationships.reminders.sending import reminder_claim, reminder_claims_release

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProposalEmail:
    """One email about one new proposal to one of its people."""

    kind: EmailKind
    relationship: Relationship
    recipient: Recipient

    @property
    def key(self) -> str:
        return f"relationship:{self.relationship.pk}:proposed"

    def describe(self) -> str:
        return f"{self.kind.value} to {self.recipient.name} (relationship {self.relationship.pk})"


@dataclass
class ProposalEmailReport:
    sent: list[ProposalEmail] = field(default_factory=list)
    failed: list[ProposalEmail] = field(default_factory=list)
    already_sent: int = 0  # confirmed (or being sent) by another run


def proposal_emails_later(relationship_ids: Iterable[int]) -> None:
    """Queue the emails of these new proposals for when the current transaction commits (at once
    outside one); a rollback queues nothing."""
    from twofold.relationships.tasks import proposal_emails_task

    ids = sorted(set(relationship_ids))
    if ids:
        transaction.on_commit(lambda: proposal_emails_task.enqueue(ids))


def _emails_of(relationship: Relationship) -> list[ProposalEmail]:
    """Who is told of this proposal: the partner asked, for a request; both people otherwise."""
    sides = [(relationship.mentor, "mentor"), (relationship.mentee, "mentee")]
    if relationship.requested_by_mentee:
        sides = sides[:1]
    kind = EmailKind.PARTNER_REQUESTED if relationship.requested_by_mentee else EmailKind.PROPOSAL_MADE
    return [
        ProposalEmail(
            kind=kind,
            relationship=relationship,
            recipient=Recipient(email=person.email, name=person.name, role=role, person_id=person.pk),
        )
        for person, role in sides
        if person.active and person.email
    ]


def _next_step(email: ProposalEmail) -> str:
    relationship = email.relationship
    answer = relationship.mentor_answer if email.recipient.role == "mentor" else relationship.mentee_answer
    if answer != Answer.PENDING:
        # One-sided acceptance: the mentor (sponsor) accepted by enrolling; only the partner answers.
        partner = relationship.mentee.name
        return f"There is nothing for you to answer: {partner} accepts or declines the proposal."
    when = "when you have read it" if relationship.expires_at is None else f"by {answer_by(relationship)}"
    return (
        f"Please accept or decline the proposal {when}. Declining is fine: you go back into the pool for another match."
    )


def proposal_values(email: ProposalEmail) -> dict[str, str]:
    """The placeholders' values of one proposal email."""
    values = pair_values(email.relationship, email.recipient)
    values["answer_by"] = answer_by(email.relationship)
    if email.kind == EmailKind.PROPOSAL_MADE:
        values["next_step"] = _next_step(email)
    return values


def proposal_message(
    email: ProposalEmail, *, connection: BaseEmailBackend | None = None, wording: WordingCache | None = None
) -> EmailMultiAlternatives:
    """The email, plain text and HTML, in the wording of the proposal's programme."""
    subject, body = email_wording(email.relationship.programme, email.kind, cache=wording)
    values = proposal_values(email)
    rendered = email_render(email.kind, subject=subject, body=body, values=values)
    return email_message(
        rendered, to=email.recipient.address, kind=email.kind, link=values["link"], connection=connection
    )


# Proposals read, and what was already sent about them looked up, this many at a time.
CHUNK = 500


def _open_proposals(relationship_ids: list[int]) -> list[Relationship]:
    now = timezone.now()
    chunk = (
        Relationship.objects.filter(pk__in=relationship_ids, state=RelationshipState.PROPOSED)
        .select_related("programme", "mentor", "mentee")
        .order_by("pk")
    )
    return [r for r in chunk if r.expires_at is None or r.expires_at > now]


def proposal_emails_send(
    *, relationship_ids: Iterable[int], connection: BaseEmailBackend | None = None
) -> ProposalEmailReport:
    """Email each person of these proposals (still open) who has not had this proposal's email yet.

    A fixed number of queries per :data:`CHUNK` proposals, and a few per email (its claim and its
    confirmation)."""
    report = ProposalEmailReport()
    reminder_claims_release()
    ids = sorted(set(relationship_ids))
    owns_connection = connection is None
    backend = connection or get_connection()
    wording: WordingCache = {}
    try:
        for start in range(0, len(ids), CHUNK):
            emails = [email for r in _open_proposals(ids[start : start + CHUNK]) for email in _emails_of(r)]
            if not emails:
                continue
            if owns_connection:
                backend.open()  # once: opening an open connection does nothing
            sent = set(
                ReminderSent.objects.filter(
                    kind__in=[EmailKind.PROPOSAL_MADE, EmailKind.PARTNER_REQUESTED],
                    key__in={email.key for email in emails},
                ).values_list("kind", "key", "recipient")
            )
            for email in emails:
                if (email.kind.value, email.key, email.recipient.email) in sent:
                    report.already_sent += 1
                else:
                    _send_one(email, backend=backend, report=report, wording=wording)
    finally:
        if owns_connection:
            backend.close()
    return report


def _send_one(
    email: ProposalEmail, *, backend: BaseEmailBackend, report: ProposalEmailReport, wording: WordingCache
) -> None:
    try:
        # Written before the claim, so that a message that cannot even be written is not marked sent.
        message = proposal_message(email, connection=backend, wording=wording)
    except Exception:
        # Deliberately broad: one person's odd data must not stop everybody else's email.
        logger.exception("Could not write the proposal email %s", email.describe())
        report.failed.append(email)
        return
    claim = reminder_claim(
        kind=email.kind.value,
        key=email.key,
        recipient=email.recipient.email,
        sent_on=local_date(email.relationship.proposed_at),
    )
    if claim is None:
        report.already_sent += 1
        return
    try:
        message.send()
    except Exception:
        logger.exception("Could not send the proposal email %s", email.describe())
        ReminderSent.objects.filter(pk=claim.pk).delete()
        report.failed.append(email)
    else:
        ReminderSent.objects.filter(pk=claim.pk).update(pending=False)
        report.sent.append(email)


def proposal_emails_catch_up(*, connection: BaseEmailBackend | None = None) -> ProposalEmailReport:
    """The daily run's second chance: the emails of proposals made in the last
    :data:`~.rules.PROPOSAL_REMINDER_EVERY_DAYS` days that were never sent (the SMTP server refused
    them, or the task that was to send them was lost), once each. Older proposals are left to the
    proposal reminder."""
    since = timezone.now() - timedelta(days=PROPOSAL_REMINDER_EVERY_DAYS)
    recent = Relationship.objects.filter(state=RelationshipState.PROPOSED, proposed_at__gte=since)
    return proposal_emails_send(relationship_ids=list(recent.values_list("pk", flat=True)), connection=connection)
