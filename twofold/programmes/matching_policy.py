"""A programme's settings as the matching engine's :class:`~twofold.matching.policy.Policy`.

The eligibility numbers come from :mod:`twofold.programmes.eligibility`, the rules the enrolment and
proposal services check one person or pair at a time; the weights from the programme's own policy
over the kind's defaults. Used to match (``twofold.matchruns``) and to explain a pair's score.
"""

from __future__ import annotations

from dataclasses import replace

from twofold.matching.policy import Policy, PolicyError, default_policy, policy_from_mapping
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


def programme_policy(programme: Programme) -> Policy:
    """The engine policy of a programme: the kind's defaults, its eligibility rules, its weight overrides."""
    kind = ENGINE_KIND[programme.kind]
    try:
        base = policy_from_mapping(kind, programme.policy) if programme.policy else default_policy(kind)
    except PolicyError:
        base = default_policy(kind)
    rules = EligibilityRules.of(programme)
    low_gap, high_gap = base.preferred_gap
    return replace(
        base,
        left_levels=rules.mentor_levels,
        right_levels=rules.mentee_levels,
        min_level_gap=rules.min_level_gap,
        max_level_gap=rules.max_level_gap,
        preferred_gap=(max(rules.min_level_gap, low_gap), max(rules.min_level_gap, high_gap)),
        influence_level=rules.influence_level,
        # Eligibility, nominations included, was checked when people enrolled (role_problem).
        require_high_potential=False,
        allow_previous_pairs=programme.allow_repeat_pairs,
        default_capacity=programme.capacity,
        fairness_tolerance=programme.fairness_tolerance
        if programme.fairness_enabled and programme.kind == ProgrammeKind.SPONSORSHIP
        else None,
    )
