"""Writes for programmes and enrolments: design a cohort, fill it, and move it through its states."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from twofold.dates import date_out_of_range
from twofold.people.models import MAX_LEVEL, MIN_LEVEL, Person, Skill
from twofold.programmes.models import (
    PROGRAMME_TRANSITIONS,
    Acceptance,
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    MatchRun,
    MatchRunStatus,
    Programme,
    ProgrammeKind,
    ProgrammeState,
    Proposal,
    Unmatched,
)

logger = logging.getLogger(__name__)


class ProgrammeRuleBroken(ValueError):
    """A request that the programme's rules refuse; ``code`` names the rule for APIs and tests."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.code = code


# Defaults per kind (PRODUCT.md): every one is editable when creating or later.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    ProgrammeKind.REVERSE_MENTORING: {
        "duration_months": 6,
        "cadence_days": 14,
        "mentor_max_level": 3,
        "mentee_min_level": 6,
        "min_level_gap": 3,
        "capacity": 1,
        "requires_high_potential": False,
        "fairness_enabled": False,
        "acceptance": Acceptance.TWO_SIDED,
    },
    ProgrammeKind.SPONSORSHIP: {
        "duration_months": 12,
        "cadence_days": 30,
        "mentor_min_level": 7,
        "min_level_gap": 2,
        "capacity": 3,
        "requires_high_potential": True,
        "fairness_enabled": True,
        "fairness_attribute": "gender",
        "fairness_tolerance": 0.05,
        "acceptance": Acceptance.TWO_SIDED,
    },
}
EDITABLE_FIELDS = (
    "name",
    "description",
    "starts_on",
    "ends_on",
    "duration_months",
    "cadence_days",
    "mentor_min_level",
    "mentor_max_level",
    "mentee_min_level",
    "mentee_max_level",
    "min_level_gap",
    "max_level_gap",
    "requires_high_potential",
    "capacity",
    "requires_manager_approval",
    "acceptance",
    "proposal_expiry_days",
    "allow_repeat_pairs",
    "fairness_enabled",
    "fairness_attribute",
    "fairness_tolerance",
    "policy",
    "checkin_after_first_meeting",
    "checkin_at_midpoint",
    "checkin_at_end",
)
FAIRNESS_ATTRIBUTES = ("gender", "ethnicity", "disability", "generation")
# The largest sensible value of each count: within its column, and small enough that every date
# computed from it (a programme's end, a proposal's expiry, the next meeting) stays in the calendar.
MAX_CADENCE_DAYS = 365
COUNT_LIMITS = {"duration_months": 120, "cadence_days": MAX_CADENCE_DAYS, "capacity": 50, "proposal_expiry_days": 365}
LEVEL_FIELDS = ("mentor_min_level", "mentor_max_level", "mentee_min_level", "mentee_max_level")
# Enrolment statuses that hold a place in the pool or may come to.
OPEN_ENROLMENT = (
    EnrolmentStatus.INVITED,
    EnrolmentStatus.PENDING_APPROVAL,
    EnrolmentStatus.ACTIVE,
    EnrolmentStatus.WAITLISTED,
)


def programme_defaults(kind: str) -> dict[str, Any]:
    if kind not in KIND_DEFAULTS:
        raise ProgrammeRuleBroken(
            f"unknown programme kind {kind!r}; use reverse_mentoring or sponsorship", code="unknown_kind"
        )
    return dict(KIND_DEFAULTS[kind])


def _months_later(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def _validate(values: dict[str, Any]) -> None:
    problems = []
    if not str(values.get("name", "")).strip():
        problems.append("a programme needs a name")
    for name, most in COUNT_LIMITS.items():
        if name in values and (values[name] is None or int(values[name]) < 1):
            problems.append(f"{name.replace('_', ' ')} must be at least 1")
        elif name in values and int(values[name]) > most:
            problems.append(f"{name.replace('_', ' ')} must be at most {most}")
    for name in LEVEL_FIELDS:
        if values.get(name) is not None and not MIN_LEVEL <= int(values[name]) <= MAX_LEVEL:
            problems.append(f"{name.replace('_', ' ')} must be a level from {MIN_LEVEL} to {MAX_LEVEL}")
    for name in ("min_level_gap", "max_level_gap"):
        if values.get(name) is not None and not 0 <= int(values[name]) <= MAX_LEVEL - MIN_LEVEL:
            problems.append(f"{name.replace('_', ' ')} must be from 0 to {MAX_LEVEL - MIN_LEVEL}")
    for name, label in (("starts_on", "the start date"), ("ends_on", "the end date")):
        value = values.get(name)
        if value is not None and not isinstance(value, date):
            problems.append(f"{label} is not a date")
        elif value is not None and (problem := date_out_of_range(value, what=label)):
            problems.append(problem)
    if problems:
        # The checks below compare these values and compute dates from them.
        raise ProgrammeRuleBroken("; ".join(problems), code="invalid_programme")
    for low, high in (("mentor_min_level", "mentor_max_level"), ("mentee_min_level", "mentee_max_level")):
        if values.get(low) is not None and values.get(high) is not None and values[low] > values[high]:
            problems.append(f"{low.replace('_', ' ')} is above {high.replace('_', ' ')}")
    if values.get("max_level_gap") is not None and values["max_level_gap"] < values.get("min_level_gap", 0):
        problems.append("the maximum level gap is below the minimum")
    if values.get("starts_on") and values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        problems.append("the programme ends before it starts")
    tolerance = values.get("fairness_tolerance", 0.05)
    if tolerance is None or not 0 <= float(tolerance) <= 1:
        problems.append("the fairness tolerance is a share between 0 and 1 (e.g. 0.05)")
    if values.get("fairness_enabled") and values.get("fairness_attribute") not in FAIRNESS_ATTRIBUTES:
        problems.append(f"the fairness attribute must be one of {', '.join(FAIRNESS_ATTRIBUTES)}")
    if values.get("acceptance", Acceptance.TWO_SIDED) not in Acceptance.values:
        problems.append("acceptance is one_sided or two_sided")
    if not isinstance(values.get("policy", {}), dict):
        problems.append("the matching policy must be a mapping of weights and rules")
    if problems:
        raise ProgrammeRuleBroken("; ".join(problems), code="invalid_programme")


@transaction.atomic
def programme_create(
    *, name: str, kind: str, created_by: Any = None, managers: Iterable[Any] = (), **overrides: Any
) -> Programme:
    """A new programme in draft, with the kind's defaults and any overrides."""
    values = programme_defaults(kind)
    unknown = set(overrides) - set(EDITABLE_FIELDS)
    if unknown:
        raise ProgrammeRuleBroken(f"unknown programme settings: {', '.join(sorted(unknown))}", code="unknown_setting")
    values.update(overrides)
    values["name"] = name.strip()
    _validate(values)
    if values.get("starts_on") and not values.get("ends_on"):
        values["ends_on"] = _months_later(values["starts_on"], values["duration_months"])
    programme = Programme.objects.create(kind=kind, created_by=created_by, **values)
    programme.managers.set(list(managers) or ([created_by] if created_by is not None else []))
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, **changes: Any) -> Programme:
    """Change settings of a programme that is not closed; rules that pairs rely on are checked again."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.state == ProgrammeState.CLOSED:
        raise ProgrammeRuleBroken("a closed programme cannot be changed", code="closed")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ProgrammeRuleBroken(f"unknown programme settings: {', '.join(sorted(unknown))}", code="unknown_setting")
    values = {name: getattr(programme, name) for name in EDITABLE_FIELDS} | changes
    _validate(values)
    for name, value in changes.items():
        setattr(programme, name, value)
    programme.save()
    return programme


def programme_transition(*, programme: Programme, to_state: str) -> Programme:
    """Move a programme to ``to_state`` along an allowed edge; two racing requests cannot both win."""
    allowed = PROGRAMME_TRANSITIONS.get(programme.state, ())
    if to_state not in allowed:
        raise ProgrammeRuleBroken(
            f"a programme in {programme.state} cannot move to {to_state}"
            + (f" (it can move to {', '.join(allowed)})" if allowed else " (it is closed)"),
            code="transition_not_allowed",
        )
    updated = Programme.objects.filter(pk=programme.pk, state=programme.state).update(
        state=to_state, updated_at=timezone.now()
    )
    if not updated:
        raise ProgrammeRuleBroken("the programme changed state meanwhile; reload and try again", code="state_changed")
    programme.refresh_from_db()
    return programme


def eligibility_problem(programme: Programme, person: Person, role: str, *, nominated: bool = False) -> str | None:
    """Why ``person`` may not take ``role`` in ``programme``, or None when they may."""
    if not person.active:
        return f"{person.name} has left the organisation"
    if role not in EnrolmentRole.values:
        return f"unknown role {role!r}"
    if role == EnrolmentRole.MENTOR:
        label = programme.mentor_label
        if programme.mentor_min_level is not None and person.level < programme.mentor_min_level:
            return (
                f"a {label} must be at level {programme.mentor_min_level} or above ({person.name} is at {person.level})"
            )
        if programme.mentor_max_level is not None and person.level > programme.mentor_max_level:
            return (
                f"a {label} must be at level {programme.mentor_max_level} or below ({person.name} is at {person.level})"
            )
        return None
    label = programme.mentee_label
    if programme.mentee_min_level is not None and person.level < programme.mentee_min_level:
        return f"a {label} must be at level {programme.mentee_min_level} or above ({person.name} is at {person.level})"
    if programme.mentee_max_level is not None and person.level > programme.mentee_max_level:
        return f"a {label} must be at level {programme.mentee_max_level} or below ({person.name} is at {person.level})"
    # A nomination by a senior leader stands in for the talent-review flag.
    if programme.requires_high_potential and not person.high_potential and not nominated:
        return f"a {label} in this programme must be flagged high potential (or be nominated)"
    return None


def _check_open_for_enrolment(programme: Programme) -> None:
    if programme.state == ProgrammeState.CLOSED:
        raise ProgrammeRuleBroken("the programme is closed", code="closed")


def _seat_balance(programme: Programme) -> tuple[int, int]:
    """Mentor seats on offer and mentees in the pool (waitlisted ones excluded)."""
    pool = Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.ACTIVE)
    seats = sum(pool.filter(role=EnrolmentRole.MENTOR).values_list("capacity", flat=True))
    mentees = pool.filter(role=EnrolmentRole.MENTEE).count()
    return seats, mentees


def enrolment_pool_rebalance(*, programme: Programme) -> tuple[int, int]:
    """Keep the mentee pool within the mentor seats: waitlist the newest beyond them, admit the
    oldest waitlisted when seats free up. Returns (waitlisted, admitted)."""
    # Serialise rebalancing per programme: lock the programme row.
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    seats, mentees = _seat_balance(programme)
    waitlisted = admitted = 0
    if mentees > seats:
        excess = mentees - seats
        newest = (
            Enrolment.objects.filter(programme=programme, role=EnrolmentRole.MENTEE, status=EnrolmentStatus.ACTIVE)
            .exclude(pk__in=_mentees_in_open_relationships(programme))
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[:excess]
        )
        waitlisted = Enrolment.objects.filter(pk__in=list(newest)).update(
            status=EnrolmentStatus.WAITLISTED,
            status_reason="more mentees than seats: waiting for a seat to free up",
            updated_at=timezone.now(),
        )
    elif mentees < seats:
        oldest = (
            Enrolment.objects.filter(programme=programme, role=EnrolmentRole.MENTEE, status=EnrolmentStatus.WAITLISTED)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[: seats - mentees]
        )
        admitted = Enrolment.objects.filter(pk__in=list(oldest)).update(
            status=EnrolmentStatus.ACTIVE, status_reason="", updated_at=timezone.now()
        )
    return waitlisted, admitted


def _mentees_in_open_relationships(programme: Programme) -> QuerySet[Any]:
    from twofold.relationships.models import OPEN_STATES, Relationship

    return Relationship.objects.filter(programme=programme, state__in=OPEN_STATES).values("mentee_enrolment_id")


def _already_enrolled(enrolment: Enrolment) -> ProgrammeRuleBroken:
    return ProgrammeRuleBroken(
        f"{enrolment.person.name} is already in this programme ({enrolment.get_status_display().lower()})",
        code="already_enrolled",
    )


@transaction.atomic
def enrolment_create(
    *,
    programme: Programme,
    person: Person,
    role: str,
    status: str = EnrolmentStatus.ACTIVE,
    goals: str = "",
    focus_skills: Iterable[Skill] = (),
    capacity: int | None = None,
    availability: int = 0,
    aspiration: str = "",
    avoid: Iterable[Person] = (),
    invited_by: Any = None,
    nominated_by: Person | None = None,
) -> Enrolment:
    """Put a person in a programme's pool, or refuse with the eligibility rule they miss."""
    _check_open_for_enrolment(programme)
    problem = eligibility_problem(programme, person, role, nominated=nominated_by is not None)
    if problem:
        raise ProgrammeRuleBroken(problem, code="not_eligible")
    # Locked, so that two requests for the same person (a form sent twice, an invitation sent as they
    # apply) take turns: the second sees what the first wrote.
    existing = Enrolment.objects.select_for_update().filter(programme=programme, person=person).first()
    if existing is not None and existing.status in OPEN_ENROLMENT:
        raise _already_enrolled(existing)
    if capacity is not None and capacity < 1:
        raise ProgrammeRuleBroken("capacity must be at least 1", code="invalid_capacity")
    seats = (capacity or programme.capacity) if role == EnrolmentRole.MENTOR else 1
    if status == EnrolmentStatus.ACTIVE and programme.requires_manager_approval and invited_by is None:
        status = EnrolmentStatus.PENDING_APPROVAL
    values = {
        "role": role,
        "status": status,
        "status_reason": "",
        "goals": goals,
        "capacity": seats,
        "availability": availability,
        "aspiration": aspiration,
        "invited_by": invited_by,
        "nominated_by": nominated_by,
    }
    if existing is not None:
        # Someone who withdrew or declined may come back: the same row, opened again.
        for name, value in values.items():
            setattr(existing, name, value)
        existing.seats_taken = 0
        existing.save()
        enrolment = existing
    else:
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(programme=programme, person=person, **values)
        except IntegrityError as error:
            # There was no row to lock: a request racing this one inserted it first, and the unique
            # constraint refused the second. Say what the first one made of it.
            raise _already_enrolled(Enrolment.objects.get(programme=programme, person=person)) from error
    enrolment.focus_skills.set(list(focus_skills))
    enrolment.avoid.set([other for other in avoid if other.pk != person.pk])
    if enrolment.status == EnrolmentStatus.ACTIVE:
        enrolment_pool_rebalance(programme=programme)
        enrolment.refresh_from_db()
    return enrolment


def enrolment_apply(
    *,
    programme: Programme,
    person: Person,
    role: str,
    goals: str = "",
    focus_skills: Iterable[Skill] = (),
    **details: Any,
) -> Enrolment:
    """A person applies; it needs their manager's approval when the programme says so."""
    if programme.state not in (ProgrammeState.ENROLLING, ProgrammeState.MATCHING, ProgrammeState.RUNNING):
        raise ProgrammeRuleBroken("the programme is not taking applications now", code="not_enrolling")
    return enrolment_create(
        programme=programme, person=person, role=role, goals=goals, focus_skills=focus_skills, **details
    )


def enrolment_nominate(*, programme: Programme, person: Person, nominated_by: Person, statement: str) -> Enrolment:
    """A candidacy put forward by a senior leader: a mentee-side enrolment noting the nominator.

    The nomination stands in for the high-potential flag; level rules still apply.
    """
    if programme.kind != ProgrammeKind.SPONSORSHIP:
        raise ProgrammeRuleBroken("nominations go to sponsorship programmes", code="not_sponsorship")
    if programme.state not in (ProgrammeState.ENROLLING, ProgrammeState.MATCHING, ProgrammeState.RUNNING):
        raise ProgrammeRuleBroken("the programme is not taking candidates now", code="not_enrolling")
    return enrolment_create(
        programme=programme,
        person=person,
        role=EnrolmentRole.MENTEE,
        goals=statement,
        nominated_by=nominated_by,
        # The nominator vouches for the candidate, as a manager's approval would.
        invited_by=None,
        status=EnrolmentStatus.ACTIVE,
    )


@dataclass
class InviteFilter:
    """Who to invite: level range, departments, locations, and optionally only high potential."""

    min_level: int | None = None
    max_level: int | None = None
    departments: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    high_potential_only: bool = False

    def queryset(self) -> QuerySet[Person]:
        people = Person.objects.filter(active=True)
        if self.min_level is not None:
            people = people.filter(level__gte=self.min_level)
        if self.max_level is not None:
            people = people.filter(level__lte=self.max_level)
        if self.departments:
            people = people.filter(department__in=self.departments)
        if self.locations:
            people = people.filter(location__in=self.locations)
        if self.high_potential_only:
            people = people.filter(high_potential=True)
        return people


@dataclass
class InviteResult:
    invited: list[Enrolment] = field(default_factory=list)
    already: list[Person] = field(default_factory=list)
    not_eligible: list[tuple[Person, str]] = field(default_factory=list)


@transaction.atomic
def enrolment_invite_by_filter(
    *, programme: Programme, role: str, where: InviteFilter, invited_by: Any = None, limit: int | None = None
) -> InviteResult:
    """Invite everyone the filter selects ("levels 1–3 in Engineering and Sales"), skipping the
    ineligible (with their reason) and those already in the programme."""
    _check_open_for_enrolment(programme)
    if role not in EnrolmentRole.values:
        raise ProgrammeRuleBroken(f"unknown role {role!r}", code="unknown_role")
    result = InviteResult()
    enrolled = set(
        Enrolment.objects.filter(programme=programme, status__in=OPEN_ENROLMENT).values_list("person_id", flat=True)
    )
    candidates = where.queryset().order_by("employee_id")
    if limit is not None:
        candidates = candidates[:limit]
    fresh = []
    for person in candidates:
        if person.pk in enrolled:
            result.already.append(person)
            continue
        problem = eligibility_problem(programme, person, role)
        if problem:
            result.not_eligible.append((person, problem))
            continue
        fresh.append(
            Enrolment(
                programme=programme,
                person=person,
                role=role,
                status=EnrolmentStatus.INVITED,
                capacity=programme.capacity if role == EnrolmentRole.MENTOR else 1,
                invited_by=invited_by,
            )
        )
    # People who once withdrew or declined come back through their existing row, locked: someone
    # applying at this moment may be reopening it.
    returning = {
        enrolment.person_id: enrolment
        for enrolment in Enrolment.objects.select_for_update()
        .filter(programme=programme, person__in=[e.person_id for e in fresh])
        .order_by("pk")
    }
    new_rows = [enrolment for enrolment in fresh if enrolment.person_id not in returning]
    # Someone may apply between the read above and this insert: their row stands, and they count as
    # already in the programme (the rows written here are read back below).
    Enrolment.objects.bulk_create(new_rows, batch_size=2000, ignore_conflicts=True)
    written = {
        enrolment.person_id: enrolment
        for enrolment in Enrolment.objects.filter(
            programme=programme, person__in=[e.person_id for e in new_rows], status=EnrolmentStatus.INVITED, role=role
        ).select_related("person")
    }
    for enrolment in fresh:
        again = returning.get(enrolment.person_id)
        if again is not None and again.status in OPEN_ENROLMENT:
            result.already.append(enrolment.person)
        elif again is not None:
            again.role, again.status, again.invited_by, again.seats_taken = role, EnrolmentStatus.INVITED, invited_by, 0
            again.capacity = enrolment.capacity
            again.save()
            result.invited.append(again)
        elif enrolment.person_id in written:
            result.invited.append(written[enrolment.person_id])
        else:
            result.already.append(enrolment.person)
    return result


@transaction.atomic
def enrolment_respond(
    *, enrolment: Enrolment, accept: bool, goals: str = "", focus_skills: Iterable[Skill] = (), **details: Any
) -> Enrolment:
    """The invited person says yes (joining the pool, or waiting for their manager) or no."""
    enrolment = Enrolment.objects.select_for_update().select_related("programme", "person").get(pk=enrolment.pk)
    if enrolment.status != EnrolmentStatus.INVITED:
        raise ProgrammeRuleBroken("there is no open invitation to answer", code="no_invitation")
    if accept:
        # The invitation may be old: the programme may have closed, or the person changed level since.
        _check_open_for_enrolment(enrolment.programme)
        problem = eligibility_problem(enrolment.programme, enrolment.person, enrolment.role)
        if problem:
            raise ProgrammeRuleBroken(problem, code="not_eligible")
    if not accept:
        enrolment.status = EnrolmentStatus.DECLINED
        enrolment.save(update_fields=["status", "updated_at"])
        return enrolment
    allowed = {"availability", "aspiration", "capacity"}
    unknown = set(details) - allowed
    if unknown:
        raise ProgrammeRuleBroken(f"unknown enrolment details: {', '.join(sorted(unknown))}", code="invalid")
    if "capacity" in details and enrolment.role == EnrolmentRole.MENTOR:
        if int(details["capacity"]) < 1:
            raise ProgrammeRuleBroken("capacity must be at least 1", code="invalid_capacity")
        enrolment.capacity = int(details["capacity"])
    enrolment.availability = int(details.get("availability", enrolment.availability))
    enrolment.aspiration = str(details.get("aspiration", enrolment.aspiration))
    enrolment.goals = goals or enrolment.goals
    enrolment.status = (
        EnrolmentStatus.PENDING_APPROVAL if enrolment.programme.requires_manager_approval else EnrolmentStatus.ACTIVE
    )
    enrolment.save()
    if focus_skills:
        enrolment.focus_skills.set(list(focus_skills))
    if enrolment.status == EnrolmentStatus.ACTIVE:
        enrolment_pool_rebalance(programme=enrolment.programme)
        enrolment.refresh_from_db()
    return enrolment


@transaction.atomic
def enrolment_approve(*, enrolment: Enrolment, approver: Person, approve: bool = True, reason: str = "") -> Enrolment:
    """The applicant's manager (or anyone above them) approves or turns down the application."""
    enrolment = Enrolment.objects.select_for_update().select_related("person", "programme").get(pk=enrolment.pk)
    if enrolment.status != EnrolmentStatus.PENDING_APPROVAL:
        raise ProgrammeRuleBroken("this enrolment is not waiting for approval", code="not_pending")
    approver.refresh_from_db(fields=["tree_left", "tree_right"])
    if not approver.manages_or_is_above(enrolment.person):
        raise ProgrammeRuleBroken(
            f"only {enrolment.person.name}'s manager or someone above them can approve", code="not_their_manager"
        )
    enrolment.approved_by = approver
    enrolment.approved_at = timezone.now()
    enrolment.status = EnrolmentStatus.ACTIVE if approve else EnrolmentStatus.REFUSED
    enrolment.status_reason = "" if approve else (reason or f"not approved by {approver.name}")
    enrolment.save()
    if approve:
        enrolment_pool_rebalance(programme=enrolment.programme)
        enrolment.refresh_from_db()
    return enrolment


@transaction.atomic
def enrolment_withdraw(*, enrolment: Enrolment, reason: str = "") -> Enrolment:
    """Leave the pool. Someone in an active relationship must end it first."""
    from twofold.relationships.models import Relationship, RelationshipState

    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status not in OPEN_ENROLMENT:
        raise ProgrammeRuleBroken("this enrolment is not open", code="not_open")
    mine = Q(mentor_enrolment=enrolment) | Q(mentee_enrolment=enrolment)
    if Relationship.objects.filter(mine, state=RelationshipState.ACTIVE).exists():
        raise ProgrammeRuleBroken(
            "end the active relationship first (from its page, with a reason)", code="in_active_relationship"
        )
    if Relationship.objects.filter(mine, state=RelationshipState.PROPOSED).exists():
        raise ProgrammeRuleBroken("decline the open proposal first", code="in_open_proposal")
    was_active = enrolment.status == EnrolmentStatus.ACTIVE
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.status_reason = reason
    enrolment.save(update_fields=["status", "status_reason", "updated_at"])
    if was_active:
        enrolment_pool_rebalance(programme=enrolment.programme)
    return enrolment


# --- match runs ----------------------------------------------------------------------------------

# Pools at least this large are matched by a background worker rather than inside the request.
BACKGROUND_POOL = 3000
RUN_IN_PROGRESS = (MatchRunStatus.QUEUED, MatchRunStatus.RUNNING)
STALE_RUN = timedelta(hours=6)


@transaction.atomic
def match_run_start(
    *,
    programme: Programme,
    created_by: Any = None,
    locked: list[tuple[int, int]] | None = None,
    background: bool | None = None,
) -> MatchRun:
    """Queue a match run over the programme's pool and run it: now, or on a worker for large pools.

    While matching, it proposes pairs for the whole pool; while running, only for the people left
    without a partner (existing pairs are kept). ``locked`` (mentor, mentee) enrolment pairs are kept
    as they are. ``background`` None decides by the size of the pool.
    """
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.state not in (ProgrammeState.MATCHING, ProgrammeState.RUNNING):
        raise ProgrammeRuleBroken(
            f"{programme.name} is {programme.get_state_display().lower()}; start matching first", code="not_matching"
        )
    # A run a worker never finished (the worker died) must not block the programme for ever.
    MatchRun.objects.filter(
        programme=programme, status__in=RUN_IN_PROGRESS, created_at__lt=timezone.now() - STALE_RUN
    ).update(status=MatchRunStatus.FAILED, error="Abandoned: no worker finished it.", finished_at=timezone.now())
    if MatchRun.objects.filter(programme=programme, status__in=RUN_IN_PROGRESS).exists():
        raise ProgrammeRuleBroken("a match run of this programme is already under way", code="run_in_progress")
    run = MatchRun.objects.create(
        programme=programme,
        created_by=created_by,
        parameters={
            "locked": [list(pair) for pair in (locked or [])],
            "partial": programme.state == ProgrammeState.RUNNING,
        },
        progress_note="Waiting for a worker",
    )
    pool_size = Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.ACTIVE).count()
    if background is None:
        background = pool_size >= BACKGROUND_POOL
    if background:
        from twofold.programmes.tasks import match_run_execute_task

        run_id = run.pk
        transaction.on_commit(lambda: match_run_execute_task.enqueue(run_id))
        return run
    return match_run_execute(run=run)


def _run_progress(run: MatchRun, percent: int, note: str) -> None:
    MatchRun.objects.filter(pk=run.pk).update(progress=percent, progress_note=note)


def match_run_execute(*, run: MatchRun) -> MatchRun:
    """Build the engine's input, match, and store proposals with their explanations.

    Each step commits its progress so that the review board can show it while a worker runs.
    """
    from twofold.matching import MatchInputError, RosterError, TreeError, build_problem, match
    from twofold.programmes.matching_input import programme_policy, programme_pool

    claimed = MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.QUEUED).update(
        status=MatchRunStatus.RUNNING, started_at=timezone.now(), progress=5, progress_note="Reading the pool"
    )
    run.refresh_from_db()
    if not claimed:
        return run
    programme = run.programme
    try:
        locked = [(int(mentor), int(mentee)) for mentor, mentee in run.parameters.get("locked", [])]
        pool = programme_pool(programme, locked=locked)
        _run_progress(run, 20, "Building the candidate pairs")
        roster = build_problem(pool.records, programme_policy(programme))
        _run_progress(run, 30, "Finding the best pairs")
        result = match(roster.problem)
    except (MatchInputError, RosterError, TreeError) as error:
        MatchRun.objects.filter(pk=run.pk).update(
            status=MatchRunStatus.FAILED, error=str(error), finished_at=timezone.now(), progress=100, progress_note=""
        )
        run.refresh_from_db()
        return run
    except Exception as error:
        # Anything else is a fault, not bad input: record it so the programme can run again, then
        # let it surface (the worker logs it, a request shows the error page).
        logger.exception("match run %s failed", run.pk)
        MatchRun.objects.filter(pk=run.pk).update(
            status=MatchRunStatus.FAILED,
            error=f"An unexpected error stopped the run ({error.__class__.__name__}); it is in the server log.",
            finished_at=timezone.now(),
            progress=100,
            progress_note="",
        )
        raise
    _run_progress(run, 90, "Saving the proposals")
    with transaction.atomic():
        locked_set = set(locked)
        Proposal.objects.bulk_create(
            [
                Proposal(
                    run=run,
                    mentor=pool.enrolments[pair.left_id],
                    mentee=pool.enrolments[pair.right_id],
                    score=round(pair.score, 6),
                    breakdown={name: round(value, 6) for name, value in pair.breakdown.items()},
                    locked=(pool.enrolments[pair.left_id].pk, pool.enrolments[pair.right_id].pk) in locked_set,
                    origin="kept" if pair.locked else "engine",
                )
                for pair in result.pairs
            ],
            batch_size=2000,
        )
        Unmatched.objects.bulk_create(
            [
                Unmatched(
                    run=run, enrolment=pool.enrolments[item.id], reason_code=str(item.reason), reason=item.text[:300]
                )
                for item in result.unmatched
                if item.id in pool.enrolments
            ],
            batch_size=2000,
        )
        fairness = result.fairness
        MatchRun.objects.filter(programme=programme, status=MatchRunStatus.READY).update(
            status=MatchRunStatus.SUPERSEDED
        )
        stats = result.stats
        MatchRun.objects.filter(pk=run.pk).update(
            status=MatchRunStatus.READY,
            progress=100,
            progress_note="",
            finished_at=timezone.now(),
            total_score=round(result.total, 6),
            statistics={
                "seconds": round(stats.seconds, 3),
                "eligible_mentors": stats.eligible_left,
                "eligible_mentees": stats.eligible_right,
                "pairs": stats.matched,
                "certified_optimal": stats.certified,
                "gap_bound": stats.gap_bound,
                "candidate_pairs": stats.edges,
                "rounds": stats.rounds,
                "solver": stats.solver,
                "weights": dict(result.weights),
            },
            fairness={}
            if fairness is None
            else {
                "tolerance": fairness.tolerance,
                "seats": fairness.seats,
                "feasible": fairness.feasible,
                "message": fairness.message,
                "groups": [
                    {
                        "group": group.group,
                        "eligible": group.eligible,
                        "share": group.share,
                        "minimum": group.minimum,
                        "matched": group.matched,
                        "met": group.met,
                    }
                    for group in fairness.groups
                ],
            },
        )
    run.refresh_from_db()
    return run


def _editable_run(run: MatchRun) -> MatchRun:
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    if run.status != MatchRunStatus.READY:
        raise ProgrammeRuleBroken(
            f"this match run is {run.get_status_display().lower()}; only a run ready for review can change",
            code="run_not_ready",
        )
    return run


@transaction.atomic
def proposal_lock(*, proposal: Proposal, locked: bool = True) -> Proposal:
    """Keep a pair as it is when the run is re-run (or stop keeping it)."""
    _editable_run(proposal.run)
    Proposal.objects.filter(pk=proposal.pk).update(locked=locked)
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def proposal_remove(*, proposal: Proposal) -> None:
    """Take a pair out of the run; both people join the unmatched, for a re-run or by hand."""
    run = _editable_run(proposal.run)
    proposal = Proposal.objects.select_related("mentor__person", "mentee__person").get(pk=proposal.pk)
    proposal.delete()
    Unmatched.objects.get_or_create(
        run=run,
        enrolment=proposal.mentee,
        defaults={
            "reason_code": "removed",
            "reason": f"Removed from a pair with {proposal.mentor.person.name} by a programme manager.",
        },
    )
    if not Proposal.objects.filter(run=run, mentor=proposal.mentor).exists():
        Unmatched.objects.get_or_create(
            run=run,
            enrolment=proposal.mentor,
            defaults={
                "reason_code": "removed",
                "reason": f"Removed from a pair with {proposal.mentee.person.name} by a programme manager.",
            },
        )
    _refresh_total(run)


def _refresh_total(run: MatchRun) -> None:
    total = sum(Proposal.objects.filter(run=run).values_list("score", flat=True))
    MatchRun.objects.filter(pk=run.pk).update(total_score=round(total, 6))


def _score_pairs(
    programme: Programme, pairs: list[tuple[Enrolment, Enrolment]]
) -> list[tuple[float, dict[str, float]]]:
    """The engine's score and breakdown of given pairs (whose rules were checked already)."""
    from twofold.matching import build_problem, match
    from twofold.programmes.matching_input import programme_policy, programme_pool

    ids = [(mentor.pk, mentee.pk) for mentor, mentee in pairs]
    pool = programme_pool(programme, locked=ids, only={pk for pair in ids for pk in pair})
    result = match(build_problem(pool.records, programme_policy(programme)).problem)
    scored = {(pool.enrolments[p.left_id].pk, pool.enrolments[p.right_id].pk): p for p in result.pairs}
    return [
        (round(scored[key].score, 6), {name: round(value, 6) for name, value in scored[key].breakdown.items()})
        if key in scored
        else (0.0, {})
        for key in ids
    ]


@transaction.atomic
def proposal_swap(*, first: Proposal, second: Proposal) -> tuple[Proposal, Proposal]:
    """Exchange the mentees of two proposals, re-checking every rule for both new pairs."""
    from twofold.relationships.services import pair_refusal

    run = _editable_run(first.run)
    if second.run_id != run.pk or first.pk == second.pk:
        raise ProgrammeRuleBroken("choose two different pairs of the same run", code="invalid_swap")
    first = Proposal.objects.select_related("mentor__person", "mentee__person").get(pk=first.pk)
    second = Proposal.objects.select_related("mentor__person", "mentee__person").get(pk=second.pk)
    programme = run.programme
    new_pairs = [(first.mentor, second.mentee), (second.mentor, first.mentee)]
    problems = []
    for mentor, mentee in new_pairs:
        refusal = pair_refusal(programme=programme, mentor_enrolment=mentor, mentee_enrolment=mentee)
        if refusal is not None:
            problems.append(str(refusal).rstrip("."))
    if problems:
        raise ProgrammeRuleBroken("; ".join(problems), code="swap_breaks_rule")
    scores = _score_pairs(programme, new_pairs)
    Proposal.objects.filter(pk__in=[first.pk, second.pk]).delete()
    created = [
        Proposal.objects.create(run=run, mentor=mentor, mentee=mentee, score=score, breakdown=breakdown, origin="swap")
        for (mentor, mentee), (score, breakdown) in zip(new_pairs, scores, strict=True)
    ]
    _refresh_total(run)
    return created[0], created[1]


def match_run_rerun(*, run: MatchRun, created_by: Any = None, background: bool | None = None) -> MatchRun:
    """Run the engine again, keeping the locked pairs of ``run`` as they are."""
    if run.status not in (MatchRunStatus.READY, MatchRunStatus.FAILED):
        raise ProgrammeRuleBroken(
            "only a run ready for review (or one that failed) can be re-run", code="run_not_ready"
        )
    locked = list(Proposal.objects.filter(run=run, locked=True).values_list("mentor_id", "mentee_id"))
    return match_run_start(programme=run.programme, created_by=created_by, locked=locked, background=background)


@dataclass
class PublishResult:
    proposed: int = 0
    skipped: list[tuple[Proposal, str]] = field(default_factory=list)


def match_run_publish(*, run: MatchRun, now: Any = None) -> PublishResult:
    """Send every proposal of a reviewed run to both people (or, one-sided, to the mentee).

    Each pair is proposed through :func:`twofold.relationships.services.relationship_propose`, which
    checks every rule again under row locks: a pair that has become impossible since the run (someone
    left, was paired meanwhile) is skipped and reported, and the others still go out. A matching
    programme starts running.
    """
    from twofold.relationships.errors import RelationshipRuleBroken
    from twofold.relationships.services import relationship_propose

    with transaction.atomic():
        run = _editable_run(run)
        claimed = MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.READY).update(
            status=MatchRunStatus.PUBLISHED, published_at=now or timezone.now()
        )
        if not claimed:
            raise ProgrammeRuleBroken("the run was published meanwhile", code="run_not_ready")
    result = PublishResult()
    programme = run.programme
    for proposal in Proposal.objects.filter(run=run).select_related("mentor__person", "mentee__person").order_by("pk"):
        try:
            relationship_propose(
                programme=programme,
                mentor_enrolment=proposal.mentor,
                mentee_enrolment=proposal.mentee,
                score=proposal.score,
                breakdown=proposal.breakdown,
                proposal=proposal,
                now=now,
            )
            result.proposed += 1
        except RelationshipRuleBroken as refusal:
            result.skipped.append((proposal, str(refusal)))
        except IntegrityError:
            # A constraint caught what the checks did not see (a concurrent change): skip the pair.
            result.skipped.append((proposal, "It conflicted with a change made at the same time."))
    programme.refresh_from_db()
    if programme.state == ProgrammeState.MATCHING:
        programme_transition(programme=programme, to_state=ProgrammeState.RUNNING)
    return result
