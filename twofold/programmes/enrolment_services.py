"""Writes for enrolments: fill a programme's pool (add, apply, nominate, invite), answer and decide,
withdraw, and keep the pool's seats in balance.

Each takes the acting user (``actor``: an account, or the command line's operator) and asks
:func:`twofold.accounts.permissions.authorize` before it changes anything. The programme itself is
designed and moved through its states in :mod:`twofold.programmes.services`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.accounts.permissions import authorize
from twofold.people.models import Person, Skill
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
from twofold.programmes.models import (
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    Programme,
    ProgrammeKind,
    ProgrammeState,
)
from twofold.programmes.selectors import OPEN_ENROLMENT, InviteFilter
from twofold.programmes.tasks import invitations_email_task


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
