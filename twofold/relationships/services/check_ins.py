"""Check-ins answered by the pair, and concerns raised with (and handled by) the programme managers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.accounts.permissions import authorize, is_command_line
from twofold.events import announce
from twofold.people.models import Person
from twofold.relationships.errors import RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.models import (
    CheckIn,
    CheckInPoint,
    Concern,
    ConcernStatus,
    Meeting,
    MeetingStatus,
    Relationship,
)
from twofold.relationships.notices import concern_raised_send
from twofold.relationships.selectors import (
    check_in_refusal,
)
from twofold.relationships.services.steps import (
    CHECK_IN_SCORE,
    _fresh,
    _pair_person,
    _text,
)

# --- check-ins and concerns ---------------------------------------------------------------------


@transaction.atomic
def check_in_submit(
    *,
    relationship: Relationship,
    actor: Any,
    point: str,
    satisfaction: int,
    psychological_safety: int,
    progress: int,
    comment: str = "",
    would_recommend: bool | None = None,
    person: Person | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """One of the pair answers a check-in: satisfaction, psychological safety and progress, 1–5 each.

    Only at points the programme switches on, once they are open (see
    :func:`~twofold.relationships.selectors.check_in_refusal`), and once per person per point.
    ``would_recommend`` belongs to the closing survey.
    """
    now = now or timezone.now()
    current = _fresh(relationship)
    person = _pair_person(current, actor, "relationships.check_in", person)
    has_held_meeting = Meeting.objects.filter(
        relationship=current, status=MeetingStatus.HELD, starts_at__lte=now
    ).exists()
    refusal = check_in_refusal(relationship=current, point=point, has_held_meeting=has_held_meeting, now=now)
    if refusal is not None:
        code, message = refusal
        error = RelationshipStateConflict if code in ("not_active", "not_completed") else RelationshipRuleBroken
        raise error(message, code=code)
    low, high = CHECK_IN_SCORE
    for name, value in (
        ("Satisfaction", satisfaction),
        ("Psychological safety", psychological_safety),
        ("Progress", progress),
    ):
        if not low <= value <= high:
            raise RelationshipRuleBroken(f"{name} is scored {low} to {high}, not {value}.", code="score_out_of_range")
    if would_recommend is not None and point != CheckInPoint.CLOSING:
        raise RelationshipRuleBroken("'Would you recommend' is asked in the closing survey.", code="closing_only")
    try:
        with transaction.atomic():
            return CheckIn.objects.create(
                relationship=current,
                person=person,
                point=point,
                satisfaction=satisfaction,
                psychological_safety=psychological_safety,
                progress=progress,
                comment=comment.strip(),
                would_recommend=would_recommend,
                submitted_at=now,
            )
    except IntegrityError as error:
        raise RelationshipRuleBroken(
            f"You already answered the {CheckInPoint(point).label.lower()} check-in.", code="already_submitted"
        ) from error


@transaction.atomic
def concern_raise(*, relationship: Relationship, actor: Any, text: str, person: Person | None = None) -> Concern:
    """One of the pair raises a concern with the programme managers, at any stage.

    The partner is never told: no read of the pair's relationship includes concerns. The programme's
    managers are emailed that a concern waits, never what it says.
    """
    current = _fresh(relationship)
    person = _pair_person(current, actor, "relationships.raise_concern", person)
    concern = Concern.objects.create(
        relationship=current, raised_by=person, text=_text(text, field="The concern", code="text_required")
    )
    # To org admins' endpoints only (see twofold.events): that one was raised, where, never what it says or by whom.
    programme = current.programme
    announce(
        "concern.raised",
        {
            "concern": {"id": concern.pk},
            "programme": {"id": programme.pk, "name": programme.name, "kind": programme.kind},
        },
    )
    # The managers are told after the commit, without the concern's text (twofold/relationships/notices.py);
    # not for a concern a command on the server records in someone's name (the demo's history).
    if not is_command_line(actor):
        transaction.on_commit(lambda: concern_raised_send(concern), robust=True)
    return concern


@transaction.atomic
def concern_update(*, concern: Concern, actor: Any, status: str, resolution: str = "") -> Concern:
    """A manager of the programme (or an org admin) acknowledges or resolves a concern; resolving says how."""
    current = (
        Concern.objects.select_for_update(of=("self",)).select_related("relationship__programme").get(pk=concern.pk)
    )
    authorize(actor, "concerns.handle", current)
    if status not in ConcernStatus.values:
        raise RelationshipRuleBroken(f"{status!r} is not a concern status.", code="unknown_status")
    if current.status == ConcernStatus.RESOLVED:
        raise RelationshipStateConflict("This concern is resolved; its record stays as it is.", code="already_resolved")
    if status == ConcernStatus.RESOLVED and not resolution.strip():
        raise RelationshipRuleBroken("Say how the concern was resolved.", code="resolution_required")
    current.status, current.handled_by = status, actor if isinstance(actor, User) else None
    if resolution.strip():
        current.resolution = resolution.strip()
    current.save(update_fields=["status", "resolution", "handled_by", "updated_at"])
    return current
