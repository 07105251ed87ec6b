"""The comparison-group estimator on generated organisations: it finds a planted effect, and finds
none where none was planted, while the raw comparison (no matching) is fooled by who joins."""

from __future__ import annotations

import numpy as np
import pytest

from twofold.insights.comparison import Subject, balance, careers_comparison, match, tenure_band

DEPARTMENTS = ("Engineering", "Sales", "Finance", "People")
YEAR = 365.0


def organisation(seed: int, *, effect: float, people: int = 1500) -> list[Subject]:
    """People whose chance of joining and of promotion both rise with the high-potential flag and
    fall with level (confounding); participants' chance of promotion within the year is raised by
    ``effect``, exactly, on top of what it would have been."""
    rng = np.random.default_rng(seed)
    subjects = []
    for _ in range(people):
        level = int(rng.integers(1, 7))
        flag = bool(rng.random() < 0.25)
        tenure = float(rng.gamma(2.0, 2.5))
        department = DEPARTMENTS[int(rng.integers(0, len(DEPARTMENTS)))]
        base = 0.10 + 0.20 * flag + 0.02 * (6 - level)
        joins = bool(rng.random() < (0.45 if flag else 0.04))
        chance = base + (effect if joins else 0.0)
        promoted = float(rng.uniform(1, YEAR)) if rng.random() < chance else None
        left = float(rng.uniform(1, 2 * YEAR)) if rng.random() < 0.08 else None
        if promoted is not None and left is not None and left < promoted:
            promoted = None
        subjects.append(
            Subject(
                participant=joins,
                level=level,
                department=department,
                tenure_years=tenure,
                high_potential=flag,
                followed=1.5 * YEAR,
                promoted_after=promoted,
                left_after=left,
            )
        )
    return subjects


def naive_difference(subjects: list[Subject]) -> float:
    promoted = np.array([s.promoted_after is not None and s.promoted_after <= YEAR for s in subjects])
    joined = np.array([s.participant for s in subjects])
    return float(promoted[joined].mean() - promoted[~joined].mean())


SEEDS = range(1, 21)
PLANTED = 0.15
# The truth on the participants: an exit before the promotion (8 % leave within two years, a quarter
# of those before their promotion would have come) takes 2 % of the planted promotions away.
TRUTH = PLANTED * 0.98


def coverage(effect: float, truth: float) -> tuple[int, list[float], list[float]]:
    covered, estimates, naive = 0, [], []
    for seed in SEEDS:
        subjects = organisation(seed, effect=effect)
        promotion = careers_comparison(subjects, horizon_days=YEAR, curve_days=[365]).promotion
        assert promotion.enough and promotion.ci_low is not None and promotion.ci_high is not None
        assert promotion.difference is not None
        covered += promotion.ci_low <= truth <= promotion.ci_high
        estimates.append(promotion.difference)
        naive.append(naive_difference(subjects))
    return covered, estimates, naive


def test_recovers_a_planted_effect_within_its_interval() -> None:
    # A 95 % interval misses the truth about one time in twenty; over twenty organisations at least
    # seventeen must hold it (a miss rate that high happens by chance less than 2 % of the time).
    covered, estimates, naive = coverage(PLANTED, TRUTH)
    assert covered >= 17
    assert float(np.mean(estimates)) == pytest.approx(TRUTH, abs=0.02)
    # The raw comparison also carries the flag's head start and would overstate the effect.
    assert float(np.mean(naive)) > TRUTH + 0.05


def test_interval_covers_zero_when_nothing_is_planted() -> None:
    covered, estimates, naive = coverage(0.0, 0.0)
    assert covered >= 17
    assert float(np.mean(estimates)) == pytest.approx(0.0, abs=0.02)
    assert float(np.mean(naive)) > 0.05  # where the raw comparison claims an effect


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_retention_interval_covers_zero_when_nothing_is_planted(seed: int) -> None:
    retention = careers_comparison(organisation(seed, effect=0.0), horizon_days=YEAR, curve_days=[365]).retention
    assert retention.ci_low is not None and retention.ci_high is not None
    assert retention.ci_low <= 0 <= retention.ci_high


def test_matching_balances_the_covariates() -> None:
    subjects = organisation(7, effect=0.0)
    matching = match(subjects)
    rows = {row.covariate: row for row in balance(subjects, matching)}
    assert abs(rows["High potential"].before) > 0.5  # flagged people join far more often
    for row in rows.values():
        assert row.after is not None and abs(row.after) < 0.1, row
    assert matching.exact + matching.nearest == sum(s.participant for s in subjects)


def person(participant: bool, level: int, department: str = "Sales", tenure: float = 3.0, flag: bool = True) -> Subject:
    return Subject(
        participant=participant,
        level=level,
        department=department,
        tenure_years=tenure,
        high_potential=flag,
        followed=400,
    )


def test_weights_within_a_cell_and_nearest_neighbour_where_it_is_empty() -> None:
    subjects = [
        person(True, 3),
        person(True, 3),
        person(False, 3),
        person(False, 3),
        person(False, 3),  # a cell of 2 participants and 3 others: each other weighs 2/3
        person(True, 5),  # nobody else at level 5: the nearest are at 4 (one step) …
        person(False, 4, tenure=3.5),
        person(False, 4, tenure=4.0),
        person(False, 6, department="Finance"),  # … not 6 in another department (three steps)
        person(False, 5, flag=False),  # nor the same level unflagged (ten steps)
    ]
    matching = match(subjects)
    assert list(matching.weights) == pytest.approx([1, 1, 2 / 3, 2 / 3, 2 / 3, 1, 0.5, 0.5, 0, 0])
    assert (matching.exact, matching.nearest, matching.comparison_used) == (2, 1, 5)
    # The comparison group's weights add up to the number of participants.
    assert sum(w for w, s in zip(matching.weights, subjects, strict=True) if not s.participant) == pytest.approx(3)


def test_tenure_bands() -> None:
    assert [tenure_band(y) for y in (0, 1.99, 2, 4.9, 5, 9.99, 10, 30)] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_nobody_to_compare() -> None:
    result = careers_comparison([], horizon_days=YEAR, curve_days=[90])
    assert not result.promotion.enough and result.participants_curve.n == 0
    only_others = careers_comparison([person(False, 3)] * 3, horizon_days=YEAR, curve_days=[90])
    assert only_others.matching.comparison_used == 0 and not only_others.retention.enough
