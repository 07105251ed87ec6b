"""Self-identification given by the person, with their consent, and withdrawn by them.

The restricted attributes (gender, ethnicity, birth year, disability) are stored from the form only
when the person ticks the consent shown beside it (:data:`CONSENT_TEXT`), and the moment is kept.
Withdrawing deletes the values at once and marks the row, so that a later import from the HRIS does
not bring them back. Both are audited, without the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from twofold import audit
from twofold.accounts import permissions
from twofold.people.models import Person, SelfIdentification

CONSENT_TEXT = (
    "I agree that Twofold stores these answers to help my organisation check that its programmes are "
    "fair. Only I and the org admins can see them; reports use them only in groups large enough that "
    "no one can be picked out. Every answer is optional, and I can withdraw this consent at any time "
    "on this page, which deletes the answers."
)
MIN_BIRTH_YEAR = 1900


class SelfIdentificationRefused(Exception):
    """The answers cannot be stored (no consent, or a value out of range); nothing was written."""


@dataclass(frozen=True)
class Answers:
    gender: str = ""
    ethnicity: str = ""
    birth_year: int | None = None
    disability: str = ""

    def cleaned(self) -> Answers:
        return Answers(
            gender=self.gender.strip()[:100],
            ethnicity=self.ethnicity.strip()[:100],
            birth_year=self.birth_year,
            disability=self.disability.strip()[:100],
        )


def _require_self(actor: Any, person: Person, action: str) -> None:
    if not permissions.allowed(actor, action, person):
        audit.record(action, actor=actor, target=person, allowed=False)
        raise PermissionDenied("Only the person themselves answers these questions.")


def self_identification_set(*, actor: Any, person: Person, answers: Answers, consent: bool) -> SelfIdentification:
    """Store the person's own answers, with their consent (refused without it)."""
    # Asked before the transaction, so that the refusal's audit entry is not rolled back with it.
    _require_self(actor, person, "self_identification.set")
    return _store(actor=actor, person=person, answers=answers, consent=consent)


@transaction.atomic
def _store(*, actor: Any, person: Person, answers: Answers, consent: bool) -> SelfIdentification:
    if not consent:
        raise SelfIdentificationRefused("Tick the consent to store your answers; nothing was stored.")
    answers = answers.cleaned()
    this_year = timezone.localdate().year
    if answers.birth_year is not None and not MIN_BIRTH_YEAR <= answers.birth_year <= this_year:
        raise SelfIdentificationRefused(f"The birth year must be between {MIN_BIRTH_YEAR} and {this_year}.")
    row, _ = SelfIdentification.objects.select_for_update().get_or_create(person=person)
    row.gender, row.ethnicity, row.birth_year, row.disability = (
        answers.gender,
        answers.ethnicity,
        answers.birth_year,
        answers.disability,
    )
    row.consented_at = timezone.now()
    row.withdrawn_at = None
    row.save()
    audit.record("self_identification.set", actor=actor, target=person)
    return row


def self_identification_withdraw(*, actor: Any, person: Person) -> bool:
    """Withdraw consent: the answers are deleted and not imported again. True if there were any."""
    _require_self(actor, person, "self_identification.withdraw")
    return _withdraw(actor=actor, person=person)


@transaction.atomic
def _withdraw(*, actor: Any, person: Person) -> bool:
    row, _ = SelfIdentification.objects.select_for_update().get_or_create(person=person)
    had_answers = bool(row.gender or row.ethnicity or row.birth_year is not None or row.disability)
    row.gender = row.ethnicity = row.disability = ""
    row.birth_year = None
    row.consented_at = None
    row.withdrawn_at = timezone.now()
    row.save()
    audit.record("self_identification.withdraw", actor=actor, target=person, detail={"had_answers": had_answers})
    return had_answers
