"""Background tasks of programmes: emailing invitations, away from the request that sent them."""

from __future__ import annotations

from typing import Any

from twofold.operations.tasks import traced_task
from twofold.programmes.emails import invitations_email


@traced_task()
def invitations_email_task(enrolment_ids: list[int], base_url: str | None = None) -> dict[str, Any]:
    """Email the invitations of these enrolments (those not sent yet); links start from ``base_url``."""
    report = invitations_email(enrolment_ids=enrolment_ids, base_url=base_url)
    return {"sent": len(report.sent), "failed": len(report.failed), "skipped": report.skipped}
