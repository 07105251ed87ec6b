"""What every write to a relationship shares: its limits, re-reading the row, moving it along its
transitions, telling which of the pair someone is."""

from __future__ import annotations

from typing import Any

from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from twofold.accounts.permissions import authorize, is_command_line
from twofold.events import announce
from twofold.people.models import Person
from twofold.programmes.models import (
    Enrolment,
    Programme,
    ProgrammeState,
)
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.meeting_clock import meeting_clock_values
from twofold.relationships.models import (
    RELATIONSHIP_TRANSITIONS,
    MeetingStatus,
    Relationship,
    RelationshipState,
)

# Proposals are made while a programme matches, and again when it re-matches people while running.
PROPOSING_STATES = (ProgrammeState.MATCHING, ProgrammeState.RUNNING)
# Relationships that really happened: they make a pair "previously paired".
PAIRED_STATES = (RelationshipState.ACTIVE, RelationshipState.COMPLETED, RelationshipState.ENDED_EARLY)
DEFAULT_CONFIDENTIALITY = (
    "What we say in our meetings stays between us. Neither of us repeats it to managers or colleagues "
    "without the other's permission, and nothing said here is used in a performance or talent review. "
    "Either of us may raise a concern with the programme managers at any time."
)
MEETING_DURATION = (5, 600)
CHECK_IN_SCORE = (1, 5)
# How a meeting's status may change when it is edited (cancelled is final).
MEETING_STATUS_CHANGES: dict[str, tuple[str, ...]] = {
    MeetingStatus.SCHEDULED: (MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.CANCELLED),
    MeetingStatus.HELD: (MeetingStatus.HELD,),
    MeetingStatus.CANCELLED: (),
}


def proposing_refusal(programme: Programme) -> RelationshipRuleBroken | None:
    """Why no pair may be proposed or asked for in ``programme`` now, or None: pairs are made only
    while it is matching or running (:data:`PROPOSING_STATES`). The one statement of the rule, for a
    proposal, a participant's request and the choosing page alike; read without a query."""
    if programme.state in PROPOSING_STATES:
        return None
    return RelationshipRuleBroken(
        f"{programme.name} is {programme.get_state_display().lower()}; partners are proposed and chosen only "
        "while a programme is matching or running.",
        code="programme_not_matching",
    )


# --- shared steps --------------------------------------------------------------------------------


def _locked(relationship: Relationship) -> Relationship:
    """The relationship row, re-read under a row lock (only this row: not the programme joined in)."""
    return (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("programme", "mentor", "mentee")
        .get(pk=relationship.pk)
    )


def _fresh(relationship: Relationship) -> Relationship:
    """The relationship as it is now, whatever the caller's copy says."""
    return Relationship.objects.select_related("programme", "mentor", "mentee").get(pk=relationship.pk)


def _move(relationship: Relationship, *, to: str, **fields: Any) -> None:
    """Move ``relationship`` from the state it was read in to ``to``, as a compare-and-set.

    Only edges of :data:`RELATIONSHIP_TRANSITIONS` are taken. When the row is no longer in the state
    it was read in, another request changed it first and this one is refused with nothing written.
    """
    expected = relationship.state
    if to not in RELATIONSHIP_TRANSITIONS[expected]:
        raise RelationshipStateConflict(
            f"A {_state_label(expected)} relationship cannot become {_state_label(to)}.", code="transition_not_allowed"
        )
    clock: dict[str, Any] = {}
    if "started_at" in fields:  # the clock from the new start (the UPDATE's expressions read the row as it was)
        started = Value(fields["started_at"], output_field=DateTimeField())
        clock = meeting_clock_values(Relationship, start=Coalesce(F("last_met_at"), started))
    changed = Relationship.objects.filter(pk=relationship.pk, state=expected).update(
        state=to, updated_at=timezone.now(), **fields, **clock
    )
    if changed == 0:
        current = Relationship.objects.filter(pk=relationship.pk).values_list("state", flat=True).first()
        raise RelationshipStateConflict(
            f"This relationship is now {_state_label(current)}, no longer {_state_label(expected)}: "
            "someone else changed it first, and nothing was changed.",
            code="state_changed",
        )
    relationship.state = to
    for name, value in fields.items():
        setattr(relationship, name, value)


def _state_label(state: str | None) -> str:
    return RelationshipState(state).label.lower() if state in RelationshipState.values else str(state)


def _require_state(relationship: Relationship, *states: str, action: str) -> None:
    if relationship.state not in states:
        allowed = " or ".join(_state_label(state) for state in states)
        raise RelationshipStateConflict(
            f"Cannot {action}: the relationship is {_state_label(relationship.state)}, not {allowed}.",
            code=f"not_{states[0]}" if len(states) == 1 else "wrong_state",
        )


def _side(relationship: Relationship, person: Person) -> str:
    """Which of the pair ``person`` is, as "mentor" or "mentee"; anyone else is refused."""
    if person.pk == relationship.mentor_id:
        return "mentor"
    if person.pk == relationship.mentee_id:
        return "mentee"
    raise RelationshipForbidden(f"{person.name} is not one of this relationship's pair.", code="not_in_pair")


def _acting_person(
    relationship: Relationship, actor: Any, action: str, person: Person | None = None, *, managers_too: bool = False
) -> Person | None:
    """Check ``actor`` may do ``action`` to ``relationship`` and return the person it is recorded for.

    That is the actor's own directory entry, which must be one of the pair; only a command on the
    server names another ``person`` (of the pair) to record it for. With ``managers_too`` a manager
    of the programme may act as well, recorded with their own entry (None when they have none).
    """
    authorize(actor, action, relationship)
    if person is not None and person.pk != getattr(actor, "person_id", None):
        authorize(actor, "relationships.act_for", person)
    elif person is None:
        person = getattr(actor, "person", None)
    if person is not None and relationship.involves(person.pk):
        return person
    if managers_too and not is_command_line(actor):
        return person
    if person is None:
        raise RelationshipForbidden("Say which of the pair this is recorded for.", code="not_in_pair")
    _side(relationship, person)
    return person


def _pair_person(relationship: Relationship, actor: Any, action: str, person: Person | None = None) -> Person:
    """:func:`_acting_person` for what only the pair does: always one of the two, or a refusal."""
    acting = _acting_person(relationship, actor, action, person)
    assert acting is not None
    return acting


def _release_seat(relationship: Relationship) -> None:
    """Give the mentor's seat back. A relationship holds one while it is proposed or active."""
    Enrolment.objects.filter(pk=relationship.mentor_enrolment_id).update(
        seats_taken=F("seats_taken") - 1, updated_at=timezone.now()
    )


def _text(value: str, *, field: str, code: str, max_length: int | None = None) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise RelationshipRuleBroken(f"{field} must not be empty.", code=code)
    if max_length is not None and len(cleaned) > max_length:
        raise RelationshipRuleBroken(f"{field} is longer than {max_length} characters.", code=code)
    return cleaned


def _announce(event: str, relationship: Relationship, **extra: Any) -> None:
    """Announce ``event`` about ``relationship`` (see :mod:`twofold.events`): its programme and the two
    people by id and name, nothing they wrote."""
    programme = relationship.programme
    announce(
        event,
        {
            "relationship": {"id": relationship.pk, "state": relationship.state},
            "programme": {"id": programme.pk, "name": programme.name, "kind": programme.kind},
            "mentor": {"id": relationship.mentor.pk, "name": relationship.mentor.name},
            "mentee": {"id": relationship.mentee.pk, "name": relationship.mentee.name},
            **extra,
        },
    )
