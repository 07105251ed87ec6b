"""Adversarial instance families for the matching engine, shared by the benchmarks and the tests.

Each family attacks one assumption of the candidate search (``twofold.matching.candidates``):
price estimates from an evenly spaced sample, a few candidates per person, a sparse certificate.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from twofold.matching import PersonRecord, Policy, default_policy

FloatArray = NDArray[np.float64]

SKILLS = tuple(f"skill-{index:02d}" for index in range(40))
DEPARTMENTS = ("Engineering", "Finance", "Marketing", "Operations", "People", "Sales")
LOCATIONS = ("Lagos", "London", "Mumbai", "New York", "Sao Paulo")

# Which row group may meet which column group (rows R0-R3, columns C0-C3), and the score of every
# pair of the two groups. R0 - the needy group - may meet only C3, which R3 prefers by far; the
# only way to match everyone is R0 -> C3, R3 -> C2, R2 -> C1, R1 -> C0.
_MEETS = np.array([[0, 0, 0, 1], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
_SCORE = np.array([[0, 0, 0, 2], [1, 2, 0, 0], [0, 1, 2, 0], [0, 0, 1, 4]], dtype=np.float64)


def sampled_rows(n: int) -> int:
    """How many of ``n`` rows the candidate search's first price sample takes (250, or an eighth
    beyond 2,000), mirrored here so that the needy group hides exactly where the sample looks away.
    (Until the speed work of issue 9 the sample took 700 rows, or an eighth beyond 5,600.)"""
    return min(n, 250) if n <= 2000 else n // 8


def block_structured(
    n: int, *, seed: int = 0, noise: int = 1, density: float = 1.0, sampled: int | None = None
) -> FloatArray:
    """An n x n score matrix (NaN = not allowed) of four row and four column groups.

    The rows an evenly spaced sample of :func:`sampled_rows` rows skips form the needy group R0,
    which may meet only column group C3. The sampled rows split into R1, R2 and R3; R3 may meet C2
    and C3 and scores C3 highest of all, so a sample without R0 sees C3 as R3's and prices it so.
    Group sizes make a perfect matching exist only if every group shifts one column group down
    (R0 -> C3, R3 -> C2, R2 -> C1, R1 -> C0): augmenting paths three pairs long, through pairs no
    one ranks first. Scores within a pair of groups are tied (``noise=1``) or tie-heavy integers
    (``noise`` > 1 adds 0..noise-1); ``density`` < 1 forbids a random share of the group pairs too.
    ``sampled`` overrides how many rows the sample is assumed to take.
    """
    rng = np.random.default_rng(seed)
    picked = np.unique(np.linspace(0, n - 1, sampled or sampled_rows(n)).round().astype(np.int64))
    needy = np.setdiff1d(np.arange(n), picked)
    r3 = min(len(needy), len(picked) // 2)
    r12 = len(picked) - r3
    r1 = r12 // 2
    row_group = np.zeros(n, dtype=np.int64)
    position = np.arange(len(picked))
    row_group[picked] = np.where(position < r1, 1, np.where(position < r12, 2, 3))
    col_group = np.repeat(np.arange(4), [r1, r12 - r1, r3, len(needy)])
    allowed = _MEETS[row_group][:, col_group]
    if density < 1.0:
        allowed &= rng.random((n, n)) < density
    scores = _SCORE[row_group][:, col_group] + rng.integers(0, max(noise, 1), size=(n, n))
    scores[~allowed] = np.nan
    return scores


def tie_heavy_scores(n: int, *, seed: int = 0) -> FloatArray:
    """An n x n integer score matrix shaped like a mentoring programme's: 4 points per skill the
    column wants that the row teaches (three skills each, popular skills far more common), plus 1
    for a different department and 1 for a different location. Scores take a dozen values, so most
    pairs tie with many others: the shape that makes dense solvers slow."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, len(SKILLS) + 1)
    popularity /= popularity.sum()

    def skills() -> NDArray[np.float64]:
        held = np.zeros((n, len(SKILLS)))
        for column in range(3):
            held[np.arange(n), rng.choice(len(SKILLS), size=n, p=popularity)] = 1.0
            del column
        return held

    teach, learn = skills(), skills()
    department = rng.integers(0, len(DEPARTMENTS), size=(2, n))
    location = rng.integers(0, len(LOCATIONS), size=(2, n))
    scores = 4.0 * (teach @ learn.T)
    scores += department[0][:, None] != department[1][None, :]
    scores += location[0][:, None] != location[1][None, :]
    return scores


def _mentoring_pair(rng: np.random.Generator, index: int, manager: str | None, *, mentor: bool) -> PersonRecord:
    """One mentor (levels 1-3) or mentee (6-10) with three tie-heavy skills to teach or learn."""
    skills = rng.choice(len(SKILLS), size=3, replace=False)
    proficiency = {SKILLS[s]: int(rng.integers(1, 5)) for s in skills}
    return PersonRecord(
        employee_id=f"{'m' if mentor else 's'}{index:06d}",
        level=int(rng.integers(1, 4)) if mentor else int(rng.integers(6, 10)),
        manager_id=manager,
        role="mentor" if mentor else "mentee",
        department=str(rng.choice(DEPARTMENTS)),
        location=str(rng.choice(LOCATIONS)),
        teach=proficiency if mentor else {},
        learn={} if mentor else proficiency,
    )


def _heads() -> list[PersonRecord]:
    """A chief executive and one head per department, outside the programme."""
    return [PersonRecord(employee_id="ceo", level=10)] + [
        PersonRecord(employee_id=f"head-{d}", level=9, manager_id="ceo", department=d) for d in DEPARTMENTS
    ]


def deep_tree(n: int, *, seed: int = 0, chains: int = 4) -> tuple[list[PersonRecord], Policy]:
    """Reverse mentoring, n mentors and n mentees, in an organisation of a few very deep chains.

    The mentees form ``chains`` management chains (each manages the next); every mentor reports
    to a random mentee, so the reporting-chain rule forbids each mentor about n / (2 chains)
    mentees - millions of forbidden pairs, which the engine must mask in every scan."""
    rng = np.random.default_rng(seed)
    mentees = [_mentoring_pair(rng, i, None, mentor=False) for i in range(n)]
    for i in range(chains, n):
        mentees[i].manager_id = mentees[i - chains].employee_id
    mentors = [_mentoring_pair(rng, i, mentees[int(rng.integers(0, n))].employee_id, mentor=True) for i in range(n)]
    return mentees + mentors, default_policy("reverse-mentoring")


def bushy_tree(n: int, *, seed: int = 0, managers: int = 10) -> tuple[list[PersonRecord], Policy]:
    """Reverse mentoring in a flat organisation: ``managers`` senior mentees each manage about
    2 n / managers people directly (mentors and the other mentees), under one chief executive."""
    rng = np.random.default_rng(seed)
    people = [PersonRecord(employee_id="ceo", level=10)]
    mentees = [_mentoring_pair(rng, i, "ceo", mentor=False) for i in range(n)]
    for i in range(managers, n):
        mentees[i].manager_id = mentees[i % managers].employee_id
    mentors = [_mentoring_pair(rng, i, mentees[i % managers].employee_id, mentor=True) for i in range(n)]
    return people + mentees + mentors, default_policy("reverse-mentoring")


def popular_mentor(n: int, *, seed: int = 0) -> tuple[list[PersonRecord], Policy]:
    """Reverse mentoring where one mentor teaches every skill at the top proficiency: every
    mentee's best partner by score is the same person."""
    rng = np.random.default_rng(seed)
    people = _heads()
    people += [_mentoring_pair(rng, i, f"head-{rng.choice(DEPARTMENTS)}", mentor=False) for i in range(n)]
    mentors = [_mentoring_pair(rng, i, f"head-{rng.choice(DEPARTMENTS)}", mentor=True) for i in range(n)]
    mentors[0].teach = dict.fromkeys(SKILLS, 4)
    return people + mentors, default_policy("reverse-mentoring")


def clustered_skills(n: int, *, seed: int = 0, clusters: int = 8) -> tuple[list[PersonRecord], Policy]:
    """Reverse mentoring where skills come in ``clusters`` disjoint clusters and everyone's skills
    lie in one: mentors spread evenly over clusters, mentees crowd into the first few (weight
    1 / (c + 1)), so most mentees of the crowded clusters can only be matched at a skills score of
    0 - a sea of ties."""
    rng = np.random.default_rng(seed)
    per = len(SKILLS) // clusters
    weight = 1.0 / np.arange(1, clusters + 1)
    people = _heads()
    for index in range(2 * n):
        mentor = index >= n
        cluster = int(rng.integers(0, clusters)) if mentor else int(rng.choice(clusters, p=weight / weight.sum()))
        person = _mentoring_pair(rng, index % n, f"head-{rng.choice(DEPARTMENTS)}", mentor=mentor)
        chosen = rng.choice(per, size=3, replace=False) + cluster * per
        wishes = {SKILLS[s]: int(rng.integers(1, 5)) for s in chosen}
        if mentor:
            person.teach = wishes
        else:
            person.learn = wishes
        people.append(person)
    return people, default_policy("reverse-mentoring")


def binding_fairness(n_sponsors: int, n_proteges: int, *, seed: int = 0) -> tuple[list[PersonRecord], Policy]:
    """Sponsorship with one seat per sponsor and three protégés per seat, in two groups: group A
    (60 %) aspires to the sponsors' own departments and so scores far higher; group B (40 %)
    aspires elsewhere. Without the fairness target nearly every seat goes to A; with it (5 %
    tolerance) B must get at least 35 % of the seats: the minimum binds."""
    rng = np.random.default_rng(seed)
    sponsor_departments = DEPARTMENTS[:4]
    people = [PersonRecord(employee_id="ceo", level=10)]
    for i in range(n_sponsors):
        department = sponsor_departments[i % len(sponsor_departments)]
        people.append(
            PersonRecord(
                employee_id=f"sp{i:06d}",
                level=int(rng.integers(7, 10)),
                manager_id="ceo",
                role="sponsor",
                capacity=1,
                department=department,
                location=str(rng.choice(LOCATIONS)),
                teach={SKILLS[s]: int(rng.integers(1, 5)) for s in rng.choice(len(SKILLS), size=3, replace=False)},
            )
        )
    for i in range(n_proteges):
        favoured = rng.random() < 0.6
        people.append(
            PersonRecord(
                employee_id=f"pr{i:06d}",
                level=int(rng.integers(3, 6)),
                manager_id=f"sp{int(rng.integers(0, n_sponsors)):06d}",
                role="protege",
                high_potential=True,
                group="A" if favoured else "B",
                department=str(rng.choice(DEPARTMENTS)),
                location=str(rng.choice(LOCATIONS)),
                aspiration=str(rng.choice(sponsor_departments)) if favoured else str(rng.choice(DEPARTMENTS[4:])),
                learn={SKILLS[s]: int(rng.integers(0, 4)) for s in rng.choice(len(SKILLS), size=3, replace=False)},
            )
        )
    return people, replace(default_policy("sponsorship"), fairness_tolerance=0.05)
