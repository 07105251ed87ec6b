"""What a pair records while active: the agreement, meetings and private notes, knowledge transfer
and advocacy actions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from twofold.dates import date_out_of_range
from twofold.people.models import MAX_PROFICIENCY, Person, Skill
from twofold.programmes.services import MAX_CADENCE_DAYS
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.meeting_clock import meeting_clock_values
from twofold.relationships.models import (
    AdvocacyAction,
    AdvocacyKind,
    AdvocacyOutcome,
    Agreement,
    Direction,
    KnowledgeTransfer,
    Meeting,
    MeetingStatus,
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.relationships.services.steps import (
    MEETING_DURATION,
    MEETING_STATUS_CHANGES,
    PAIRED_STATES,
    _announce,
    _fresh,
    _pair_person,
    _require_state,
    _side,
    _text,
)

# The longest note a sponsor may add to an advocacy action's outcome (the form and the API say so too).
OUTCOME_NOTE_MAX_LENGTH = 500

# --- the agreement ------------------------------------------------------------------------------


@transaction.atomic
def agreement_update(
    *,
    relationship: Relationship,
    actor: Any,
    person: Person | None = None,
    goals: str | None = None,
    cadence_days: int | None = None,
    confidentiality: str | None = None,
) -> Agreement:
    """Either of the pair edits the agreement of their active relationship.

    An agreement both accepted stops being accepted when its content changes: each must accept
    the new wording. Reverse mentoring keeps a confidentiality statement; it cannot be emptied.
    """
    current = _fresh(relationship)
    person = _pair_person(current, actor, "relationships.agreement", person)
    _require_state(current, RelationshipState.ACTIVE, action="change the agreement")
    agreement = Agreement.objects.select_for_update().get(relationship=current)
    changes: dict[str, Any] = {}
    if goals is not None and goals.strip() != agreement.goals:
        changes["goals"] = goals.strip()
    if cadence_days is not None and cadence_days != agreement.cadence_days:
        if not 1 <= cadence_days <= MAX_CADENCE_DAYS:
            raise RelationshipRuleBroken(
                f"Meet every 1 to {MAX_CADENCE_DAYS} days, not every {cadence_days}.", code="cadence_out_of_range"
            )
        changes["cadence_days"] = cadence_days
    if confidentiality is not None and confidentiality.strip() != agreement.confidentiality:
        if not confidentiality.strip() and not current.programme.is_sponsorship:
            raise RelationshipRuleBroken(
                "A reverse-mentoring agreement keeps a confidentiality statement.", code="confidentiality_required"
            )
        changes["confidentiality"] = confidentiality.strip()
    if changes:
        changes.update(mentor_accepted_at=None, mentee_accepted_at=None)
        for name, value in changes.items():
            setattr(agreement, name, value)
        agreement.save(update_fields=[*changes, "updated_at"])
    return agreement


@transaction.atomic
def agreement_accept(
    *, relationship: Relationship, actor: Any, person: Person | None = None, now: datetime | None = None
) -> Agreement:
    """One of the pair accepts the agreement as it stands; accepting again changes nothing.

    In reverse mentoring the agreement holds a confidentiality statement, and both must accept it.
    """
    now = now or timezone.now()
    current = _fresh(relationship)
    person = _pair_person(current, actor, "relationships.agreement", person)
    side = _side(current, person)
    _require_state(current, RelationshipState.ACTIVE, action="accept the agreement")
    agreement = Agreement.objects.select_for_update().get(relationship=current)
    if not current.programme.is_sponsorship and not agreement.confidentiality.strip():
        raise RelationshipRuleBroken(
            "This agreement has no confidentiality statement to accept yet.", code="confidentiality_required"
        )
    field = f"{side}_accepted_at"
    if getattr(agreement, field) is None:
        setattr(agreement, field, now)
        agreement.save(update_fields=[field, "updated_at"])
    return agreement


# --- meetings and private notes -----------------------------------------------------------------


def relationship_last_met_refresh(relationship_id: int) -> None:
    """Keep ``last_met_at`` and ``meetings_held`` of a relationship equal to its held meetings, and
    its meeting clock with them (after any change to its meetings; bulk loads call it too)."""
    held = Meeting.objects.filter(relationship_id=OuterRef("pk"), status=MeetingStatus.HELD)
    last_met_at = Subquery(held.order_by("-starts_at").values("starts_at")[:1])
    Relationship.objects.filter(pk=relationship_id).update(
        last_met_at=last_met_at,
        # The clock from the new last meeting (the statement's other expressions read the row as it was).
        **meeting_clock_values(Relationship, start=Coalesce(last_met_at, F("started_at"))),
        meetings_held=Coalesce(
            Subquery(held.order_by().values("relationship_id").annotate(n=Count("pk")).values("n")), 0
        ),
    )


def _check_duration(duration_minutes: int) -> None:
    low, high = MEETING_DURATION
    if not low <= duration_minutes <= high:
        raise RelationshipRuleBroken(
            f"A meeting lasts {low} to {high} minutes, not {duration_minutes}.", code="duration_out_of_range"
        )


def _check_date(value: date | datetime, *, what: str) -> None:
    """Refuse a date outside the span Twofold accepts (see :mod:`twofold.dates`): the calendar feed
    and the reminders compute a meeting's end, and that must not run off the calendar."""
    problem = date_out_of_range(value, what=what)
    if problem is not None:
        raise RelationshipRuleBroken(f"{problem[:1].upper()}{problem[1:]}.", code="date_out_of_range")


def _meeting_summary(meeting: Meeting) -> dict[str, Any]:
    # When and how long only: the notes are the pair's.
    return {"id": meeting.pk, "starts_at": meeting.starts_at.isoformat(), "duration_minutes": meeting.duration_minutes}


@transaction.atomic
def meeting_log(
    *,
    relationship: Relationship,
    actor: Any,
    person: Person | None = None,
    starts_at: datetime,
    duration_minutes: int = 45,
    skills: Iterable[Skill] = (),
    shared_note: str = "",
    private_note: str = "",
    location: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Either of an active pair records a meeting that took place.

    The shared note is for both; the private note is stored apart and only its author ever sees it.
    A held meeting cannot lie in the future, nor before the pair was proposed.
    """
    now = now or timezone.now()
    current = _fresh(relationship)
    person = _pair_person(current, actor, "relationships.meetings", person)
    _require_state(current, RelationshipState.ACTIVE, action="log a meeting")
    _check_duration(duration_minutes)
    _check_date(starts_at, what="the meeting's date")
    if starts_at > now:
        raise RelationshipRuleBroken(
            "A meeting that has not happened yet is scheduled, not logged.", code="meeting_in_future"
        )
    if starts_at < current.proposed_at:
        raise RelationshipRuleBroken("That date is before the two of you were paired.", code="before_pairing")
    meeting = Meeting.objects.create(
        relationship=current,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        status=MeetingStatus.HELD,
        location=location.strip(),
        shared_note=shared_note.strip(),
        created_by=person,
    )
    chosen = list(skills)
    if chosen:  # a new meeting has none to take away: nothing to read or write without any
        meeting.skills.set(chosen)
    if private_note.strip():
        PrivateNote.objects.create(meeting=meeting, author=person, text=private_note.strip())
    relationship_last_met_refresh(current.pk)
    _announce("meeting.logged", current, meeting=_meeting_summary(meeting))
    return meeting


@transaction.atomic
def meeting_schedule(
    *,
    relationship: Relationship,
    actor: Any,
    person: Person | None = None,
    starts_at: datetime,
    duration_minutes: int = 45,
    location: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Either of an active pair puts a future meeting in both calendars."""
    now = now or timezone.now()
    current = _fresh(relationship)
    person = _pair_person(current, actor, "relationships.meetings", person)
    _require_state(current, RelationshipState.ACTIVE, action="schedule a meeting")
    _check_duration(duration_minutes)
    _check_date(starts_at, what="the meeting's date")
    if starts_at <= now:
        raise RelationshipRuleBroken("A meeting is scheduled for a time still to come.", code="scheduled_in_past")
    return Meeting.objects.create(
        relationship=current,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        status=MeetingStatus.SCHEDULED,
        location=location.strip(),
        created_by=person,
    )


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    actor: Any,
    person: Person | None = None,
    starts_at: datetime | None = None,
    duration_minutes: int | None = None,
    status: str | None = None,
    location: str | None = None,
    skills: Iterable[Skill] | None = None,
    shared_note: str | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Either of an active pair edits a meeting: reschedule, mark held, cancel, or complete the record.

    A scheduled meeting may become held (once its time has come) or cancelled; a cancelled one is final.
    """
    now = now or timezone.now()
    current = Meeting.objects.select_for_update(of=("self",)).select_related("relationship").get(pk=meeting.pk)
    person = _pair_person(current.relationship, actor, "relationships.meetings", person)
    _require_state(current.relationship, RelationshipState.ACTIVE, action="change a meeting")
    new_status = current.status if status is None else status
    if new_status not in MeetingStatus.values or new_status not in MEETING_STATUS_CHANGES[current.status]:
        raise RelationshipStateConflict(
            f"A {current.status} meeting cannot become {new_status}.", code="meeting_status_not_allowed"
        )
    new_start = current.starts_at if starts_at is None else starts_at
    if starts_at is not None:
        _check_date(starts_at, what="the meeting's date")
    if new_status == MeetingStatus.HELD and new_start > now:
        raise RelationshipRuleBroken("A meeting cannot be held in the future.", code="meeting_in_future")
    if new_status == MeetingStatus.SCHEDULED and starts_at is not None and starts_at <= now:
        raise RelationshipRuleBroken("A meeting is scheduled for a time still to come.", code="scheduled_in_past")
    if new_start < current.relationship.proposed_at:
        raise RelationshipRuleBroken("That date is before the two of you were paired.", code="before_pairing")
    if duration_minutes is not None:
        _check_duration(duration_minutes)
        current.duration_minutes = duration_minutes
    newly_held = new_status == MeetingStatus.HELD and current.status != MeetingStatus.HELD
    current.status, current.starts_at = new_status, new_start
    if location is not None:
        current.location = location.strip()
    if shared_note is not None:
        current.shared_note = shared_note.strip()
    current.save()
    if skills is not None:
        current.skills.set(list(skills))
    relationship_last_met_refresh(current.relationship_id)
    if newly_held:
        _announce("meeting.logged", _fresh(current.relationship), meeting=_meeting_summary(current))
    return current


@transaction.atomic
def private_note_set(*, meeting: Meeting, actor: Any, text: str, author: Person | None = None) -> PrivateNote | None:
    """Write (or, with empty text, delete) the author's own private note on a meeting of their pair."""
    current = Meeting.objects.select_related("relationship").get(pk=meeting.pk)
    author = _pair_person(current.relationship, actor, "relationships.notes", author)
    _require_state(current.relationship, RelationshipState.ACTIVE, action="write a private note")
    if not text.strip():
        PrivateNote.objects.filter(meeting=current, author=author).delete()
        return None
    note, _ = PrivateNote.objects.update_or_create(meeting=current, author=author, defaults={"text": text.strip()})
    return note


# --- what moved: knowledge and advocacy ---------------------------------------------------------


@transaction.atomic
def knowledge_transfer_record(
    *,
    relationship: Relationship,
    actor: Any,
    person: Person | None = None,
    skill: Skill,
    direction: str,
    proficiency_before: int,
    proficiency_after: int,
    note: str = "",
    recorded_on: date | None = None,
) -> KnowledgeTransfer:
    """Either of an active pair records a skill that moved between them, and how far (0–4)."""
    current = _fresh(relationship)
    person = _pair_person(current, actor, "relationships.knowledge", person)
    _require_state(current, RelationshipState.ACTIVE, action="record knowledge transfer")
    if direction not in Direction.values:
        raise RelationshipRuleBroken(f"{direction!r} is not a direction of transfer.", code="unknown_direction")
    if recorded_on is not None:
        _check_date(recorded_on, what="the date")
    for value in (proficiency_before, proficiency_after):
        if not 0 <= value <= MAX_PROFICIENCY:
            raise RelationshipRuleBroken(
                f"Proficiency runs from 0 to {MAX_PROFICIENCY}, not {value}.", code="proficiency_out_of_range"
            )
    return KnowledgeTransfer.objects.create(
        relationship=current,
        skill=skill,
        direction=direction,
        proficiency_before=proficiency_before,
        proficiency_after=proficiency_after,
        note=note.strip(),
        recorded_on=recorded_on or timezone.localdate(),
        recorded_by=person,
    )


def _require_sponsor(relationship: Relationship, person: Person) -> None:
    if not relationship.programme.is_sponsorship:
        raise RelationshipRuleBroken("Advocacy actions belong to sponsorship programmes.", code="not_sponsorship")
    if _side(relationship, person) != "mentor":
        raise RelationshipForbidden("Only the sponsor records what they did as a sponsor.", code="sponsor_only")


@transaction.atomic
def advocacy_action_record(
    *,
    relationship: Relationship,
    actor: Any,
    kind: str,
    happened_on: date,
    description: str,
    person: Person | None = None,
) -> AdvocacyAction:
    """The sponsor of an active sponsorship records something they did for their protégé."""
    current = _fresh(relationship)
    person = _pair_person(current, actor, "relationships.advocacy", person)
    _require_sponsor(current, person)
    _require_state(current, RelationshipState.ACTIVE, action="record an advocacy action")
    if kind not in AdvocacyKind.values:
        raise RelationshipRuleBroken(f"{kind!r} is not a kind of advocacy action.", code="unknown_kind")
    _check_date(happened_on, what="the date")
    return AdvocacyAction.objects.create(
        relationship=current,
        kind=kind,
        happened_on=happened_on,
        description=_text(description, field="The description", code="description_required"),
        recorded_by=person,
    )


@transaction.atomic
def advocacy_action_set_outcome(
    *, action: AdvocacyAction, actor: Any, outcome: str, note: str = "", person: Person | None = None
) -> AdvocacyAction:
    """The sponsor says what came of an advocacy action; outcomes often arrive after the relationship ends.
    The note is optional, at most :data:`OUTCOME_NOTE_MAX_LENGTH` characters."""
    current = AdvocacyAction.objects.select_for_update().get(pk=action.pk)
    relationship = _fresh(current.relationship)
    person = _pair_person(relationship, actor, "relationships.advocacy", person)
    _require_sponsor(relationship, person)
    _require_state(relationship, *PAIRED_STATES, action="record an outcome")
    if outcome not in AdvocacyOutcome.values:
        raise RelationshipRuleBroken(f"{outcome!r} is not an outcome.", code="unknown_outcome")
    # The note may be left empty; one given is held to the limit, refused before anything is written.
    if note.strip():
        note = _text(note, field="The note on the outcome", code="note_too_long", max_length=OUTCOME_NOTE_MAX_LENGTH)
    current.outcome, current.outcome_note = outcome, note.strip()
    current.save(update_fields=["outcome", "outcome_note", "updated_at"])
    return current
