"""Sending what is due, once: each reminder claimed before it goes and confirmed once the mail
server took it; the managers' idle pairs gathered into one digest each."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone

from twofold.operations.recovery import process_gone, process_identity
from twofold.relationships.digest import DigestRow, digest_message
from twofold.relationships.models import ReminderSent
from twofold.relationships.reminders.due import reminders_due
from twofold.relationships.reminders.messages import WordingCache, reminder_message
from twofold.relationships.reminders.rules import DueReminder, ReminderKind

logger = logging.getLogger(__name__)


@dataclass
class ReminderReport:
    """What one run sent, what failed to send (and will be tried again), per kind."""

    today: date
    sent: list[DueReminder] = field(default_factory=list)
    failed: list[DueReminder] = field(default_factory=list)
    already_sent: int = 0  # claimed by another run at the same time

    @property
    def counts(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in ReminderKind}
        for due in self.sent:
            counts[due.kind.value] += 1
        return counts


# A claim older than this is released even when its process cannot be looked at (another machine):
# longer than any one message can take to send.
CLAIM_TIMEOUT = timedelta(minutes=30)


def reminder_claims_release() -> int:
    """Delete the claims of runs that died before the mail server took their reminder; returns how many.

    Their reminders were never confirmed sent, so the run that calls this sends them again. A claim
    is released when its process, on this machine, no longer runs, or when it is older than
    ``CLAIM_TIMEOUT`` (its process elsewhere cannot be asked).
    """
    pending = ReminderSent.objects.filter(pending=True)
    stale = [
        row.pk
        for row in pending.only("pk", "claimed_by", "claimed_at")
        if process_gone(row.claimed_by) or (row.claimed_at or timezone.now()) < timezone.now() - CLAIM_TIMEOUT
    ]
    if not stale:
        return 0
    deleted, _ = ReminderSent.objects.filter(pk__in=stale, pending=True).delete()
    logger.warning("released %d reminder claims of runs that stopped before sending them", deleted)
    return deleted


def reminder_claim(*, kind: str, key: str, recipient: str, sent_on: date) -> ReminderSent | None:
    """Record an email before sending it, ``pending`` until the mail server took it; None when
    another run already has (the unique constraint on kind, key, recipient and day)."""
    try:
        with transaction.atomic():
            return ReminderSent.objects.create(
                kind=kind,
                key=key,
                recipient=recipient,
                sent_on=sent_on,
                pending=True,
                claimed_by=process_identity(),
                claimed_at=timezone.now(),
            )
    except IntegrityError:
        return None


def _claim(due: DueReminder, *, today: date) -> ReminderSent | None:
    return reminder_claim(kind=due.kind.value, key=due.key, recipient=due.recipient.email, sent_on=today)


def reminders_send(*, today: date | None = None, connection: BaseEmailBackend | None = None) -> ReminderReport:
    """Send every reminder due on ``today``, each at most once a day, and report what went.

    Each reminder is recorded before it is sent, so two runs at once cannot both send it; when
    sending fails the record is removed again and the next run retries. One reminder that cannot be
    written or sent, for whatever reason, is logged and reported as failed, and the run goes on with
    the others. ``connection`` is an open or closed email backend to send through (default: the
    configured one, opened once for the run; a server that cannot be reached at all fails the run).
    """
    today = today or timezone.localdate()
    report = ReminderReport(today=today)
    reminder_claims_release()
    due = reminders_due(today=today)
    if not due:
        return report
    owns_connection = connection is None
    backend = connection or get_connection()
    if owns_connection:
        backend.open()
    wording: WordingCache = {}
    try:
        for batch in _batches(due):
            _send_batch(batch, backend=backend, today=today, report=report, wording=wording)
    finally:
        if owns_connection:
            backend.close()
    return report


def _batches(due: Sequence[DueReminder]) -> list[list[DueReminder]]:
    """One email per reminder to the pairs; one digest per programme manager of all the idle pairs
    they are told about today, instead of one email per pair."""
    batches: list[list[DueReminder]] = []
    digests: dict[str, list[DueReminder]] = {}
    for reminder in due:
        if reminder.recipient.role == "manager":
            digests.setdefault(reminder.recipient.email, []).append(reminder)
        else:
            batches.append([reminder])
    return batches + list(digests.values())


def _message(
    batch: Sequence[DueReminder], *, connection: BaseEmailBackend, wording: WordingCache
) -> EmailMultiAlternatives:
    if batch[0].recipient.role == "manager":
        return digest_message(batch[0].recipient, [_digest_row(due) for due in batch], connection=connection)
    return reminder_message(batch[0], connection=connection, wording=wording)


def _digest_row(due: DueReminder) -> DigestRow:
    relationship = due.relationship
    return DigestRow(
        programme_id=relationship.programme_id,
        programme_name=relationship.programme.name,
        mentor_name=relationship.mentor.name,
        mentee_name=relationship.mentee.name,
        days_since_meeting=due.days_since_meeting,
    )


def _send_batch(
    batch: Sequence[DueReminder],
    *,
    backend: BaseEmailBackend,
    today: date,
    report: ReminderReport,
    wording: WordingCache,
) -> None:

    try:
        # Built before the claim, so that a message that cannot even be written is not marked sent.
        _message(batch, connection=backend, wording=wording)
    except Exception:
        # Deliberately broad: one person's odd data must not stop everybody else's reminders.
        logger.exception("Could not write reminder %s", batch[0].describe())
        report.failed.extend(batch)
        return
    claimed: list[DueReminder] = []
    claims: list[int] = []
    for reminder in batch:
        claim = _claim(reminder, today=today)
        if claim is None:
            report.already_sent += 1
        else:
            claimed.append(reminder)
            claims.append(claim.pk)
    if not claimed:
        return
    try:
        _message(claimed, connection=backend, wording=wording).send()
    except Exception:
        # A refused recipient, a dropped connection, a header the backend cannot encode: this one
        # was not sent, so it is not recorded as sent, and the next run tries it again.
        logger.exception("Could not send reminder %s", claimed[0].describe())
        ReminderSent.objects.filter(pk__in=claims).delete()
        report.failed.extend(claimed)
    else:
        # The server has it. Dying between its answer and this line is the one moment a reminder
        # could go out twice (the next run would send it again): milliseconds.
        ReminderSent.objects.filter(pk__in=claims).update(pending=False)
        report.sent.extend(claimed)
