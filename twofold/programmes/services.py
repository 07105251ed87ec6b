"""Writes for programmes: design a cohort and move it through its states.

Each takes the acting user (``actor``: an account, or the command line's operator) and asks
:func:`twofold.accounts.permissions.authorize` before it changes anything. Filling the cohort (its
enrolments) is :mod:`twofold.programmes.enrolment_services`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.accounts.permissions import authorize
from twofold.dates import date_out_of_range
from twofold.people.models import MAX_LEVEL, MIN_LEVEL
from twofold.programmes.errors import ProgrammeRuleBroken
from twofold.programmes.matching_policy import policy_problems
from twofold.programmes.models import (
    PROGRAMME_TRANSITIONS,
    Acceptance,
    MatchingMode,
    Programme,
    ProgrammeEmail,
    ProgrammeKind,
    ProgrammeState,
)

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
