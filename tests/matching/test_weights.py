"""Policy weights are honoured exactly as written, in the objective and in the explanation
(issue 9, finding 4), or refused with a message that says why."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from twofold.matching import (
    PersonRecord,
    PolicyError,
    RecordedWeights,
    Weights,
    build_problem,
    default_policy,
    match,
    policy_from_mapping,
)


def cast() -> list[PersonRecord]:
    """One mentee and two mentors who teach her wish equally well; only "home" shares her department."""
    return [
        PersonRecord("home", 2, role="mentor", department="Eng", teach={"AI": 4}),
        PersonRecord("away", 2, role="mentor", department="Ops", teach={"AI": 4}),
        PersonRecord("boss", 8, role="mentee", department="Eng", learn={"AI": 0}),
    ]


def run(weights: dict[str, float]):
    policy = policy_from_mapping("reverse-mentoring", {"weights": weights})
    return match(build_problem(cast(), policy).problem)


def test_finding_4_weights_summing_to_100_keep_5_5_exactly():
    weights = {"skills": 94.5, "cross_department": 5.5, "cross_location": 0, "level_gap": 0, "availability": 0}
    result = run(weights)
    (pair,) = result.pairs
    assert pair.left_id == "away"
    assert result.weights == {"skills": 94.5, "cross_department": 5.5}
    assert pair.breakdown == {"skills": 94.5, "cross_department": 5.5}
    assert pair.score == 100.0 and result.total == 100.0


def test_finding_4_a_weight_of_0_4_among_weights_summing_to_500_still_counts():
    weights = {"skills": 499.6, "cross_department": 0.4, "cross_location": 0, "level_gap": 0, "availability": 0}
    result = run(weights)
    (pair,) = result.pairs
    # The department is the only difference between the mentors: it decides the pair, and says so.
    assert pair.left_id == "away"
    assert result.weights["cross_department"] == 0.4
    assert pair.breakdown["cross_department"] == 0.4
    assert pair.score == pytest.approx(500.0, abs=1e-9)


def test_a_weight_with_more_than_four_decimals_is_refused_not_rounded():
    with pytest.raises(PolicyError) as error:
        policy_from_mapping("reverse-mentoring", {"weights": {"skills": 1 / 3}})
    assert error.value.problems == [
        "weights.skills: 0.3333333333333333 has more than 4 decimal places; weights are used exactly as "
        "written, so round it (e.g. to 0.3333)"
    ]
    with pytest.raises(PolicyError, match=r"weights\.network: 0\.12345 has more than 4 decimal places"):
        Weights(network=0.12345)
    assert Weights(network=0.1234).exact()["network"].denominator == 5000


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf"), "4", True, None])
def test_weights_built_in_code_are_checked_like_a_policy_file(value):
    with pytest.raises(PolicyError, match=r"^weights\.skills: must be a number >= 0$"):
        Weights(skills=value)  # type: ignore[arg-type]


def test_weights_too_fine_for_exact_scores_are_refused_with_the_reason():
    # Steps of 1/10,000 and a total of 60: 600,001 steps of several thousand units each, beyond the
    # 10**9 whole units the exact solver takes even for a small programme.
    policy = replace(default_policy("reverse-mentoring"), weights=Weights(skills=60, cross_department=0.0001))
    with pytest.raises(PolicyError, match=r"in whole steps of 1/10000 they add up to 600,001 steps, too many"):
        match(build_problem(cast(), policy).problem)


def test_weights_a_run_stored_rounded_are_read_back_as_the_fractions_it_scored_with():
    # Before weights were used as written, 45.5 with 4.5 was scored (and stored) as 500/11 and
    # 50/11. A run's stored weights are what its scores mean: they are read back, not refused.
    with pytest.raises(PolicyError):
        Weights(skills=50 / 11)
    recorded = RecordedWeights(skills=50 / 11, cross_department=500 / 11, cross_location=0.4)
    exact = recorded.exact()
    assert (exact["skills"], exact["cross_department"], exact["cross_location"]) == (
        Fraction(50, 11),
        Fraction(500, 11),
        Fraction(2, 5),
    )
    assert recorded.exact()["network"] == 0
    result = match(build_problem(cast(), replace(default_policy("reverse-mentoring"), weights=recorded)).problem)
    (pair,) = result.pairs
    assert pair.left_id == "away"
    assert result.weights == {"skills": 50 / 11, "cross_department": 500 / 11, "cross_location": 0.4}
    assert pair.breakdown["cross_department"] == pytest.approx(500 / 11, abs=1e-6)
    # Every weight the old rounding could store comes back exactly, up to its 2**21 steps.
    for steps in (11, 40, 560, 9_960, 2**21 - 40):
        for units in (1, 7, steps // 3, steps - 1, 580 * steps):
            assert RecordedWeights(skills=units / steps).exact()["skills"] == Fraction(units, steps)
    with pytest.raises(PolicyError) as refused:
        RecordedWeights(skills=-1.0)
    assert [problem.partition(":")[0] for problem in refused.value.problems] == ["weights.skills"]
