"""Writes for programmes and enrolments: design a cohort, fill it, and move it through its states.

Each takes the acting user (``actor``: an account, or the command line's operator) and asks
:func:`twofold.accounts.permissions.authorize` before it changes anything."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.accounts.permissions import authorize
from twofold.dates import date_out_of_range
from twofold.people.models import MAX_LEVEL, MIN_LEVEL, Person, Skill
from twofold.programmes import holds
from twofold.programmes.eligibility import (
    ApplicationFacts,
    Candidate,
    EligibilityRules,
    application_problem,
    invitation_problem,
    role_problem,
)
from twofold.programmes.errors import ProgrammeRuleBroken
from twofold.programmes.matching_policy import policy_problems
from twofold.programmes.models import (
    PROGRAMME_TRANSITIONS,
    Acceptance,
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    MatchingMode,
    Programme,
    ProgrammeEmail,
    ProgrammeKind,
    ProgrammeState,
)
from twofold.programmes.selectors import OPEN_ENROLMENT, InviteFilter
from twofold.programmes.tasks import invitations_email_task

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
        "invite_only": False,
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
        # Open only to people flagged high potential, a listed programme would tell them they are.
        "invite_only": True,
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
    "enrolment_closes_on",
    "duration_months",
    "cadence_days",
    "mentor_min_level",
    "mentor_max_level",
    "mentee_min_level",
    "mentee_max_level",
    "min_level_gap",
    "max_level_gap",
    "requires_high_potential",
    "invite_only",
    "capacity",
    "requires_manager_approval",
    "acceptance",
    "matching_mode",
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
    for name, label in (
        ("starts_on", "the start date"),
        ("ends_on", "the end date"),
        ("enrolment_closes_on", "the day enrolment closes"),
    ):
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
    if values.get("matching_mode", MatchingMode.MANAGED) not in MatchingMode.values:
        problems.append("the matching mode is managed or participant_choice")
    if not isinstance(values.get("policy", {}), dict):
        problems.append("the matching policy must be a mapping of weights and rules")
    if not isinstance(values.get("invite_only", False), bool):
        problems.append("invite-only is yes or no")
    elif values.get("requires_high_potential") and not values.get("invite_only"):
        problems.append(
            "a programme that asks for high potential must be invite-only: listed as open to join, it would "
            "appear only to those flagged and so tell them (the flag is for programme managers and org admins)"
        )
    if problems:
        raise ProgrammeRuleBroken("; ".join(problems), code="invalid_programme")


def _validate_policy(kind: str, values: dict[str, Any]) -> None:
    """Refuse settings whose matching policy does not hold, by the matching library's own checks
    (see :func:`twofold.programmes.matching_policy.programme_policy`): nothing is saved that a match
    run would have to refuse."""
    unsaved = Programme(kind=kind, **{name: value for name, value in values.items() if name in EDITABLE_FIELDS})
    problems = policy_problems(unsaved)
    if problems:
        raise ProgrammeRuleBroken(
            "the matching policy is not valid: " + "; ".join(problems),
            code="invalid_policy",
            field="policy",
            problems=problems,
        )


@transaction.atomic
def programme_create(*, actor: Any, name: str, kind: str, managers: Iterable[Any] = (), **overrides: Any) -> Programme:
    """A new programme in draft, with the kind's defaults and any overrides, managed by ``managers``
    (by default its creator)."""
    authorize(actor, "programmes.create")
    created_by = actor if isinstance(actor, User) else None
    values = programme_defaults(kind)
    unknown = set(overrides) - set(EDITABLE_FIELDS)
    if unknown:
        raise ProgrammeRuleBroken(f"unknown programme settings: {', '.join(sorted(unknown))}", code="unknown_setting")
    values.update(overrides)
    values["name"] = name.strip()
    _validate(values)
    if values.get("starts_on") and not values.get("ends_on"):
        values["ends_on"] = _months_later(values["starts_on"], values["duration_months"])
    _validate_policy(kind, values)
    programme = Programme.objects.create(kind=kind, created_by=created_by, **values)
    programme.managers.set(list(managers) or ([created_by] if created_by is not None else []))
    return programme


@transaction.atomic
def programme_copy(*, actor: Any, source: Programme, name: str, **overrides: Any) -> Programme:
    """A new programme in draft made from ``source``: its kind, settings and email wording, with
    ``overrides`` (a new name, new dates) on top; nobody from its pool. Managed by its creator."""
    authorize(actor, "programmes.manage", source)
    values = {setting: getattr(source, setting) for setting in EDITABLE_FIELDS if setting != "name"} | overrides
    programme = programme_create(actor=actor, name=name, kind=source.kind, **values)
    ProgrammeEmail.objects.bulk_create(
        ProgrammeEmail(programme=programme, kind=email.kind, subject=email.subject, body=email.body)
        for email in ProgrammeEmail.objects.filter(programme=source).order_by("kind")
    )
    return programme


@transaction.atomic
def programme_update(*, actor: Any, programme: Programme, **changes: Any) -> Programme:
    """Change settings of a programme that is not closed; rules that pairs rely on are checked again."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    authorize(actor, "programmes.manage", programme)
    if programme.state == ProgrammeState.CLOSED:
        raise ProgrammeRuleBroken("a closed programme cannot be changed", code="closed")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ProgrammeRuleBroken(f"unknown programme settings: {', '.join(sorted(unknown))}", code="unknown_setting")
    values = {name: getattr(programme, name) for name in EDITABLE_FIELDS} | changes
    _validate(values)
    if (
        "matching_mode" in changes
        and changes["matching_mode"] != programme.matching_mode
        and programme.state not in (ProgrammeState.DRAFT, ProgrammeState.ENROLLING)
    ):
        # Pairs already proposed (by a run, or requested) were made one way; switching halfway
        # would leave runs nobody may publish, or requests nobody asked for.
        raise ProgrammeRuleBroken(
            "how pairs are made is fixed once matching has started; move the programme back to enrolment to change it",
            code="matching_mode_fixed",
            field="matching_mode",
        )
    _validate_policy(programme.kind, values)
    for name, value in changes.items():
        setattr(programme, name, value)
    programme.save()
    return programme


def transition_refusal(programme: Programme, to_state: str) -> ProgrammeRuleBroken | None:
    """Why ``programme`` may not move to ``to_state``, or None when it may: the one rule
    :func:`programme_transition` checks and the programme's page offers its next steps by.

    Along :data:`PROGRAMME_TRANSITIONS` only, and no re-match (running back to matching) where the
    participants choose their partners.
    """
    allowed = PROGRAMME_TRANSITIONS.get(programme.state, ())
    if (
        programme.is_participant_choice
        and programme.state == ProgrammeState.RUNNING
        and to_state == ProgrammeState.MATCHING
    ):
        # Going back to matching is a partial re-match by a match run; with participant choice the
        # people still without a partner keep choosing while the programme runs.
        return ProgrammeRuleBroken(
            f"{programme.name} lets its {programme.mentee_label}s choose their partners, also while it runs; "
            "there is no re-match to start",
            code="participant_choice",
        )
    if to_state not in allowed:
        return ProgrammeRuleBroken(
            f"a programme in {programme.state} cannot move to {to_state}"
            + (f" (it can move to {', '.join(allowed)})" if allowed else " (it is closed)"),
            code="transition_not_allowed",
        )
    return None


def programme_next_states(programme: Programme) -> list[str]:
    """The states ``programme`` may move to now (:func:`transition_refusal`), in the order of
    :data:`PROGRAMME_TRANSITIONS`."""
    return [state for state in PROGRAMME_TRANSITIONS[programme.state] if transition_refusal(programme, state) is None]


def programme_transition(*, actor: Any, programme: Programme, to_state: str) -> Programme:
    """Move a programme to ``to_state`` along an allowed edge (:func:`transition_refusal`); two racing
    requests cannot both win."""
    authorize(actor, "programmes.manage", programme)
    refusal = transition_refusal(programme, to_state)
    if refusal is not None:
        raise refusal
    updated = Programme.objects.filter(pk=programme.pk, state=programme.state).update(
        state=to_state, updated_at=timezone.now()
    )
    if not updated:
        raise ProgrammeRuleBroken("the programme changed state meanwhile; reload and try again", code="state_changed")
    programme.refresh_from_db()
    return programme


def eligibility_problem(programme: Programme, person: Person, role: str, *, nominated: bool = False) -> str | None:
    """Why ``person`` may not take ``role`` in ``programme``, or None when they may (see
    :func:`twofold.programmes.eligibility.role_problem`)."""
    return role_problem(EligibilityRules.of(programme), Candidate.of(person), role, nominated=nominated)


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
            .exclude(holds.held_mentees(programme))
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


def _already_enrolled(enrolment: Enrolment) -> ProgrammeRuleBroken:
    return ProgrammeRuleBroken(
        f"{enrolment.person.name} is already in this programme ({enrolment.get_status_display().lower()})",
        code="already_enrolled",
    )


@transaction.atomic
def enrolment_create(*, actor: Any, programme: Programme, person: Person, role: str, **details: Any) -> Enrolment:
    """A programme's manager (or the command line) puts a person in its pool, or refuses with the
    eligibility rule they miss."""
    authorize(actor, "programmes.manage", programme)
    return _enrol(programme=programme, person=person, role=role, **details)


def _enrol(
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
    """Put a person in a programme's pool, or refuse with the eligibility rule they miss (after the
    caller checked who asks)."""
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


@transaction.atomic
def enrolments_add(*, actor: Any, programme: Programme, entries: Sequence[tuple[Person, str]]) -> list[Enrolment]:
    """A programme's manager puts these people straight into the pool, each in the role given: for
    organisations that select participants rather than invite them.

    All or nothing: when anyone is already in the programme, not eligible for their role
    (:func:`~twofold.programmes.eligibility.invitation_problem`, the rule the invitation preview
    shows) or listed twice, nobody is added and ``problems`` names each one."""
    authorize(actor, "programmes.manage", programme)
    _check_open_for_enrolment(programme)
    if not entries:
        raise ProgrammeRuleBroken("choose at least one person to add", code="nobody")
    open_status = dict(
        Enrolment.objects.filter(programme=programme, person__in=[person for person, _ in entries])
        .filter(status__in=OPEN_ENROLMENT)
        .values_list("person_id", "status")
    )
    rules = EligibilityRules.of(programme)
    problems, seen = [], set()
    for person, role in entries:
        if role not in EnrolmentRole.values:
            problems.append(f"{person.name}: unknown role {role!r}")
            continue
        if person.pk in seen:
            problems.append(f"{person.name} is listed more than once")
            continue
        seen.add(person.pk)
        refusal = invitation_problem(rules, Candidate.of(person), role, previous_status=open_status.get(person.pk))
        if refusal is not None:
            problems.append(refusal.message)
    if problems:
        raise ProgrammeRuleBroken("; ".join(problems), code="not_added", problems=problems)
    added_by = actor if isinstance(actor, User) else None
    return [_enrol(programme=programme, person=person, role=role, invited_by=added_by) for person, role in entries]


@transaction.atomic
def enrolment_apply(
    *,
    actor: Any,
    programme: Programme,
    role: str,
    person: Person | None = None,
    goals: str = "",
    focus_skills: Iterable[Skill] = (),
    **details: Any,
) -> Enrolment:
    """A person applies of their own accord (``person``, by default the actor's own entry), when
    :func:`~twofold.programmes.eligibility.application_problem` lets them (the rule "Programmes you can
    join" lists by); it needs their manager's approval when the programme says so."""
    person = person if person is not None else getattr(actor, "person", None)
    if person is None:
        raise ProgrammeRuleBroken("only employees take part in programmes", code="not_an_employee")
    authorize(actor, "enrolments.apply", person)
    previous = Enrolment.objects.select_for_update().filter(programme=programme, person=person).first()
    facts = ApplicationFacts(
        state=programme.state,
        invite_only=programme.invite_only,
        previous_status=previous.status if previous is not None else None,
    )
    refusal = application_problem(EligibilityRules.of(programme), Candidate.of(person), role, facts)
    if refusal is not None and refusal.code == "already_enrolled" and previous is not None:
        raise _already_enrolled(previous)
    if refusal is not None:
        raise ProgrammeRuleBroken(refusal.message, code=refusal.code)
    return _enrol(programme=programme, person=person, role=role, goals=goals, focus_skills=focus_skills, **details)


def enrolment_nominate(
    *, actor: Any, programme: Programme, person: Person, nominated_by: Person, statement: str
) -> Enrolment:
    """A candidacy put forward by a senior leader: a mentee-side invitation noting the nominator.

    Nobody is enrolled without saying yes: the nominee finds the nomination among their
    invitations and accepts it (joining the pool; the nominator's word stands in for a manager's
    approval) or declines it, through :func:`enrolment_respond`. Until then matching does not see
    them (it reads the pool only). The nomination stands in for the high-potential flag; level
    rules still apply.
    """
    authorize(actor, "enrolments.nominate", programme)
    if programme.kind != ProgrammeKind.SPONSORSHIP:
        raise ProgrammeRuleBroken("nominations go to sponsorship programmes", code="not_sponsorship")
    if programme.state not in (ProgrammeState.ENROLLING, ProgrammeState.MATCHING, ProgrammeState.RUNNING):
        raise ProgrammeRuleBroken("the programme is not taking candidates now", code="not_enrolling")
    return _enrol(
        programme=programme,
        person=person,
        role=EnrolmentRole.MENTEE,
        goals=statement,
        nominated_by=nominated_by,
        invited_by=None,
        status=EnrolmentStatus.INVITED,
    )


@dataclass
class InviteResult:
    invited: list[Enrolment] = field(default_factory=list)
    already: list[Person] = field(default_factory=list)
    not_eligible: list[tuple[Person, str]] = field(default_factory=list)


@transaction.atomic
def enrolment_invite_by_filter(
    *,
    actor: Any,
    programme: Programme,
    role: str,
    where: InviteFilter,
    limit: int | None = None,
    email: bool = False,
    base_url: str | None = None,
) -> InviteResult:
    """Invite everyone the filter selects ("levels 1–3 in Engineering and Sales"), skipping those
    :func:`~twofold.programmes.eligibility.invitation_problem` leaves out (already in the programme,
    or not eligible, with the reason): the people :func:`~twofold.programmes.selectors.invite_preview`
    lists. With ``email``, each person invited is emailed once the invitations are saved (by the
    background worker; links start from ``base_url``, the address the manager used, or ``SITE_URL``)."""
    authorize(actor, "programmes.manage", programme)
    invited_by = actor if isinstance(actor, User) else None
    _check_open_for_enrolment(programme)
    if role not in EnrolmentRole.values:
        raise ProgrammeRuleBroken(f"unknown role {role!r}", code="unknown_role")
    result = InviteResult()
    open_status = dict(
        Enrolment.objects.filter(programme=programme, status__in=OPEN_ENROLMENT).values_list("person_id", "status")
    )
    candidates = where.queryset().order_by("employee_id")
    if limit is not None:
        candidates = candidates[:limit]
    rules = EligibilityRules.of(programme)
    fresh = []
    for person in candidates:
        refusal = invitation_problem(rules, Candidate.of(person), role, previous_status=open_status.get(person.pk))
        if refusal is not None and refusal.code == "already_enrolled":
            result.already.append(person)
            continue
        if refusal is not None:
            result.not_eligible.append((person, refusal.message))
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
    if email and result.invited:
        invitations_email_later([enrolment.pk for enrolment in result.invited], base_url=base_url)
    return result


def invitations_email_later(enrolment_ids: list[int], *, base_url: str | None = None) -> None:
    """Queue the invitation emails of these enrolments for when the transaction commits."""
    transaction.on_commit(lambda: invitations_email_task.enqueue(enrolment_ids, base_url))


@transaction.atomic
def enrolment_respond(
    *,
    actor: Any,
    enrolment: Enrolment,
    accept: bool,
    goals: str = "",
    focus_skills: Iterable[Skill] = (),
    **details: Any,
) -> Enrolment:
    """The invited person says yes (joining the pool, or waiting for their manager) or no."""
    enrolment = Enrolment.objects.select_for_update().select_related("programme", "person").get(pk=enrolment.pk)
    authorize(actor, "enrolments.respond", enrolment)
    if enrolment.status != EnrolmentStatus.INVITED:
        raise ProgrammeRuleBroken("there is no open invitation to answer", code="no_invitation")
    if accept:
        # The invitation may be old: the programme may have closed, or the person changed level since.
        _check_open_for_enrolment(enrolment.programme)
        nominated = enrolment.nominated_by_id is not None
        problem = eligibility_problem(enrolment.programme, enrolment.person, enrolment.role, nominated=nominated)
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
    # A nominee's nominator vouches for them, as a manager's approval would.
    needs_approval = enrolment.programme.requires_manager_approval and enrolment.nominated_by_id is None
    enrolment.status = EnrolmentStatus.PENDING_APPROVAL if needs_approval else EnrolmentStatus.ACTIVE
    enrolment.save()
    if focus_skills:
        enrolment.focus_skills.set(list(focus_skills))
    if enrolment.status == EnrolmentStatus.ACTIVE:
        enrolment_pool_rebalance(programme=enrolment.programme)
        enrolment.refresh_from_db()
    return enrolment


@transaction.atomic
def enrolment_approve(*, actor: Any, enrolment: Enrolment, approve: bool = True, reason: str = "") -> Enrolment:
    """The applicant's line manager, or the delegate that manager named, approves or turns down the
    application (:func:`~twofold.accounts.permissions.applications_to_decide`); nobody further up."""
    enrolment = Enrolment.objects.select_for_update().select_related("person", "programme").get(pk=enrolment.pk)
    authorize(actor, "enrolments.approve", enrolment)
    if enrolment.status != EnrolmentStatus.PENDING_APPROVAL:
        raise ProgrammeRuleBroken("this enrolment is not waiting for approval", code="not_pending")
    approver = actor.person
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
def enrolment_withdraw(*, actor: Any, enrolment: Enrolment, reason: str = "") -> Enrolment:
    """Leave the pool. Someone in an active relationship must end it first, and answer an open
    proposal first (the relationships app says so through :mod:`twofold.programmes.holds`)."""
    enrolment = Enrolment.objects.select_for_update().select_related("person", "programme").get(pk=enrolment.pk)
    authorize(actor, "enrolments.withdraw", enrolment)
    if enrolment.status not in OPEN_ENROLMENT:
        raise ProgrammeRuleBroken("this enrolment is not open", code="not_open")
    refusal = holds.withdrawal_refusal(enrolment)
    if refusal is not None:
        code, message = refusal
        raise ProgrammeRuleBroken(message, code=code)
    was_active = enrolment.status == EnrolmentStatus.ACTIVE
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.status_reason = reason
    enrolment.save(update_fields=["status", "status_reason", "updated_at"])
    if was_active:
        enrolment_pool_rebalance(programme=enrolment.programme)
    return enrolment


@transaction.atomic
def enrolments_withdraw_leavers(*, person_ids: Iterable[int], reason: str) -> int:
    """Take people who left the organisation out of every programme they were in, waiting for or
    invited to; returns how many enrolments were withdrawn.

    Unlike :func:`enrolment_withdraw`, nothing holds a leaver in a pool: the relationships layer
    closes their pairs first (see :mod:`twofold.people.leavers`). Each programme that lost someone
    from its pool is rebalanced, so a mentee waiting for a seat takes the one a leaver freed.
    """
    ids = sorted(set(person_ids))
    withdrawn = 0
    rebalance: set[int] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        theirs = Enrolment.objects.filter(person_id__in=chunk, status__in=OPEN_ENROLMENT)
        rebalance.update(theirs.filter(status=EnrolmentStatus.ACTIVE).values_list("programme_id", flat=True))
        withdrawn += theirs.update(status=EnrolmentStatus.WITHDRAWN, status_reason=reason, updated_at=timezone.now())
    for programme in Programme.objects.filter(pk__in=sorted(rebalance)).order_by("pk"):
        enrolment_pool_rebalance(programme=programme)
    return withdrawn
