"""What the fairness summary prints is what the minimums use, and the availability component is what
the documentation says it is (issue 9, finding 5)."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest
from django.core.management import call_command

from twofold.matching import PersonRecord, Weights, build_problem, default_policy, match
from twofold.matching.scoring import DENOMINATOR, Scorer


def sponsorship_pool() -> list[PersonRecord]:
    """10 eligible protégés: 4 women, 2 men and 4 who gave no group; one sponsor with 5 seats."""
    cast = [
        PersonRecord("chief", 10),
        PersonRecord("sp", 8, "chief", role="sponsor", department="Eng", capacity=5),
    ]
    groups = ["Woman"] * 4 + ["Man"] * 2 + [""] * 4
    for index, group in enumerate(groups):
        cast.append(
            PersonRecord(f"p{index}", 4, "chief", role="protege", high_potential=True, group=group, aspiration="Eng")
        )
    return cast


def test_finding_5_each_group_share_is_of_all_eligible_proteges_as_the_minimum_uses_it():
    policy = replace(default_policy("sponsorship"), fairness_tolerance=0.05)
    report = match(build_problem(sponsorship_pool(), policy).problem).fairness
    assert report is not None
    shares = {group.group: group.share for group in report.groups}
    # Of all 10 eligible protégés, not of the 6 who gave a group (which would print 66.7 % / 33.3 %).
    assert shares == {"Man": 0.2, "Woman": 0.4}
    assert (report.eligible, report.without_group, report.seats) == (10, 4, 5)
    for group in report.groups:
        assert group.minimum == math.floor((group.share - report.tolerance) * report.seats + 1e-9)


def test_finding_5_the_match_csv_summary_prints_the_shares_the_minimums_use(tmp_path, capsys):
    header = "employee_id,manager_id,role,level,department,high_potential,group,aspiration,capacity"
    rows = [
        ",".join(
            [
                person.employee_id,
                person.manager_id or "",
                person.role or "",
                str(person.level),
                person.department,
                "yes" if person.high_potential else "no",
                person.group,
                person.aspiration,
                "" if person.capacity is None else str(person.capacity),
            ]
        )
        for person in sponsorship_pool()
    ]
    path = tmp_path / "pool.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    call_command("match_csv", str(path), kind="sponsorship", out=str(tmp_path / "pairs.csv"))
    summary = capsys.readouterr().out
    assert re.search(r"Woman: \d matched, minimum 1; 4 eligible \(40\.0% of all 10 eligible\)", summary)
    assert re.search(r"Man: \d matched, minimum 0; 2 eligible \(20\.0% of all 10 eligible\)", summary)
    assert "no group given: 4 eligible, counted in every share's total and in no minimum" in summary


def availability_pair(mentor_slots: tuple[str, ...], mentee_slots: tuple[str, ...]) -> float:
    """The availability component of the one pair a mentor and a mentee make, through match()."""
    policy = replace(default_policy("reverse-mentoring"), weights=Weights(availability=1))
    cast = [
        PersonRecord("mentor", 2, role="mentor", availability=mentor_slots),
        PersonRecord("mentee", 8, role="mentee", availability=mentee_slots),
    ]
    (pair,) = match(build_problem(cast, policy).problem).pairs
    return pair.breakdown["availability"]


WEEK = tuple(f"{day}-{half}" for day in ("mon", "tue", "wed", "thu", "fri") for half in ("am", "pm"))


@pytest.mark.parametrize("count", range(1, 11))
def test_finding_5_the_same_availability_scores_exactly_one_as_documented(count):
    assert availability_pair(WEEK[:count], WEEK[:count]) == 1.0


def test_availability_is_the_share_of_each_ones_slots_the_other_has_averaged():
    assert availability_pair(("mon-am",), WEEK[:5]) == pytest.approx((1 + 1 / 5) / 2)
    assert availability_pair(WEEK[:2], WEEK[1:4]) == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert availability_pair(WEEK[:3], WEEK[5:8]) == 0.0


def test_availability_never_exceeds_one_and_is_exact_for_counts_that_divide_the_scale():
    rng = np.random.default_rng(5)
    slots = [f"s{i}" for i in range(64)]
    cast = []
    for index in range(40):
        chosen = tuple(rng.choice(slots, size=int(rng.integers(1, 65)), replace=False))
        cast.append(PersonRecord(f"l{index}", 2, role="mentor", availability=chosen))
        cast.append(PersonRecord(f"r{index}", 8, role="mentee", availability=chosen if index % 2 else chosen[:5]))
    policy = replace(default_policy("reverse-mentoring"), weights=Weights(availability=1))
    problem = build_problem(cast, policy).problem
    everyone_left, everyone_right = np.arange(len(problem.left)), np.arange(len(problem.right))
    scorer = Scorer(problem, everyone_left, everyone_right)
    rows, cols = (axis.ravel() for axis in np.meshgrid(everyone_left, everyone_right, indexing="ij"))
    value = scorer.breakdown(rows, cols)["availability"]
    masks_left, masks_right = problem.left.availability[rows], problem.right.availability[cols]
    shared = np.array([bin(int(a) & int(b)).count("1") for a, b in zip(masks_left, masks_right, strict=True)])
    count_left = np.array([bin(int(a)).count("1") for a in masks_left])
    count_right = np.array([bin(int(b)).count("1") for b in masks_right])
    documented = (shared / count_left + shared / count_right) / 2
    assert np.all(value <= documented + 1e-12) and np.all(value <= 1.0)
    # Each person's scale DENOMINATOR / 2 / count is rounded down: at most (DENOMINATOR / 2) mod
    # count parts in DENOMINATOR are lost on each side (under 2 % in all, with up to 64 slots).
    half = DENOMINATOR // 2
    assert np.all(documented - value <= (half % count_left + half % count_right) / DENOMINATOR + 1e-12)
    assert np.all(documented - value < 0.02)
    exact = (half % count_left == 0) & (half % count_right == 0)
    assert np.allclose(value[exact], documented[exact], rtol=0, atol=1e-12)
    same = masks_left == masks_right
    assert np.all(value[same & exact] == 1.0) and same.any()
