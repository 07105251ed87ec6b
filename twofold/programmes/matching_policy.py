"""A programme's settings as the matching engine's :class:`~twofold.matching.policy.Policy`.

The weights (and the solver's own settings) come from the programme's saved policy over the kind's
defaults, checked by the matching library itself (:func:`~twofold.matching.policy.policy_from_mapping`);
the level gap, repeat pairs, seats and fairness from the programme's own settings. A saved policy
that does not hold is refused, never replaced by the defaults: :func:`programme_policy` raises
:class:`~twofold.matching.policy.PolicyError`, the programme services check it before saving
(:func:`policy_problems`), and a match run stops with the reason.

Who may take part is not in the policy: the match-run translation gives the engine only the people
:func:`twofold.programmes.eligibility.participant_problem` lets through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from twofold.matching.policy import Policy, PolicyError, policy_from_mapping
from twofold.programmes.eligibility import EligibilityRules
from twofold.programmes.models import EnrolmentRole, Programme, ProgrammeKind

ENGINE_KIND: dict[str, str] = {
    ProgrammeKind.REVERSE_MENTORING: "reverse-mentoring",
    ProgrammeKind.SPONSORSHIP: "sponsorship",
}
ENGINE_ROLE: dict[tuple[str, str], str] = {
    (ProgrammeKind.REVERSE_MENTORING, EnrolmentRole.MENTOR): "mentor",
    (ProgrammeKind.REVERSE_MENTORING, EnrolmentRole.MENTEE): "mentee",
    (ProgrammeKind.SPONSORSHIP, EnrolmentRole.MENTOR): "sponsor",
    (ProgrammeKind.SPONSORSHIP, EnrolmentRole.MENTEE): "protege",
}
# Rules of a policy file that a programme decides with its own settings. Its saved policy may not
# set them as well: one of the two would be ignored at match time.
PROGRAMME_DECIDES: dict[str, str] = {
    "left_levels": "the mentor or sponsor level settings",
    "right_levels": "the mentee or protégé level settings",
    "influence_level": "the lowest level of a sponsor",
    "require_high_potential": "“requires high potential”",
    "min_level_gap": "the minimum level gap",
    "max_level_gap": "the maximum level gap",
    "allow_previous_pairs": "“allow repeat pairs”",
    "default_capacity": "the seats per mentor or sponsor",
}


def _decided_by_the_programme(saved: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Problems for the parts of ``saved`` the programme's settings decide, and ``saved`` without them
    (so that the library reports only what is wrong with the rest)."""
    problems = []
    rest = dict(saved)
    rules = saved.get("rules")
    if isinstance(rules, Mapping):
        for key in sorted(set(rules) & set(PROGRAMME_DECIDES)):
            problems.append(f"rules.{key}: set by the programme's own setting for {PROGRAMME_DECIDES[key]}, not here")
        rest["rules"] = {key: value for key, value in rules.items() if key not in PROGRAMME_DECIDES}
    if "fairness" in saved:
        problems.append(
            "fairness: set by the programme's own fairness settings (on or off, attribute, tolerance), not here"
        )
        del rest["fairness"]
    return problems, rest


def programme_policy(programme: Programme) -> Policy:
    """The engine policy of a programme: its saved weights and solver settings over the kind's
    defaults, the level gap, repeat pairs, seats and fairness of its own settings.

    Raises :class:`PolicyError` listing every problem of the saved policy (a weight with more than
    four decimals, an unknown component, a rule the programme's settings decide).
    """
    kind = ENGINE_KIND[programme.kind]
    saved = programme.policy if programme.policy is not None else {}
    if not isinstance(saved, Mapping):
        raise PolicyError(["the policy must be a table of tables ([weights], [rules])"])
    problems, rest = _decided_by_the_programme(saved)
    try:
        base = policy_from_mapping(kind, rest)
    except PolicyError as error:
        raise PolicyError(problems + error.problems) from None
    if problems:
        raise PolicyError(problems)
    rules = EligibilityRules.of(programme)
    preferred = base.preferred_gap
    if "preferred_gap" not in rest.get("rules", {}):
        # The kind's default band, moved up to start at the programme's minimum gap; a band the
        # policy sets is used as written.
        preferred = (max(rules.min_level_gap, preferred[0]), max(rules.min_level_gap, preferred[1]))
    return replace(
        base,
        # Eligibility was decided before the engine sees anyone (participant_problem).
        left_levels=None,
        right_levels=None,
        influence_level=None,
        require_high_potential=False,
        min_level_gap=rules.min_level_gap,
        max_level_gap=rules.max_level_gap,
        preferred_gap=preferred,
        allow_previous_pairs=programme.allow_repeat_pairs,
        default_capacity=programme.capacity,
        fairness_tolerance=programme.fairness_tolerance
        if programme.fairness_enabled and programme.kind == ProgrammeKind.SPONSORSHIP
        else None,
    )


def policy_problems(programme: Programme) -> list[str]:
    """What is wrong with the programme's matching policy (saved or about to be), or nothing."""
    try:
        programme_policy(programme)
    except PolicyError as error:
        return error.problems
    return []
