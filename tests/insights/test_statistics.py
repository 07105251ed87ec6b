"""Every estimate and interval against a published or hand-computed reference value."""

from __future__ import annotations

import math

import pytest

from twofold.insights.statistics import (
    difference_in_rates,
    effective_size,
    kaplan_meier,
    standardised_difference,
    wilson_interval,
)


def test_wilson_interval_matches_newcombe_1998() -> None:
    # Newcombe, "Two-sided confidence intervals for the single proportion", Stat Med 1998, table I:
    # 81/263 → 0.2553 to 0.3662 and 15/148 → 0.0624 to 0.1605 (score method, no continuity correction).
    rate = wilson_interval(81, 263)
    assert rate.estimate == pytest.approx(0.3080, abs=1e-4)
    assert (rate.ci_low, rate.ci_high) == (pytest.approx(0.2553, abs=1e-4), pytest.approx(0.3662, abs=1e-4))
    rate = wilson_interval(15, 148)
    assert (rate.ci_low, rate.ci_high) == (pytest.approx(0.0624, abs=1e-4), pytest.approx(0.1605, abs=1e-4))


def test_a_rate_of_too_few_people_has_no_interval() -> None:
    rate = wilson_interval(3, 9)
    assert rate.n == 9 and rate.estimate is None and rate.ci_low is None


def test_difference_with_equal_weights_is_the_unequal_variance_interval() -> None:
    # 12 of 30 participants and 6 of 40 others. By hand: s₁² = 0.4·0.6·30/29 = 0.248276,
    # s₀² = 0.15·0.85·40/39 = 0.130769; SE = √(0.248276/30 + 0.130769/40) = 0.107448;
    # 0.25 ± 1.959964 · 0.107448 = 0.0394 to 0.4606.
    outcome = [1] * 12 + [0] * 18 + [1] * 6 + [0] * 34
    treated = [True] * 30 + [False] * 40
    result = difference_in_rates(outcome, treated, [1.0] * 70)
    assert result.enough
    assert result.participants_rate == pytest.approx(0.40)
    assert result.comparison_rate == pytest.approx(0.15)
    assert result.difference == pytest.approx(0.25)
    assert result.ci_low == pytest.approx(0.0394, abs=1e-4)
    assert result.ci_high == pytest.approx(0.4606, abs=1e-4)
    assert (result.participants_n, result.comparison_n) == (30, 40)


def test_weighted_difference_by_hand() -> None:
    # Ten participants, 6 promoted. Twenty others: ten of weight 1.5 (4 promoted) and ten of
    # weight 0.5 (1 promoted), and two unmatched (weight 0) left out whatever their outcome.
    outcome = [1] * 6 + [0] * 4 + [1] * 4 + [0] * 6 + [1] * 1 + [0] * 9 + [1, 1]
    treated = [True] * 10 + [False] * 22
    weights = [1.0] * 10 + [1.5] * 10 + [0.5] * 10 + [0.0, 0.0]
    result = difference_in_rates(outcome, treated, weights)
    # Weighted comparison rate: (1.5·4 + 0.5·1) / (1.5·10 + 0.5·10) = 6.5 / 20 = 0.325.
    assert result.comparison_rate == pytest.approx(0.325)
    assert result.difference == pytest.approx(0.6 - 0.325)
    # HC2 by hand: each group's variance is Σ w²e²/(1 − h) / (Σw)² with leverage h = w / Σw.
    participants = sum((y - 0.6) ** 2 / (1 - 1 / 10) for y in [1] * 6 + [0] * 4) / 10**2
    rows = [(1.5, 1)] * 4 + [(1.5, 0)] * 6 + [(0.5, 1)] + [(0.5, 0)] * 9
    others = sum(w**2 * (y - 0.325) ** 2 / (1 - w / 20) for w, y in rows) / 20**2
    half_width = 1.959964 * math.sqrt(participants + others)
    assert result.ci_low == pytest.approx(0.275 - half_width, abs=1e-5)
    assert result.ci_high == pytest.approx(0.275 + half_width, abs=1e-5)
    # Kish: (Σw)² / Σw² = 20² / (10·2.25 + 10·0.25) = 16.
    assert result.comparison_effective_n == pytest.approx(16.0)
    assert effective_size([1.5] * 10 + [0.5] * 10 + [0.0]) == pytest.approx(16.0)


@pytest.mark.parametrize(
    ("outcome", "treated"),
    [
        ([1] * 4 + [0] * 5 + [1] * 10 + [0] * 10, [True] * 9 + [False] * 20),  # nine participants
        ([1] * 2 + [0] * 18 + [1] * 2 + [0] * 18, [True] * 20 + [False] * 20),  # four promotions in all
        ([1] * 20 + [1] * 17 + [0] * 3, [True] * 20 + [False] * 20),  # three without
        ([1] * 30 + [1] * 20 + [0] * 20, [True] * 30 + [False] * 40),  # every participant had it
    ],
)
def test_too_few_to_say(outcome: list[int], treated: list[bool]) -> None:
    result = difference_in_rates(outcome, treated, [1.0] * len(outcome))
    assert not result.enough
    assert result.difference is None and result.ci_low is None and result.participants_rate is None
    assert result.as_json()["too_few_to_say"] is True


# The 6-MP arm of Freireich et al. (1963), weeks in remission, + censored; Kaplan–Meier estimates and
# Greenwood standard errors as published (Kleinbaum & Klein, "Survival Analysis", table 2.2;
# Klein & Moeschberger, table 4.1A): 0.857 (0.076), 0.807 (0.087), 0.753 (0.096), 0.690 (0.107),
# 0.627 (0.114), 0.538 (0.128), 0.448 (0.135).
SIX_MP = [6, 6, 6, "6+", 7, "9+", 10, "10+", "11+", 13, 16, "17+", "19+", "20+", 22, 23, "25+"]
SIX_MP += ["32+", "32+", "34+", "35+"]


def test_kaplan_meier_matches_the_published_six_mp_estimates() -> None:
    durations = [float(str(value).rstrip("+")) for value in SIX_MP]
    events = [not str(value).endswith("+") for value in SIX_MP]
    curve = kaplan_meier(durations, events, at=[5, 6, 7, 10, 13, 16, 22, 23, 40])
    shares = [point.share for point in curve.points]
    published = [1.0, 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448, 0.448]
    assert shares == [pytest.approx(1 - s, abs=5e-4) for s in published]
    assert curve.points[0].band_low is None  # no event yet: nothing to bound
    assert (curve.n, curve.events) == (21, 9)
    for point in curve.points[1:]:
        assert point.band_low is not None and point.band_high is not None
        assert 0 <= point.band_low < point.share < point.band_high <= 1


def test_kaplan_meier_weights_count_as_copies_for_the_estimate() -> None:
    durations = [float(str(value).rstrip("+")) for value in SIX_MP]
    events = [not str(value).endswith("+") for value in SIX_MP]
    doubled = kaplan_meier(durations, events, [2.0] * len(durations), at=[7, 23])
    copied = kaplan_meier(durations * 2, events * 2, at=[7, 23])
    assert [p.share for p in doubled.points] == pytest.approx([p.share for p in copied.points])


def test_standardised_difference_by_hand() -> None:
    # Participants 3, 5 (mean 4, variance 2); others 1, 2, 3 (mean 2, variance 1).
    # Before: (4 − 2) / √((2 + 1) / 2) = 1.63299. After weighting the others 0, 1, 3: mean 2.75,
    # (4 − 2.75) / 1.224745 = 1.020621.
    before, after = standardised_difference([3, 5, 1, 2, 3], [True, True, False, False, False], [1, 1, 0, 1, 3])
    assert before == pytest.approx(1.632993, abs=1e-6)
    assert after == pytest.approx(1.020621, abs=1e-6)
    assert standardised_difference([1, 1, 1, 1], [True, True, False, False], [1, 1, 1, 1]) == (None, None)
