"""Retention: what the daily run removes once it has been kept long enough.

Each kind has its setting, in days (0 keeps it for good); see docs/security.md, "Retention":

- private notes (``RETENTION_PRIVATE_NOTES_DAYS``, 730): deleted, counted from their meeting;
- check-in comments (``RETENTION_CHECK_IN_COMMENTS_DAYS``, 365): emptied, counted from the answer;
  the scores stay, so every average is unchanged;
- concerns (``RETENTION_CONCERNS_DAYS``, 365): text and resolution emptied once resolved, counted
  from the resolution; the row stays, so counts of concerns are unchanged. Open and acknowledged
  concerns are kept whatever their age.

Files waiting on the import page have their own setting, in hours, and are deleted by the same run
(:func:`twofold.people.import_uploads.import_uploads_purge`).

Running it again the same day finds nothing more to do: every query skips what is already gone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from twofold import audit
from twofold.relationships.models import CheckIn, Concern, ConcernStatus, PrivateNote


def _cutoff(days: int, now: datetime) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


@transaction.atomic
def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Remove what has outlived its retention period; returns how many of each were removed."""
    now = now or timezone.now()
    counts = {"private_notes_deleted": 0, "check_in_comments_emptied": 0, "concerns_emptied": 0}
    if cutoff := _cutoff(settings.RETENTION_PRIVATE_NOTES_DAYS, now):
        counts["private_notes_deleted"] = PrivateNote.objects.filter(meeting__starts_at__lt=cutoff).delete()[0]
    if cutoff := _cutoff(settings.RETENTION_CHECK_IN_COMMENTS_DAYS, now):
        counts["check_in_comments_emptied"] = (
            CheckIn.objects.filter(submitted_at__lt=cutoff).exclude(comment="").update(comment="")
        )
    if cutoff := _cutoff(settings.RETENTION_CONCERNS_DAYS, now):
        resolved = Concern.objects.filter(status=ConcernStatus.RESOLVED, updated_at__lt=cutoff)
        counts["concerns_emptied"] = resolved.exclude(text="", resolution="").update(text="", resolution="")
    if any(counts.values()):
        audit.record("retention.apply", target_type="retention", detail=counts)
    return counts
