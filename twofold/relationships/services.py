"""Writes to relationships: proposals and their answers, the pair's life, ending, completion, and the
nomination that carries a junior mentor from reverse mentoring into sponsorship.

How races are kept out:

- A state change is a compare-and-set (``UPDATE … WHERE id = … AND state = <expected>``) along
  :data:`RELATIONSHIP_TRANSITIONS`; when no row changes, another request won and this one is refused.
- Decisions that read before they write take row locks first, always in the same order, so two
  requests cannot deadlock: the relationship row, then enrolment rows (by primary key), then person
  rows (by primary key). ``relationship_propose`` starts at the enrolments.
- The database has the last word: the enrolment's ``seats_taken <= capacity`` check and the partial
  unique index "one open relationship per mentee per programme" hold even if the code above failed.

On SQLite ``select_for_update`` does nothing, but writers are serialised by the ``IMMEDIATE``
transactions the settings ask for, so the same reads-then-writes are safe there too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from twofold.accounts.models import User
from twofold.dates import date_out_of_range
from twofold.people.models import MAX_PROFICIENCY, Person, Skill
from twofold.programmes import services as programme_services
from twofold.programmes.eligibility import Candidate, EligibilityRules, level_gap_problem, participant_problem
from twofold.programmes.models import (
    Acceptance,
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    Programme,
    ProgrammeKind,
    ProgrammeState,
)
from twofold.programmes.services import MAX_CADENCE_DAYS
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.models import (
    OPEN_STATES,
    RELATIONSHIP_TRANSITIONS,
    AdvocacyAction,
    AdvocacyKind,
    AdvocacyOutcome,
    Agreement,
    Answer,
    CheckIn,
    CheckInPoint,
    Concern,
    ConcernStatus,
    Direction,
    KnowledgeTransfer,
    Meeting,
    MeetingStatus,
    Nomination,
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.relationships.pairing import history_refusal, pair_history, partnered_mentees, pool_place
from twofold.relationships.selectors import (
    END_WINDOW,
    NOMINATION_STATES,
    check_in_refusal,
    programme_is_managed_by,
    relationship_planned_end,
)

__all__ = [
    "DEFAULT_CONFIDENTIALITY",
    "RelationshipForbidden",
    "RelationshipRuleBroken",
    "RelationshipStateConflict",
    "advocacy_action_record",
    "advocacy_action_set_outcome",
    "agreement_accept",
    "agreement_update",
    "check_in_submit",
    "concern_raise",
    "concern_update",
    "knowledge_transfer_record",
    "meeting_log",
    "meeting_schedule",
    "meeting_update",
    "nomination_create",
    "private_note_set",
    "relationship_answer",
    "relationship_complete",
    "relationship_end",
    "relationship_propose",
    "relationships_expire",
]

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
    changed = Relationship.objects.filter(pk=relationship.pk, state=expected).update(
        state=to, updated_at=timezone.now(), **fields
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


def _pair_member_or_manager(relationship: Relationship, actor: Person | User) -> Person | None:
    """Who acts, for the things either of the pair or a programme manager may do.

    A person must be one of the pair; an account acts as its person when that person is one of the
    pair, and otherwise as a manager of the relationship's programme. Returns the person to record
    (None for a manager without a directory entry).
    """
    if isinstance(actor, Person):
        _side(relationship, actor)
        return actor
    if actor.person_id is not None and relationship.involves(actor.person_id):
        return actor.person
    if programme_is_managed_by(programme=relationship.programme, user=actor):
        return actor.person
    raise RelationshipForbidden(
        "Only the two people in the relationship or a manager of its programme may do this.", code="not_permitted"
    )


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


# --- proposing ----------------------------------------------------------------------------------


def _pair_refusal(
    *, programme: Programme, mentor_enrolment: Enrolment, mentee_enrolment: Enrolment, mentor: Person, mentee: Person
) -> RelationshipRuleBroken | None:
    """The first hard rule this pair breaks, read from locked rows; None when the pair may be proposed.

    The rules are the ones the match-run translation applies to a whole pool (see
    :mod:`twofold.relationships.pairing`); only "the two enrolments fit this pair" is particular to
    checking one pair.
    """
    for enrolment, role, person in (
        (mentor_enrolment, EnrolmentRole.MENTOR, mentor),
        (mentee_enrolment, EnrolmentRole.MENTEE, mentee),
    ):
        label = programme.mentor_label if role == EnrolmentRole.MENTOR else programme.mentee_label
        if enrolment.programme_id != programme.pk:
            return RelationshipRuleBroken(f"{person.name} is not enrolled in {programme.name}.", code="wrong_programme")
        if enrolment.role != role:
            return RelationshipRuleBroken(
                f"{person.name} is enrolled as {enrolment.get_role_display().lower()}, not as {label}.",
                code="wrong_role",
            )

    for enrolment, person in ((mentor_enrolment, mentor), (mentee_enrolment, mentee)):
        refusal = _participant_refusal(programme=programme, enrolment=enrolment, person=person)
        if refusal is not None:
            return refusal

    gap_problem = level_gap_problem(
        EligibilityRules.of(programme), mentor=Candidate.of(mentor), mentee=Candidate.of(mentee)
    )
    if gap_problem is not None:
        return RelationshipRuleBroken(gap_problem, code="level_gap")

    # The intervals come from the rows just locked, so a reorganisation committed a moment ago counts;
    # the direct-manager test also covers people added since the tree was last numbered.
    if mentor.shares_reporting_chain(mentee) or mentor.manager_id == mentee.pk or mentee.manager_id == mentor.pk:
        return RelationshipRuleBroken(
            f"{mentor.name} and {mentee.name} are in the same reporting chain, where a candid relationship is "
            "not possible.",
            code="same_reporting_chain",
        )

    return history_refusal(
        programme,
        pair_history(programme, (mentor.pk, mentee.pk)),
        mentor_id=mentor.pk,
        mentor_name=mentor.name,
        mentee_id=mentee.pk,
        mentee_name=mentee.name,
    )


def _participant_refusal(
    *, programme: Programme, enrolment: Enrolment, person: Person
) -> RelationshipRuleBroken | None:
    partnered = enrolment.role == EnrolmentRole.MENTEE and bool(partnered_mentees(programme, [enrolment.pk]))
    problem = participant_problem(
        EligibilityRules.of(programme), Candidate.of(person), pool_place(enrolment, partnered=partnered)
    )
    return None if problem is None else RelationshipRuleBroken(problem.message, code=problem.code)


def participant_refusal(*, programme: Programme, enrolment: Enrolment) -> RelationshipRuleBroken | None:
    """Why this enrolment of ``programme`` may not be paired with anyone now, or None: one person's
    half of :func:`pair_refusal`, the rule the match-run translation applies to everyone in the pool."""
    return _participant_refusal(programme=programme, enrolment=enrolment, person=enrolment.person)


def pair_refusal(
    *, programme: Programme, mentor_enrolment: Enrolment, mentee_enrolment: Enrolment
) -> RelationshipRuleBroken | None:
    """The first hard rule a pair would break if proposed now, without taking locks.

    For reviewing a match run (a swap, a lock): :func:`relationship_propose` checks again, under
    locks, when the run is published.
    """
    return _pair_refusal(
        programme=programme,
        mentor_enrolment=mentor_enrolment,
        mentee_enrolment=mentee_enrolment,
        mentor=mentor_enrolment.person,
        mentee=mentee_enrolment.person,
    )


@transaction.atomic
def relationship_propose(
    *,
    programme: Programme,
    mentor_enrolment: Enrolment,
    mentee_enrolment: Enrolment,
    score: float = 0.0,
    breakdown: dict[str, Any] | None = None,
    weights: dict[str, float] | None = None,
    now: datetime | None = None,
) -> Relationship:
    """Propose a mentor and a mentee to each other, taking one of the mentor's seats.

    Every hard rule is checked again here, on rows locked for the rest of the transaction (the match
    run that suggested the pair may be minutes old): both enrolled and in the pool in their roles,
    both active, the level gap in the programme's band, not in the same reporting chain, not on each
    other's avoid list, the mentee without another open relationship in the programme, not declined
    before in this programme, not paired before in a programme of this kind, an open proposal
    included (unless the programme allows repeats), and a free seat. Raises
    :class:`RelationshipRuleBroken` naming the broken rule.

    The proposal expires ``programme.proposal_expiry_days`` after ``now`` (0: never). In a one-sided
    programme the mentor's enrolment counts as their acceptance, so only the mentee is asked.
    ``score``, ``breakdown`` and ``weights`` are the match run's: the score, the points of each
    component, and the weights they were scored with (to explain the pair as the run did).
    """
    now = now or timezone.now()
    programme = Programme.objects.get(pk=programme.pk)
    if programme.state not in PROPOSING_STATES:
        raise RelationshipRuleBroken(
            f"{programme.name} is {programme.get_state_display().lower()}; pairs are proposed while it matches "
            "or runs.",
            code="programme_not_matching",
        )
    # Lock order: enrolments, then people, each by primary key (see the module docstring).
    locked = {
        enrolment.pk: enrolment
        for enrolment in Enrolment.objects.select_for_update()
        .filter(pk__in=[mentor_enrolment.pk, mentee_enrolment.pk])
        .order_by("pk")
    }
    mentor_row, mentee_row = locked.get(mentor_enrolment.pk), locked.get(mentee_enrolment.pk)
    if mentor_row is None or mentee_row is None or mentor_row.pk == mentee_row.pk:
        raise RelationshipRuleBroken("A proposal needs two different, existing enrolments.", code="not_enrolled")
    people = {
        person.pk: person
        for person in Person.objects.select_for_update()
        .filter(pk__in=[mentor_row.person_id, mentee_row.person_id])
        .order_by("pk")
    }
    mentor, mentee = people[mentor_row.person_id], people[mentee_row.person_id]

    refusal = _pair_refusal(
        programme=programme, mentor_enrolment=mentor_row, mentee_enrolment=mentee_row, mentor=mentor, mentee=mentee
    )
    if refusal is not None:
        raise refusal

    try:
        with transaction.atomic():
            Enrolment.objects.filter(pk=mentor_row.pk).update(
                seats_taken=F("seats_taken") + 1, updated_at=timezone.now()
            )
            relationship = Relationship.objects.create(
                programme=programme,
                mentor=mentor,
                mentee=mentee,
                mentor_enrolment=mentor_row,
                mentee_enrolment=mentee_row,
                score=score,
                breakdown=breakdown or {},
                weights=weights or {},
                mentor_answer=Answer.ACCEPTED if programme.acceptance == Acceptance.ONE_SIDED else Answer.PENDING,
                proposed_at=now,
                expires_at=now + timedelta(days=programme.proposal_expiry_days)
                if programme.proposal_expiry_days
                else None,
            )
    except IntegrityError as error:
        # Only reachable if a write bypassed the locks above: the database constraints still hold,
        # and the refusal is the one the checks above would have given.
        if "enrolment_within_capacity" in str(error):
            raise RelationshipRuleBroken(f"{mentor.name} has no free seat.", code="no_free_seat") from error
        if "relationship_one_open_per_mentee" in str(error):
            raise RelationshipRuleBroken(
                f"{mentee.name} already has an open relationship in {programme.name}.", code="mentee_already_paired"
            ) from error
        raise
    return relationship


# --- answering ----------------------------------------------------------------------------------


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
    *, relationship: Relationship, person: Person, accept: bool, now: datetime | None = None
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
    side = _side(current, person)
    if side == "mentor" and current.programme.acceptance == Acceptance.ONE_SIDED:
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
        return current
    if getattr(current, other_field) == Answer.ACCEPTED:
        _move(current, to=RelationshipState.ACTIVE, started_at=now, **{answer_field: Answer.ACCEPTED})
        _default_agreement(current)
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
    return changed


# --- the agreement ------------------------------------------------------------------------------


@transaction.atomic
def agreement_update(
    *,
    relationship: Relationship,
    person: Person,
    goals: str | None = None,
    cadence_days: int | None = None,
    confidentiality: str | None = None,
) -> Agreement:
    """Either of the pair edits the agreement of their active relationship.

    An agreement both accepted stops being accepted when its content changes: each must accept
    the new wording. Reverse mentoring keeps a confidentiality statement; it cannot be emptied.
    """
    current = _fresh(relationship)
    _side(current, person)
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
def agreement_accept(*, relationship: Relationship, person: Person, now: datetime | None = None) -> Agreement:
    """One of the pair accepts the agreement as it stands; accepting again changes nothing.

    In reverse mentoring the agreement holds a confidentiality statement, and both must accept it.
    """
    now = now or timezone.now()
    current = _fresh(relationship)
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
    """Keep ``last_met_at`` and ``meetings_held`` of a relationship equal to its held meetings (after
    any change to its meetings; bulk loads call it too)."""
    held = Meeting.objects.filter(relationship_id=OuterRef("pk"), status=MeetingStatus.HELD)
    Relationship.objects.filter(pk=relationship_id).update(
        last_met_at=Subquery(held.order_by("-starts_at").values("starts_at")[:1]),
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


@transaction.atomic
def meeting_log(
    *,
    relationship: Relationship,
    person: Person,
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
    _side(current, person)
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
    meeting.skills.set(list(skills))
    if private_note.strip():
        PrivateNote.objects.create(meeting=meeting, author=person, text=private_note.strip())
    relationship_last_met_refresh(current.pk)
    return meeting


@transaction.atomic
def meeting_schedule(
    *,
    relationship: Relationship,
    person: Person,
    starts_at: datetime,
    duration_minutes: int = 45,
    location: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Either of an active pair puts a future meeting in both calendars."""
    now = now or timezone.now()
    current = _fresh(relationship)
    _side(current, person)
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
    person: Person,
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
    _side(current.relationship, person)
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
    current.status, current.starts_at = new_status, new_start
    if location is not None:
        current.location = location.strip()
    if shared_note is not None:
        current.shared_note = shared_note.strip()
    current.save()
    if skills is not None:
        current.skills.set(list(skills))
    relationship_last_met_refresh(current.relationship_id)
    return current


@transaction.atomic
def private_note_set(*, meeting: Meeting, author: Person, text: str) -> PrivateNote | None:
    """Write (or, with empty text, delete) the author's own private note on a meeting of their pair."""
    current = Meeting.objects.select_related("relationship").get(pk=meeting.pk)
    _side(current.relationship, author)
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
    person: Person,
    skill: Skill,
    direction: str,
    proficiency_before: int,
    proficiency_after: int,
    note: str = "",
    recorded_on: date | None = None,
) -> KnowledgeTransfer:
    """Either of an active pair records a skill that moved between them, and how far (0–4)."""
    current = _fresh(relationship)
    _side(current, person)
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
    *, relationship: Relationship, person: Person, kind: str, happened_on: date, description: str
) -> AdvocacyAction:
    """The sponsor of an active sponsorship records something they did for their protégé."""
    current = _fresh(relationship)
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
    *, action: AdvocacyAction, person: Person, outcome: str, note: str = ""
) -> AdvocacyAction:
    """The sponsor says what came of an advocacy action; outcomes often arrive after the relationship ends."""
    current = AdvocacyAction.objects.select_for_update().get(pk=action.pk)
    relationship = _fresh(current.relationship)
    _require_sponsor(relationship, person)
    _require_state(relationship, *PAIRED_STATES, action="record an outcome")
    if outcome not in AdvocacyOutcome.values:
        raise RelationshipRuleBroken(f"{outcome!r} is not an outcome.", code="unknown_outcome")
    current.outcome, current.outcome_note = outcome, note.strip()
    current.save(update_fields=["outcome", "outcome_note", "updated_at"])
    return current


# --- check-ins and concerns ---------------------------------------------------------------------


@transaction.atomic
def check_in_submit(
    *,
    relationship: Relationship,
    person: Person,
    point: str,
    satisfaction: int,
    psychological_safety: int,
    progress: int,
    comment: str = "",
    would_recommend: bool | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """One of the pair answers a check-in: satisfaction, psychological safety and progress, 1–5 each.

    Only at points the programme switches on, once they are open (see
    :func:`~twofold.relationships.selectors.check_in_refusal`), and once per person per point.
    ``would_recommend`` belongs to the closing survey.
    """
    now = now or timezone.now()
    current = _fresh(relationship)
    _side(current, person)
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
def concern_raise(*, relationship: Relationship, person: Person, text: str) -> Concern:
    """One of the pair raises a concern with the programme managers, at any stage.

    The partner is never told: no read of the pair's relationship includes concerns.
    """
    current = _fresh(relationship)
    _side(current, person)
    return Concern.objects.create(
        relationship=current, raised_by=person, text=_text(text, field="The concern", code="text_required")
    )


@transaction.atomic
def concern_update(*, concern: Concern, user: User, status: str, resolution: str = "") -> Concern:
    """A manager of the programme (or an org admin) acknowledges or resolves a concern; resolving says how."""
    current = (
        Concern.objects.select_for_update(of=("self",)).select_related("relationship__programme").get(pk=concern.pk)
    )
    if not programme_is_managed_by(programme=current.relationship.programme, user=user):
        raise RelationshipForbidden("Only the programme's managers handle its concerns.", code="not_manager")
    if status not in ConcernStatus.values:
        raise RelationshipRuleBroken(f"{status!r} is not a concern status.", code="unknown_status")
    if current.status == ConcernStatus.RESOLVED:
        raise RelationshipStateConflict("This concern is resolved; its record stays as it is.", code="already_resolved")
    if status == ConcernStatus.RESOLVED and not resolution.strip():
        raise RelationshipRuleBroken("Say how the concern was resolved.", code="resolution_required")
    current.status, current.handled_by = status, user
    if resolution.strip():
        current.resolution = resolution.strip()
    current.save(update_fields=["status", "resolution", "handled_by", "updated_at"])
    return current


# --- ending and completing ----------------------------------------------------------------------


@transaction.atomic
def relationship_end(
    *,
    relationship: Relationship,
    ended_by: Person | User,
    reason: str,
    rematch: bool = False,
    now: datetime | None = None,
) -> Relationship:
    """End an active relationship early, with a reason: either of the pair or a programme manager.

    The mentor's seat is given back. With ``rematch`` both people stay in the programme's pool and
    the relationship is flagged for the next (partial) match run. Without it they leave the pool —
    the mentor only if this was their last open relationship, so a sponsor keeps their other protégés.
    """
    now = now or timezone.now()
    current = _locked(relationship)
    person = _pair_member_or_manager(current, ended_by)
    _require_state(current, RelationshipState.ACTIVE, action="end the relationship early")
    cleaned = _text(reason, field="The reason", code="reason_required", max_length=500)
    _move(
        current,
        to=RelationshipState.ENDED_EARLY,
        ended_at=now,
        end_reason=cleaned,
        ended_by=person,
        rematch_requested=rematch,
    )
    _release_seat(current)
    if not rematch:
        leaving = [current.mentee_enrolment_id]
        if not Relationship.objects.filter(
            mentor_enrolment=current.mentor_enrolment_id, state__in=OPEN_STATES
        ).exists():
            leaving.append(current.mentor_enrolment_id)
        Enrolment.objects.filter(pk__in=leaving, status=EnrolmentStatus.ACTIVE).update(
            status=EnrolmentStatus.WITHDRAWN,
            status_reason="Left the pool when their relationship ended early without a re-match.",
            updated_at=timezone.now(),
        )
    return current


@transaction.atomic
def relationship_complete(
    *, relationship: Relationship, completed_by: Person | User, now: datetime | None = None
) -> Relationship:
    """Complete an active relationship at its planned end (from :data:`END_WINDOW` before it).

    Either of the pair or a programme manager. The seat is given back, and the closing survey opens
    to both. Stopping sooner is ending early (:func:`relationship_end`), which asks for a reason.
    """
    now = now or timezone.now()
    current = _locked(relationship)
    person = _pair_member_or_manager(current, completed_by)
    _require_state(current, RelationshipState.ACTIVE, action="complete the relationship")
    planned_end = relationship_planned_end(current)
    assert planned_end is not None  # an active relationship has started
    if now < planned_end - END_WINDOW:
        raise RelationshipRuleBroken(
            f"This relationship runs until {planned_end:%d %B %Y}; to stop sooner, end it early with a reason.",
            code="too_early",
        )
    _move(current, to=RelationshipState.COMPLETED, ended_at=now, ended_by=person)
    _release_seat(current)
    return current


# --- the bridge ---------------------------------------------------------------------------------


@transaction.atomic
def nomination_create(
    *, relationship: Relationship, nominator: Person, programme: Programme, statement: str
) -> Nomination:
    """A senior mentee nominates their junior mentor for a sponsorship programme.

    Only the mentee of an active or completed reverse-mentoring relationship may, into a
    sponsorship programme still taking candidates (enrolling, matching or running). The candidacy
    is created by :func:`twofold.programmes.services.enrolment_nominate` with the nominator noted,
    and the nomination records the pathway for later analysis. A person is nominated once per
    programme.
    """
    source = _fresh(relationship)
    if source.programme.kind != ProgrammeKind.REVERSE_MENTORING:
        raise RelationshipRuleBroken(
            "Nominations come from reverse-mentoring relationships.", code="not_reverse_mentoring"
        )
    if nominator.pk != source.mentee_id:
        raise RelationshipForbidden(
            f"Only {source.mentee.name}, the mentee of this relationship, may nominate {source.mentor.name}.",
            code="not_the_mentee",
        )
    _require_state(source, RelationshipState.ACTIVE, RelationshipState.COMPLETED, action="nominate")
    target = Programme.objects.get(pk=programme.pk)
    if target.kind != ProgrammeKind.SPONSORSHIP:
        raise RelationshipRuleBroken(f"{target.name} is not a sponsorship programme.", code="not_sponsorship")
    if target.state not in NOMINATION_STATES:
        raise RelationshipRuleBroken(
            f"{target.name} is {target.get_state_display().lower()} and takes no candidates.", code="programme_closed"
        )
    text = _text(statement, field="The statement", code="statement_required")
    # One nomination of a person at a time: two mentees nominating the same person queue here.
    nominee = Person.objects.select_for_update().get(pk=source.mentor_id)
    if not nominee.active:
        raise RelationshipRuleBroken(f"{nominee.name} is no longer active in the directory.", code="inactive")
    earlier = Nomination.objects.filter(nominee=nominee, programme=target).select_related("nominator").first()
    if earlier is not None:
        raise RelationshipRuleBroken(
            f"{nominee.name} was already nominated for {target.name} by {earlier.nominator.name}.",
            code="already_nominated",
        )
    try:
        enrolment = programme_services.enrolment_nominate(
            programme=target, person=nominee, nominated_by=nominator, statement=text
        )
    except programme_services.ProgrammeRuleBroken as error:
        # One exception family for callers of this service (e.g. already enrolled, not eligible).
        raise RelationshipRuleBroken(str(error), code=error.code) from error
    return Nomination.objects.create(
        source=source, nominee=nominee, nominator=nominator, programme=target, enrolment=enrolment, statement=text
    )
