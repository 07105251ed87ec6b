"""Policies: defaults per programme kind and policy files with every mistake reported at once."""

from __future__ import annotations

import pytest

from twofold.matching import PolicyError, default_policy, policy_from_mapping


def test_defaults_follow_each_programme_kind():
    reverse = default_policy("reverse-mentoring")
    sponsorship = default_policy("sponsorship")
    assert reverse.weights.skills > reverse.weights.cross_department > 0
    assert (reverse.min_level_gap, reverse.default_capacity, reverse.fairness_tolerance) == (3, 1, None)
    assert sponsorship.weights.aspiration == max(sponsorship.weights.as_dict().values())
    assert (sponsorship.default_capacity, sponsorship.influence_level) == (3, 7)
    assert sponsorship.require_high_potential and sponsorship.fairness_tolerance == 0.05


def test_a_policy_file_overrides_weights_rules_and_fairness():
    policy = policy_from_mapping(
        "sponsorship",
        {
            "weights": {"aspiration": 5, "network": 0},
            "rules": {"min_level_gap": 3, "max_level_gap": 5, "left_levels": [8, 10], "allow_previous_pairs": True},
            "fairness": {"tolerance": 0.1},
        },
    )
    assert (policy.weights.aspiration, policy.weights.network, policy.weights.skills) == (5.0, 0.0, 1.5)
    assert (policy.min_level_gap, policy.max_level_gap, policy.left_levels) == (3, 5, (8, 10))
    assert policy.allow_previous_pairs and policy.fairness_tolerance == 0.1
    assert policy_from_mapping("sponsorship", {"fairness": {"enabled": False}}).fairness_tolerance is None


def test_every_mistake_in_a_policy_file_is_reported():
    with pytest.raises(PolicyError) as error:
        policy_from_mapping(
            "reverse-mentoring",
            {
                "weights": {"skills": -1, "charisma": 2},
                "rules": {"min_level_gap": "three", "left_levels": [3, 1], "colour": "red"},
                "fairness": {"tolerance": 2},
                "extras": {},
            },
        )
    assert sorted(error.value.problems) == [
        "extras: unknown table (use [weights], [rules] or [fairness])",
        "fairness.tolerance: must be a number from 0 to 1",
        "rules.colour: unknown rule (use allow_previous_pairs, candidates_per_person, default_capacity, "
        "influence_level, left_levels, max_level_gap, maximize_matched, min_level_gap, optimality_tolerance, "
        "preferred_gap, require_high_potential, right_levels)",
        "rules.left_levels: must be two whole numbers [low, high] with low <= high",
        "rules.min_level_gap: must be a whole number",
        "weights.charisma: unknown component (use skills, aspiration, cross_department, cross_location, "
        "level_gap, availability, network)",
        "weights.skills: must be a number >= 0",
    ]


def test_unknown_kind_and_inverted_gap_bounds_are_refused():
    with pytest.raises(PolicyError, match="unknown programme kind 'speed-dating'"):
        default_policy("speed-dating")
    with pytest.raises(PolicyError, match="max_level_gap: must be at least"):
        policy_from_mapping("reverse-mentoring", {"rules": {"max_level_gap": 2}})


def test_level_gap_fit_is_one_in_the_band_and_falls_outside_it():
    policy = default_policy("sponsorship")  # preferred band 2-4
    assert [policy.gap_fit(gap) for gap in (2, 3, 4)] == [1.0, 1.0, 1.0]
    assert policy.gap_fit(5) == pytest.approx(0.75) and policy.gap_fit(1) == pytest.approx(0.75)
    assert policy.gap_fit(9) == 0.0
