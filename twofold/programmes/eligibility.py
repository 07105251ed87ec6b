"""Who may take which side of a programme, who may be paired now, and which levels may be paired:
pure rules.

Plain values in, a reason (or None) out: no database, no Django, nothing from a higher layer.

- :func:`role_problem`: the enrolment services check one person at a time.
- :func:`participant_problem`: whether an enrolment may be paired at all now (in the pool, still in
  the directory, still eligible, a seat free or no partner yet). ``pair_refusal`` asks it for each
  side of one pair; the match-run translation asks it for every enrolment and gives the engine only
  those it lets through, so the engine applies no eligibility rule of its own.
- :func:`level_gap_problem`: one pair's level gap; the translation hands the engine the same numbers
  (:attr:`EligibilityRules.min_level_gap` …) for its bulk check.
- :func:`application_problem`: whether someone may apply of their own accord. "Programmes you can
  join" lists exactly the programmes and roles it lets through, and ``enrolment_apply`` refuses what
  it refuses, so the list never offers what the service would turn down.

tests/matchruns/test_one_rule.py holds the engine's bulk view and the one-pair check to one another
on random organisations.

"Mentor" is the giving side (the junior mentor in reverse mentoring, the sponsor in sponsorship),
"mentee" the receiving side (the senior mentee, the protégé).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MENTOR = "mentor"
MENTEE = "mentee"
# Programme states in which people may apply, and the enrolment statuses that hold or may come to
# hold a place in a pool (invited, waiting for the manager, in the pool, waitlisted).
TAKING_APPLICATIONS = ("enrolling", "matching", "running")
OPEN_STATUSES = ("invited", "pending_approval", "active", "waitlisted")
# An application the applicant's manager (or their delegate) turned down.
TURNED_DOWN = "refused"


class ProgrammeSettings(Protocol):
    """The settings of a programme these rules read (a :class:`~twofold.programmes.models.Programme`)."""

    name: str
    mentor_min_level: int | None
    mentor_max_level: int | None
    mentee_min_level: int | None
    mentee_max_level: int | None
    min_level_gap: int
    max_level_gap: int | None
    requires_high_potential: bool

    @property
    def is_sponsorship(self) -> bool: ...

    @property
    def mentor_label(self) -> str: ...

    @property
    def mentee_label(self) -> str: ...


class PersonFacts(Protocol):
    """What these rules read of a person (a :class:`~twofold.people.models.Person`)."""

    name: str
    level: int
    active: bool
    high_potential: bool


@dataclass(frozen=True)
class Candidate:
    """What the rules need to know of a person."""

    name: str
    level: int
    active: bool = True
    high_potential: bool = False

    @classmethod
    def of(cls, person: PersonFacts) -> Candidate:
        return cls(name=person.name, level=person.level, active=person.active, high_potential=person.high_potential)


@dataclass(frozen=True)
class EligibilityRules:
    """A programme's eligibility: level ranges per side, the level gap band, the high-potential rule."""

    programme_name: str
    sponsorship: bool
    mentor_label: str
    mentee_label: str
    mentor_min_level: int | None
    mentor_max_level: int | None
    mentee_min_level: int | None
    mentee_max_level: int | None
    min_level_gap: int
    max_level_gap: int | None
    requires_high_potential: bool

    @classmethod
    def of(cls, programme: ProgrammeSettings) -> EligibilityRules:
        return cls(
            programme_name=programme.name,
            sponsorship=programme.is_sponsorship,
            mentor_label=programme.mentor_label,
            mentee_label=programme.mentee_label,
            mentor_min_level=programme.mentor_min_level,
            mentor_max_level=programme.mentor_max_level,
            mentee_min_level=programme.mentee_min_level,
            mentee_max_level=programme.mentee_max_level,
            min_level_gap=programme.min_level_gap,
            max_level_gap=programme.max_level_gap,
            requires_high_potential=programme.requires_high_potential,
        )


def _range_problem(label: str, candidate: Candidate, low: int | None, high: int | None) -> str | None:
    if low is not None and candidate.level < low:
        return f"a {label} must be at level {low} or above ({candidate.name} is at {candidate.level})"
    if high is not None and candidate.level > high:
        return f"a {label} must be at level {high} or below ({candidate.name} is at {candidate.level})"
    return None


def role_problem(rules: EligibilityRules, candidate: Candidate, role: str, *, nominated: bool = False) -> str | None:
    """Why ``candidate`` may not take ``role`` (``"mentor"`` or ``"mentee"``), or None when they may.

    A nomination by a senior leader stands in for the high-potential flag; level rules still apply.
    """
    if not candidate.active:
        return f"{candidate.name} has left the organisation"
    if role == MENTOR:
        return _range_problem(rules.mentor_label, candidate, rules.mentor_min_level, rules.mentor_max_level)
    if role != MENTEE:
        return f"unknown role {role!r}"
    problem = _range_problem(rules.mentee_label, candidate, rules.mentee_min_level, rules.mentee_max_level)
    if problem is None and rules.requires_high_potential and not candidate.high_potential and not nominated:
        return f"a {rules.mentee_label} in this programme must be flagged high potential (or be nominated)"
    return problem


def level_gap_problem(rules: EligibilityRules, *, mentor: Candidate, mentee: Candidate) -> str | None:
    """Why these two are too close (or too far apart) in level to be paired, or None.

    The gap is the senior's level less the junior's: the mentee is the senior in reverse mentoring,
    the sponsor (mentor side) in sponsorship.
    """
    senior, junior = (mentor, mentee) if rules.sponsorship else (mentee, mentor)
    gap = senior.level - junior.level
    if gap >= rules.min_level_gap and (rules.max_level_gap is None or gap <= rules.max_level_gap):
        return None
    band = f"at least {rules.min_level_gap}" + (
        f" and at most {rules.max_level_gap}" if rules.max_level_gap is not None else ""
    )
    return (
        f"{senior.name} (level {senior.level}) and {junior.name} (level {junior.level}) are {gap} levels apart; "
        f"{rules.programme_name} needs {band}."
    )


@dataclass(frozen=True)
class Refusal:
    """A rule broken: ``code`` names it for machines, ``message`` says it for people."""

    code: str
    message: str


@dataclass(frozen=True)
class PoolPlace:
    """What the pairing rules read of an enrolment besides the person: its role, whether it is in the
    pool (``status`` names its status otherwise), whether a senior leader nominated them, a mentor's
    seats and whether a mentee already has an open relationship in the programme."""

    role: str
    in_pool: bool
    status: str
    nominated: bool
    seats_taken: int
    capacity: int
    partnered: bool


def participant_problem(rules: EligibilityRules, candidate: Candidate, place: PoolPlace) -> Refusal | None:
    """Why this enrolment may not be paired now, or None when it may.

    In order: out of the pool, left the organisation, no longer eligible for the role (levels and
    the high-potential rule, as :func:`role_problem`: a promotion or a changed programme since
    enrolling counts), a mentee already in an open relationship, a mentor without a free seat.
    """
    if not place.in_pool:
        return Refusal("not_in_pool", f"{candidate.name} is not in the pool ({place.status}).")
    if not candidate.active:
        return Refusal("inactive", f"{candidate.name} is no longer active in the directory.")
    problem = role_problem(rules, candidate, place.role, nominated=place.nominated)
    if problem is not None:
        return Refusal("not_eligible", f"{problem[:1].upper()}{problem[1:]}.")
    if place.role == MENTEE and place.partnered:
        return Refusal(
            "mentee_already_paired", f"{candidate.name} already has an open relationship in {rules.programme_name}."
        )
    if place.role == MENTOR and place.seats_taken >= place.capacity:
        return Refusal(
            "no_free_seat",
            f"{candidate.name} has no free seat ({place.seats_taken} of {place.capacity} taken).",
        )
    return None


@dataclass(frozen=True)
class ApplicationFacts:
    """What the application rule reads of a programme and of the applicant's place in it: the
    programme's state, whether it is invite-only, and the status of the applicant's enrolment in it
    (None when they never had one)."""

    state: str
    invite_only: bool
    previous_status: str | None = None


def application_problem(
    rules: EligibilityRules, candidate: Candidate, role: str, facts: ApplicationFacts
) -> Refusal | None:
    """Why ``candidate`` may not apply to take ``role`` of their own accord, or None when they may.

    In order: an invite-only programme takes people by invitation or nomination only (and is never
    listed, so that seeing it does not tell anyone they are flagged high potential); a programme not
    taking applications; someone already in it; someone whose application was turned down (their
    manager's decision stands: the programme's managers may still invite them); then the role's own
    rules (:func:`role_problem`). Someone who withdrew or declined an invitation may apply again.
    """
    if facts.invite_only:
        return Refusal("invite_only", f"{rules.programme_name} takes people by invitation or nomination only")
    if facts.state not in TAKING_APPLICATIONS:
        return Refusal("not_enrolling", "the programme is not taking applications now")
    if facts.previous_status in OPEN_STATUSES:
        return Refusal("already_enrolled", f"{candidate.name} is already in this programme")
    if facts.previous_status == TURNED_DOWN:
        return Refusal(
            "turned_down",
            f"{candidate.name}'s application to {rules.programme_name} was turned down; "
            "the programme's managers can still invite them",
        )
    problem = role_problem(rules, candidate, role)
    return None if problem is None else Refusal("not_eligible", problem)


def invitation_problem(
    rules: EligibilityRules, candidate: Candidate, role: str, *, previous_status: str | None = None
) -> Refusal | None:
    """Why ``candidate`` is left out when a programme's managers invite (or add) people to ``role``,
    or None when they may be invited.

    In order: someone already in the programme (invited, waiting, in the pool or waitlisted) is not
    invited again; then the role's own rules (:func:`role_problem`). Unlike an application, a
    manager's invitation overrides a turned-down application and reaches invite-only programmes;
    someone who withdrew or declined may be invited again. The invitation preview shows exactly the
    people this lets through, and the invitation service invites exactly those.
    """
    if previous_status in OPEN_STATUSES:
        return Refusal(
            "already_enrolled", f"{candidate.name} is already in this programme ({previous_status.replace('_', ' ')})"
        )
    problem = role_problem(rules, candidate, role)
    return None if problem is None else Refusal("not_eligible", problem)
