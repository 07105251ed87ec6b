"""Answering a proposal: each of the pair accepts or declines it, and the relationship becomes active
with its agreement; proposals left unanswered past their deadline expire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from twofold.people.models import Person
from twofold.programmes.models import Acceptance, Enrolment
from twofold.relationships.errors import RelationshipForbidden, RelationshipStateConflict
from twofold.relationships.models import Agreement, Answer, Relationship, RelationshipState
from twofold.relationships.services.steps import (
    DEFAULT_CONFIDENTIALITY,
    _acting_person,
    _announce,
    _locked,
    _move,
    _release_seat,
    _side,
    _state_label,
)


def _default_agreement(relationship: Relationship) -> Agreement:
    programme = relationship.programme
    return Agreement.objects.create(
        relationship=relationship,
        goals=relationship.mentee_enrolment.goals,
        cadence_days=programme.cadence_days,
        confidentiality="" if programme.is_sponsorship else DEFAULT_CONFIDENTIALITY,
    )


@transaction.atomic
def relationship_answer(
    *, relationship: Relationship, actor: Any, accept: bool, person: Person | None = None, now: datetime | None = None
) -> Relationship:
    """One of the pair accepts or declines a proposal.

    In a two-sided programme both answer; in a one-sided one only the mentee (protégé) does, the
    mentor having accepted by enrolling. When every answer is in, the relationship becomes active
    with an agreement (the programme's cadence and, for reverse mentoring, a confidentiality
    statement for both to accept). A decline ends the proposal at once and gives the mentor's seat
    back; both stay in the pool to be matched again. Each person answers once, before expiry.
    """
    now = now or timezone.now()
    current = _locked(relationship)
    person = _acting_person(current, actor, "relationships.answer", person)
    assert person is not None
    side = _side(current, person)
    if side == "mentor" and current.programme.acceptance == Acceptance.ONE_SIDED and not current.requested_by_mentee:
        raise RelationshipForbidden(
            f"In {current.programme.name} only the {current.programme.mentee_label} answers a proposal.",
            code="mentee_answers",
        )
    if current.state != RelationshipState.PROPOSED:
        raise RelationshipStateConflict(
            f"This proposal has already been answered: the relationship is {_state_label(current.state)}.",
            code="not_proposed",
        )
    answer_field, other_field = f"{side}_answer", ("mentee_answer" if side == "mentor" else "mentor_answer")
    if getattr(current, answer_field) != Answer.PENDING:
        raise RelationshipStateConflict(
            f"You already {getattr(current, answer_field)} this proposal.", code="already_answered"
        )
    if current.expires_at is not None and now >= current.expires_at:
        raise RelationshipStateConflict("This proposal expired before it was answered.", code="proposal_expired")

    if not accept:
        _move(current, to=RelationshipState.DECLINED, ended_at=now, ended_by=person, **{answer_field: Answer.DECLINED})
        _release_seat(current)
        _announce("proposal.declined", current, declined_by=side)
        return current
    if getattr(current, other_field) == Answer.ACCEPTED:
        _move(current, to=RelationshipState.ACTIVE, started_at=now, **{answer_field: Answer.ACCEPTED})
        _default_agreement(current)
        _announce("proposal.accepted", current)
        _announce("relationship.started", current, started_at=now.isoformat())
        return current
    changed = Relationship.objects.filter(
        pk=current.pk, state=RelationshipState.PROPOSED, **{answer_field: Answer.PENDING}
    ).update(updated_at=timezone.now(), **{answer_field: Answer.ACCEPTED})
    if changed == 0:
        raise RelationshipStateConflict(
            "This proposal changed while you answered; nothing was changed.", code="state_changed"
        )
    setattr(current, answer_field, Answer.ACCEPTED)
    return current


@transaction.atomic
def relationships_expire(*, now: datetime | None = None) -> int:
    """Expire proposals left unanswered past their deadline and give their seats back; returns how many.

    Rows another request is answering right now are skipped (they will be answered, or expired on
    the next run), so this never waits behind a person clicking "accept".
    """
    now = now or timezone.now()
    due = list(
        Relationship.objects.select_for_update(skip_locked=True)
        .filter(state=RelationshipState.PROPOSED, expires_at__lte=now)
        .values_list("pk", "mentor_enrolment_id")
        .order_by("pk")
    )
    if not due:
        return 0
    changed = Relationship.objects.filter(pk__in=[pk for pk, _ in due], state=RelationshipState.PROPOSED).update(
        state=RelationshipState.EXPIRED, ended_at=now, updated_at=timezone.now()
    )
    if changed != len(due):
        # Cannot happen while the rows are locked; if it ever does, give no seat back twice.
        raise RelationshipStateConflict("Proposals changed while they were being expired.", code="state_changed")
    seats: dict[int, int] = {}
    for _, enrolment_id in due:
        seats[enrolment_id] = seats.get(enrolment_id, 0) + 1
    for enrolment_id, count in sorted(seats.items()):
        Enrolment.objects.filter(pk=enrolment_id).update(
            seats_taken=F("seats_taken") - count, updated_at=timezone.now()
        )
    expired = Relationship.objects.filter(pk__in=[pk for pk, _ in due]).select_related("programme", "mentor", "mentee")
    for relationship in expired.order_by("pk"):
        _announce("proposal.expired", relationship)
    return changed
