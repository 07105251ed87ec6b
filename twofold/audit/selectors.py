"""Reading the audit log: the search behind the org admins' page and ``twofold audit-export``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from twofold.audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    """What to look for; every field optional. Dates are whole local days, both ends included."""

    person_id: int | None = None  # entries about this person, or by their account
    actor: str = ""  # part of the actor's name (account, person, command line or integration)
    action: str = ""  # part of the action's name
    target_type: str = ""
    target_id: str = ""
    allowed: bool | None = None
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(filters: AuditFilters) -> QuerySet[AuditEntry]:
    """The entries matching ``filters``, newest first (an indexed range on the time when dated)."""
    entries = AuditEntry.objects.all()
    if filters.person_id is not None:
        entries = entries.filter(Q(subject_person_id=filters.person_id) | Q(actor_person_id=filters.person_id))
    if filters.actor:
        entries = entries.filter(actor_name__icontains=filters.actor)
    if filters.action:
        entries = entries.filter(action__icontains=filters.action)
    if filters.target_type:
        entries = entries.filter(target_type=filters.target_type)
    if filters.target_id:
        entries = entries.filter(target_id=filters.target_id)
    if filters.allowed is not None:
        entries = entries.filter(allowed=filters.allowed)
    if filters.since is not None:
        entries = entries.filter(at__gte=_day_start(filters.since))
    if filters.until is not None:
        entries = entries.filter(at__lt=_day_start(filters.until + timedelta(days=1)))
    return entries.order_by("-at", "-pk")


def audit_target_types() -> list[str]:
    return list(AuditEntry.objects.order_by("target_type").values_list("target_type", flat=True).distinct())


def audit_entries_about(person_id: int) -> QuerySet[AuditEntry]:
    """Everything the log holds about one person or done through their account (a data-subject request)."""
    return audit_entries(AuditFilters(person_id=person_id))
