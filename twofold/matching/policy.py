"""Matching policies: what makes a good pair (weights) and what makes a pair impossible (rules).

One :class:`Policy` per programme, with sensible defaults per kind (:func:`default_policy`) and a
loader for the ``[weights]``/``[rules]``/``[fairness]`` tables of a policy file
(:func:`policy_from_mapping`). Sides are *left* = mentors or sponsors (the ones who give: teach,
advocate) and *right* = mentees or protégés.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Literal, SupportsFloat, TypeGuard

import numpy as np

from twofold.matching.arguments import LARGEST_WHOLE

Kind = Literal["reverse-mentoring", "sponsorship"]
KINDS: tuple[Kind, ...] = ("reverse-mentoring", "sponsorship")

#: Score components, each in [0, 1] for every pair; a pair's score is their weighted sum.
COMPONENTS: tuple[str, ...] = (
    "skills",
    "aspiration",
    "cross_department",
    "cross_location",
    "level_gap",
    "availability",
    "network",
)

COMPONENT_TEXT = {
    "skills": "skills the mentor or sponsor can teach that the partner wants to learn",
    "aspiration": "the protégé's career aspiration is the sponsor's domain",
    "cross_department": "different departments",
    "cross_location": "different locations",
    "level_gap": "level gap within the programme's preferred band",
    "availability": "shared availability",
    "network": "reach of the sponsor's network (size of their organisation)",
}

#: Weights are honoured exactly as written, so each may have at most this many decimal places.
WEIGHT_DECIMALS = 4


class PolicyError(ValueError):
    """A policy file or mapping is invalid; ``problems`` lists each reason with its key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Weights:
    """Weight of each score component (>= 0). Components are in [0, 1], so a weight is the most
    that component can add to a pair's score.

    Weights are used exactly as written (5.5 is 11/2, never 5.6), so each may have at most
    :data:`WEIGHT_DECIMALS` decimal places; anything else raises :class:`PolicyError`.
    """

    skills: float = 0.0
    aspiration: float = 0.0
    cross_department: float = 0.0
    cross_location: float = 0.0
    level_gap: float = 0.0
    availability: float = 0.0
    network: float = 0.0

    def __post_init__(self) -> None:
        problems = [
            f"weights.{name}: {problem}" for name in COMPONENTS if (problem := weight_problem(getattr(self, name)))
        ]
        if problems:
            raise PolicyError(problems)

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in COMPONENTS}

    def exact(self) -> dict[str, Fraction]:
        """Each weight as the exact fraction its decimal digits say (0.4 is 2/5)."""
        return {name: exact_weight(getattr(self, name)) for name in COMPONENTS}


def exact_weight(value: float) -> Fraction:
    """The number a weight's shortest decimal spelling says: ``0.1`` is 1/10, not the binary float
    nearest to it, so a weight typed as 5.5 or 0.4 is used as exactly that."""
    return Fraction(repr(float(value)))


def weight_problem(value: object) -> str | None:
    """What is wrong with a weight, or None: a finite number >= 0 with at most 4 decimals."""
    if not _is_number(value) or not math.isfinite(float(value)) or float(value) < 0:
        return "must be a number >= 0"
    number = float(value)
    if (10**WEIGHT_DECIMALS) % exact_weight(number).denominator:
        return (
            f"{number!r} has more than {WEIGHT_DECIMALS} decimal places; weights are used exactly as "
            f"written, so round it (e.g. to {round(number, WEIGHT_DECIMALS)!r})"
        )
    return None


#: Runs scored before weights were used as written counted each weight in whole steps of
#: ``1 / steps``, with at most this many steps (the old score budget).
_RECORDED_STEPS = 1 << 21


@dataclass(frozen=True)
class RecordedWeights(Weights):
    """The weights a match run recorded as it scored its pairs, taken as stored, for re-scoring
    and explaining that run's pairs on the same scale.

    Runs scored before weights were used exactly as written hold them as they were rounded then,
    to whole steps of ``1 / steps``: 45.5 and 4.5 were scored, and stored, as 500/11 and 50/11.
    That is what the run's scores mean, so any finite number >= 0 is accepted, and each is read as
    the fraction it stands for: its decimals when it has at most :data:`WEIGHT_DECIMALS` (as every
    weight since), else the simplest fraction of at most ``2**21`` steps nearest to it (the old
    rounding's steps: 45.45454545454545 is 500/11).
    """

    def __post_init__(self) -> None:
        problems = [
            f"weights.{name}: must be a number >= 0"
            for name in COMPONENTS
            if not _is_number(value := getattr(self, name)) or not math.isfinite(float(value)) or float(value) < 0
        ]
        if problems:
            raise PolicyError(problems)

    def exact(self) -> dict[str, Fraction]:
        return {name: _recorded_weight(float(getattr(self, name))) for name in COMPONENTS}


def _recorded_weight(value: float) -> Fraction:
    if weight_problem(value) is None:
        return exact_weight(value)
    return Fraction(value).limit_denominator(_RECORDED_STEPS)


@dataclass(frozen=True)
class Policy:
    """Weights and rules of one programme.

    Level rules use the *gap* = senior's level - junior's level, where the senior is the mentee in
    reverse mentoring and the sponsor in sponsorship. ``min_level_gap`` and ``max_level_gap`` are
    hard; ``preferred_gap`` is the band the ``level_gap`` component scores 1 (it falls by
    ``1 / (band width + 1)`` per level outside). ``left_levels``/``right_levels`` are the eligible
    level ranges (inclusive, None = any); ``influence_level`` is the lowest level a sponsor may have.
    ``fairness_tolerance`` switches the sponsorship fairness target on: every group's share of
    matched protégés must be at least its share of eligible protégés minus this tolerance.
    ``optimality_tolerance`` is the relative gap to the proven optimum at which the solver may stop
    (0 = exact).
    """

    kind: Kind
    weights: Weights
    left_levels: tuple[int, int] | None = None
    right_levels: tuple[int, int] | None = None
    min_level_gap: int = 1
    max_level_gap: int | None = None
    preferred_gap: tuple[int, int] = (1, 3)
    influence_level: int | None = None
    require_high_potential: bool = False
    allow_previous_pairs: bool = False
    default_capacity: int = 1
    fairness_tolerance: float | None = None
    maximize_matched: bool = True
    optimality_tolerance: float = 0.001
    candidates_per_person: int = 24

    def __post_init__(self) -> None:
        """Check every field, so that a policy built in code is held to the rules of a policy file
        (a NaN tolerance or a fractional gap is refused, not silently used)."""
        problems: list[str] = []
        if self.kind not in KINDS:
            problems.append(f"kind: unknown programme kind {self.kind!r} (use {' or '.join(KINDS)})")
        if not isinstance(self.weights, Weights):
            problems.append("weights: must be a Weights")
        for key in sorted(_RULE_KEYS):
            checked = _check_rule(key, getattr(self, key))
            if isinstance(checked, str):
                problems.append(f"{key}: {checked}")
            else:
                object.__setattr__(self, key, checked)
        if self.fairness_tolerance is not None:
            if not _is_number(self.fairness_tolerance) or not 0 <= float(self.fairness_tolerance) <= 1:
                problems.append("fairness_tolerance: must be a number from 0 to 1 (or None: no target)")
            else:
                object.__setattr__(self, "fairness_tolerance", float(self.fairness_tolerance))
        if not problems and self.max_level_gap is not None and self.max_level_gap < self.min_level_gap:
            problems.append("max_level_gap: must be at least min_level_gap")
        if problems:
            raise PolicyError(problems)

    @property
    def senior_is_left(self) -> bool:
        """Sponsors (left) are senior in sponsorship; mentees (right) in reverse mentoring."""
        return self.kind == "sponsorship"

    def gap_fit(self, gap: int) -> float:
        """The ``level_gap`` component for a level gap: 1 inside the preferred band, less outside."""
        low, high = self.preferred_gap
        if low <= gap <= high:
            return 1.0
        distance = low - gap if gap < low else gap - high
        return max(0.0, 1.0 - distance / (high - low + 2))

    def gap_allowed(self, gap: int) -> bool:
        return gap >= self.min_level_gap and (self.max_level_gap is None or gap <= self.max_level_gap)


def default_policy(kind: str) -> Policy:
    """The defaults of each programme kind, tuned on the demo organisation (levels 1-10).

    Reverse mentoring: mentors at levels 1-3 teach mentees at 6 and above, at least 3 levels apart;
    the score is dominated by skills the mentor can teach and the mentee wants to learn, with
    bonuses for crossing departments and locations. Sponsorship: sponsors at level 7 and above
    (the influence level) with 3 seats each, high-potential protégés at least 2 levels below; the
    score is dominated by the protégé's aspiration matching the sponsor's domain, with a 5-point
    fairness tolerance.
    """
    if kind == "reverse-mentoring":
        return Policy(
            kind="reverse-mentoring",
            weights=Weights(skills=4.0, cross_department=1.0, cross_location=0.5, level_gap=0.5, availability=1.0),
            left_levels=(1, 3),
            right_levels=(6, 10),
            min_level_gap=3,
            preferred_gap=(3, 6),
            default_capacity=1,
        )
    if kind == "sponsorship":
        return Policy(
            kind="sponsorship",
            weights=Weights(
                skills=1.5,
                aspiration=3.0,
                cross_department=0.25,
                level_gap=1.5,
                availability=0.5,
                network=1.0,
            ),
            left_levels=(7, 10),
            right_levels=None,
            min_level_gap=2,
            preferred_gap=(2, 4),
            influence_level=7,
            require_high_potential=True,
            default_capacity=3,
            fairness_tolerance=0.05,
        )
    raise PolicyError([f"unknown programme kind '{kind}' (use {' or '.join(KINDS)})"])


_RULE_KEYS = {
    "left_levels",
    "right_levels",
    "min_level_gap",
    "max_level_gap",
    "preferred_gap",
    "influence_level",
    "require_high_potential",
    "allow_previous_pairs",
    "default_capacity",
    "maximize_matched",
    "optimality_tolerance",
    "candidates_per_person",
}


def policy_from_mapping(kind: str, data: Mapping[str, Any]) -> Policy:
    """The kind's defaults overridden by a mapping shaped like a policy file::

        [weights]      skills = 4.0, cross_department = 1.0, ...
        [rules]        min_level_gap = 3, left_levels = [1, 3], max_level_gap = 7, ...
        [fairness]     tolerance = 0.05   (or enabled = false)

    Every unknown key and bad value is reported at once, as ``table.key: reason``.
    """
    policy = default_policy(kind)
    if not isinstance(data, Mapping):
        raise PolicyError(["the policy must be a table of tables ([weights], [rules], [fairness])"])
    problems: list[str] = []
    for table in data:
        if table not in ("weights", "rules", "fairness"):
            problems.append(f"{table}: unknown table (use [weights], [rules] or [fairness])")
    weights = dict(policy.weights.as_dict())
    raw_weights = data.get("weights", {})
    if not isinstance(raw_weights, Mapping):
        problems.append("weights: must be a table")
        raw_weights = {}
    for key, value in raw_weights.items():
        if key not in COMPONENTS:
            problems.append(f"weights.{key}: unknown component (use {', '.join(COMPONENTS)})")
        elif problem := weight_problem(value):
            problems.append(f"weights.{key}: {problem}")
        else:
            weights[key] = float(value)
    changes: dict[str, Any] = {"weights": Weights(**weights)}
    raw_rules = data.get("rules", {})
    if not isinstance(raw_rules, Mapping):
        problems.append("rules: must be a table")
        raw_rules = {}
    for key, value in raw_rules.items():
        if key not in _RULE_KEYS:
            problems.append(f"rules.{key}: unknown rule (use {', '.join(sorted(_RULE_KEYS))})")
            continue
        checked = _check_rule(key, value)
        if isinstance(checked, str):
            problems.append(f"rules.{key}: {checked}")
        else:
            changes[key] = checked
    raw_fairness = data.get("fairness", {})
    if not isinstance(raw_fairness, Mapping):
        problems.append("fairness: must be a table")
        raw_fairness = {}
    for key, value in raw_fairness.items():
        if key == "enabled":
            if not isinstance(value, bool):
                problems.append("fairness.enabled: must be true or false")
            elif not value:
                changes["fairness_tolerance"] = None
        elif key == "tolerance":
            if not _is_number(value) or not 0 <= float(value) <= 1:
                problems.append("fairness.tolerance: must be a number from 0 to 1")
            elif raw_fairness.get("enabled", True) is not False:
                changes["fairness_tolerance"] = float(value)
        else:
            problems.append(f"fairness.{key}: unknown setting (use enabled, tolerance)")
    if problems:
        raise PolicyError(problems)
    try:
        return replace(policy, **changes)
    except PolicyError as error:
        # Every value was checked above; what is left is how rules fit together.
        raise PolicyError([f"rules.{problem}" for problem in error.problems]) from None


def _is_number(value: object) -> TypeGuard[SupportsFloat]:
    # numbers.Real takes NumPy's numbers too (np.float64, np.int64), not booleans.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: object) -> TypeGuard[int]:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def _check_rule(key: str, value: Any) -> Any:
    """The validated value of a rule, or a string saying what is wrong with it."""
    if key in ("left_levels", "right_levels", "preferred_gap"):
        if value is None and key != "preferred_gap":
            return None
        if (
            not isinstance(value, list | tuple)
            or len(value) != 2
            or not all(_is_integer(v) and abs(int(v)) <= LARGEST_WHOLE for v in value)
            or value[0] > value[1]
        ):
            return "must be two whole numbers [low, high] with low <= high"
        return (int(value[0]), int(value[1]))
    if key in ("require_high_potential", "allow_previous_pairs", "maximize_matched"):
        return bool(value) if isinstance(value, bool | np.bool_) else "must be true or false"
    if key == "optimality_tolerance":
        if not _is_number(value) or not 0 <= float(value) < 1:
            return "must be a number from 0 (exact) to below 1"
        return float(value)
    if key in ("max_level_gap", "influence_level") and value is None:
        return None
    if not _is_integer(value):
        return "must be a whole number"
    if value > LARGEST_WHOLE:
        return f"must be at most {LARGEST_WHOLE:,}"
    minimum = {"default_capacity": 0, "candidates_per_person": 4, "min_level_gap": -100}.get(key, 0)
    if key in ("influence_level", "max_level_gap"):
        minimum = -100
    if value < minimum:
        return f"must be at least {minimum}"
    return int(value)
