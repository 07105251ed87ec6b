"""The engine on whole programmes: hard rules never broken, the optimum over all allowed pairs,
fairness minimums, explanations and re-matching."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from twofold.matching import (
    MatchInputError,
    PersonRecord,
    Reason,
    build_problem,
    default_policy,
    match,
    rematch,
)
from twofold.matching.rules import PairRules
from twofold.matching.scoring import Scorer

SKILLS = ["AI", "SQL", "Video", "Design", "Finance"]
LEFT_ROLE = {"reverse-mentoring": "mentor", "sponsorship": "sponsor"}
RIGHT_ROLE = {"reverse-mentoring": "mentee", "sponsorship": "protege"}


@st.composite
def organisations(draw, kind: str):
    """A random organisation: a forest, roles, levels, skills, lists of pairs to avoid."""
    n = draw(st.integers(4, 28))
    people = []
    for index in range(n):
        manager = draw(st.integers(-1, index - 1)) if index else -1
        role = draw(st.sampled_from([LEFT_ROLE[kind], RIGHT_ROLE[kind], None]))
        people.append(
            PersonRecord(
                employee_id=f"p{index:02d}",
                level=draw(st.integers(1, 10)),
                manager_id=f"p{manager:02d}" if manager >= 0 else None,
                role=role,
                department=draw(st.sampled_from(["Eng", "Sales", "Ops"])),
                location=draw(st.sampled_from(["London", "Nairobi"])),
                capacity=draw(st.integers(0, 3)) if role == LEFT_ROLE[kind] else None,
                teach={s: draw(st.integers(1, 4)) for s in draw(st.lists(st.sampled_from(SKILLS), max_size=3))},
                learn={s: draw(st.integers(0, 4)) for s in draw(st.lists(st.sampled_from(SKILLS), max_size=3))},
                high_potential=draw(st.booleans()),
                group=draw(st.sampled_from(["A", "B", ""])),
                aspiration=draw(st.sampled_from(["Eng", "Sales", ""])),
                availability=tuple(draw(st.lists(st.sampled_from(["mon", "tue", "wed"]), unique=True))),
            )
        )
    ids = [p.employee_id for p in people]
    for person in people:
        person.do_not_pair = tuple(draw(st.lists(st.sampled_from(ids), max_size=2)))
        person.previous_partners = tuple(draw(st.lists(st.sampled_from(ids), max_size=1)))
    return people


def policy_for(kind: str, **rules):
    policy = default_policy(kind)
    # Wide level ranges so that small random organisations have people on both sides.
    return replace(policy, left_levels=None, right_levels=None, influence_level=None, **rules)


def managers(people, employee_id):
    by_id = {p.employee_id: p for p in people}
    chain = set()
    while by_id[employee_id].manager_id:
        employee_id = by_id[employee_id].manager_id
        chain.add(employee_id)
    return chain


def exact_optimum(problem, result) -> tuple[int, float]:
    """Most pairs, then best total, over every allowed pair, by two integer programmes."""
    left_index = np.array([i for i in range(len(problem.left)) if problem.left.capacity[i] > 0], dtype=np.int64)
    right_ok = np.ones(len(problem.right), dtype=bool)
    if problem.policy.require_high_potential:
        right_ok &= problem.right.high_potential
    right_index = np.flatnonzero(right_ok).astype(np.int64)
    rules = PairRules(problem, left_index, right_index)
    scorer = Scorer(problem, left_index, right_index)
    rows, cols = np.meshgrid(np.arange(len(left_index)), np.arange(len(right_index)), indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    keep = rules.allowed(rows, cols)
    rows, cols = rows[keep], cols[keep]
    if len(rows) == 0:
        return 0, 0.0
    score = scorer.score_units(rows, cols) / scorer.unit
    n = len(rows)
    seats = [
        LinearConstraint(
            sps.csr_array((np.ones(n), (rows, np.arange(n))), shape=(len(left_index), n)),
            0,
            problem.left.capacity[left_index],
        ),
        LinearConstraint(sps.csr_array((np.ones(n), (cols, np.arange(n))), shape=(len(right_index), n)), 0, 1),
    ]
    options = {"integrality": np.ones(n), "bounds": Bounds(0, 1)}
    count = round(-milp(-np.ones(n), constraints=seats, **options).fun)
    best = milp(-score, constraints=[*seats, LinearConstraint(np.ones((1, n)), count, count)], **options)
    return count, float(-best.fun)


@pytest.mark.parametrize("kind", ["reverse-mentoring", "sponsorship"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_pair_breaks_a_hard_rule_or_a_seat_limit_and_the_total_is_the_optimum(kind, data):
    people = data.draw(organisations(kind))
    policy = policy_for(kind, fairness_tolerance=None)
    problem = build_problem(people, policy).problem
    result = match(problem)
    by_id = {p.employee_id: p for p in people}
    seats: dict[str, int] = {}
    seen = set()
    for pair in result.pairs:
        left, right = by_id[pair.left_id], by_id[pair.right_id]
        assert left.role == LEFT_ROLE[kind] and right.role == RIGHT_ROLE[kind]
        gap = (left.level - right.level) if kind == "sponsorship" else (right.level - left.level)
        assert gap >= policy.min_level_gap
        assert left.employee_id not in managers(people, right.employee_id)
        assert right.employee_id not in managers(people, left.employee_id)
        assert right.employee_id not in left.do_not_pair and left.employee_id not in right.do_not_pair
        assert right.employee_id not in left.previous_partners and left.employee_id not in right.previous_partners
        if kind == "sponsorship":
            assert right.high_potential
        assert (pair.left_id, pair.right_id) not in seen
        seen.add((pair.left_id, pair.right_id))
        seats[pair.left_id] = seats.get(pair.left_id, 0) + 1
        seats[pair.right_id] = seats.get(pair.right_id, 0) + 1
        assert pair.score == pytest.approx(sum(pair.breakdown.values()), abs=1e-5)
    for employee_id, used in seats.items():
        person = by_id[employee_id]
        limit = person.capacity if person.role == LEFT_ROLE[kind] else 1
        assert used <= limit
    assert (len(result.pairs), round(result.total, 6)) == (
        exact_optimum(problem, result)[0],
        pytest.approx(exact_optimum(problem, result)[1], abs=1e-6),
    )
    assert result.stats.certified
    everyone = {p.employee_id for p in people if p.role}
    explained = {u.id for u in result.unmatched}
    assert everyone == {p.left_id for p in result.pairs} | {p.right_id for p in result.pairs} | explained


def person(employee_id, level, role=None, manager=None, **fields):
    return PersonRecord(employee_id=employee_id, level=level, role=role, manager_id=manager, **fields)


def reverse_mentoring_cast():
    """A chief executive and two seniors with juniors below them, plus one junior elsewhere."""
    return [
        person("ceo", 10, "mentee"),
        person("vp-eng", 8, "mentee", "ceo", department="Eng", learn={"AI": 0}),
        person("vp-ops", 8, "mentee", "ceo", department="Ops", learn={"Video": 1}),
        person("dev", 2, "mentor", "vp-eng", department="Eng", teach={"AI": 4}),
        person("ops", 2, "mentor", "vp-ops", department="Ops", teach={"Video": 4}),
    ]


def test_nobody_is_paired_in_their_own_reporting_line_and_the_reasons_say_so():
    result = match(build_problem(reverse_mentoring_cast(), default_policy("reverse-mentoring")).problem)
    assert {(p.left_id, p.right_id) for p in result.pairs} == {("dev", "vp-ops"), ("ops", "vp-eng")}
    (ceo,) = result.unmatched
    assert (ceo.id, ceo.reason) == ("ceo", Reason.SAME_CHAIN)
    assert ceo.text == "no eligible mentor: every candidate is in the same reporting chain"


def test_each_pair_explains_its_score_component_by_component():
    cast = reverse_mentoring_cast()
    cast[2] = person("vp-ops", 8, "mentee", "ceo", department="Ops", learn={"AI": 0})
    result = match(build_problem(cast, default_policy("reverse-mentoring")).problem)
    pair = next(p for p in result.pairs if p.left_id == "dev")
    # dev teaches AI at proficiency 4 (strength 1.0), the whole of vp-ops's wish: skills = 4.0 x 1.
    assert pair.breakdown["skills"] == pytest.approx(4.0)
    assert pair.breakdown["cross_department"] == pytest.approx(1.0)
    assert pair.breakdown["cross_location"] == 0.0  # locations unknown
    assert pair.score == pytest.approx(sum(pair.breakdown.values()))


def test_do_not_pair_and_ineligibility_are_reported_as_the_reason():
    cast = [
        person("boss", 9, "mentee", do_not_pair=("kid",)),
        person("kid", 1, "mentor"),
        person("mid", 5, "mentor"),
    ]
    result = match(build_problem(cast, default_policy("reverse-mentoring")).problem)
    reasons = {u.id: (u.reason, u.text) for u in result.unmatched}
    assert reasons["boss"][0] == Reason.DO_NOT_PAIR
    assert reasons["kid"][0] == Reason.DO_NOT_PAIR
    assert reasons["mid"] == (Reason.INELIGIBLE, "not eligible: level 5 is outside the mentor range 1-3")


def test_level_gap_rule_and_capacity_reasons():
    cast = [
        person("senior", 6, "mentee"),
        person("a", 3, "mentor", teach={"AI": 4}),
        person("b", 3, "mentor"),
        person("near", 6, "mentee"),
    ]
    policy = replace(default_policy("reverse-mentoring"), min_level_gap=3)
    result = match(build_problem(cast, policy).problem)
    assert len(result.pairs) == 2
    cast.append(person("c", 3, "mentor"))
    result = match(build_problem(cast, policy).problem)
    (alone,) = result.unmatched
    assert alone.reason == Reason.CAPACITY and "capacity exhausted" in alone.text
    strict = replace(policy, min_level_gap=4)
    result = match(build_problem(cast, strict).problem)
    assert {u.reason for u in result.unmatched} == {Reason.LEVEL_GAP}


def test_locked_pairs_stay_and_one_that_breaks_a_rule_is_refused():
    cast = reverse_mentoring_cast()
    cast[3].locked_partners = ("vp-eng",)  # dev's own manager
    with pytest.raises(MatchInputError, match="same reporting chain"):
        match(build_problem(cast, default_policy("reverse-mentoring")).problem)
    cast = reverse_mentoring_cast()
    cast[3].locked_partners = ("ceo",)
    with pytest.raises(MatchInputError, match="same reporting chain"):
        match(build_problem(cast, default_policy("reverse-mentoring")).problem)


def test_rematch_keeps_existing_pairs_and_matches_only_who_is_left():
    rng = np.random.default_rng(8)
    cast = [person("chief", 10)]
    for i in range(12):
        cast.append(
            person(f"s{i}", 7, "mentee", "chief", department=rng.choice(["Eng", "Ops"]), learn={"AI": 0, "SQL": 1})
        )
        cast.append(person(f"j{i}", 2, "mentor", "chief", teach={rng.choice(["AI", "SQL"]): int(rng.integers(1, 5))}))
    policy = default_policy("reverse-mentoring")
    first = match(build_problem(cast, policy).problem)
    assert len(first.pairs) == 12
    keep = [(p.left_id, p.right_id) for p in first.pairs[:8]]
    # One kept mentee leaves; the rest stay; a new mentor joins.
    leaving = keep[0][1]
    cast = [p for p in cast if p.employee_id != leaving] + [person("new", 1, "mentor", "chief", teach={"AI": 4})]
    second = rematch(build_problem(cast, policy).problem, keep)
    kept_now = {(p.left_id, p.right_id) for p in second.pairs if p.locked}
    assert kept_now == set(keep[1:])
    assert second.dropped == (keep[0],)
    assert len(second.pairs) == 11


def sponsorship_cast(women: int, men: int, sponsors: int, seats: int):
    cast = [person("chief", 10)]
    for i in range(sponsors):
        cast.append(person(f"sp{i}", 8, "sponsor", "chief", capacity=seats, department="Eng"))
    for i in range(women):
        cast.append(person(f"w{i}", 4, "protege", "chief", group="Woman", high_potential=True, aspiration="Ops"))
    for i in range(men):
        # Men aspire to the sponsors' domain, so without a target the seats would all go to men.
        cast.append(person(f"m{i}", 4, "protege", "chief", group="Man", high_potential=True, aspiration="Eng"))
    return cast


def test_fairness_minimums_are_met_when_feasible_and_nobody_is_singled_out_for_them():
    policy = replace(default_policy("sponsorship"), fairness_tolerance=0.05)
    result = match(build_problem(sponsorship_cast(women=10, men=10, sponsors=2, seats=5), policy).problem)
    report = result.fairness
    assert report is not None and report.feasible
    women = next(g for g in report.groups if g.group == "Woman")
    # Half the eligible are women: at least floor((0.5 - 0.05) x 10) = 4 of the 10 seats, and
    # since men score higher, exactly the minimum.
    assert (women.minimum, women.matched) == (4, 4)
    assert sum(p.right_id.startswith("w") for p in result.pairs) == 4
    # Those who made way for the minimums are told what anyone without a seat is told: one reason
    # and one text for every unmatched protégé, nothing that says which group they are not in.
    unmatched = [u for u in result.unmatched if u.side == "right"]
    assert unmatched and {(u.reason, u.text) for u in unmatched} == {(Reason.CAPACITY, unmatched[0].text)}
    assert not any("fairness" in u.text.lower() for u in result.unmatched)


def test_without_the_target_the_same_pool_sponsors_men_only():
    policy = replace(default_policy("sponsorship"), fairness_tolerance=None)
    result = match(build_problem(sponsorship_cast(women=10, men=10, sponsors=2, seats=5), policy).problem)
    assert result.fairness is None
    assert all(p.right_id.startswith("m") for p in result.pairs)


def test_infeasible_minimums_are_reported_not_hidden():
    cast = sponsorship_cast(women=6, men=4, sponsors=1, seats=5)
    # Every woman is in the only sponsor's own organisation: none can be sponsored by them.
    cast = [replace(p, manager_id="sp0") if p.employee_id.startswith("w") else p for p in cast]
    policy = replace(default_policy("sponsorship"), fairness_tolerance=0.0)
    result = match(build_problem(cast, policy).problem)
    assert result.fairness is not None and not result.fairness.feasible
    assert "Woman has 0 of the" in result.fairness.message
    assert len(result.pairs) == 4


def test_fairness_total_is_the_best_among_fair_matchings():
    rng = np.random.default_rng(9)
    cast = [person("chief", 10)]
    for i in range(4):
        cast.append(person(f"sp{i}", 8, "sponsor", "chief", capacity=2, department=rng.choice(["Eng", "Ops"])))
    for i in range(14):
        cast.append(
            person(
                f"p{i}",
                4,
                "protege",
                "chief",
                group=rng.choice(["A", "B", "C"]),
                high_potential=True,
                aspiration=rng.choice(["Eng", "Ops"]),
                teach={},
                learn={"AI": int(rng.integers(0, 4))},
            )
        )
    policy = replace(default_policy("sponsorship"), fairness_tolerance=0.0)
    problem = build_problem(cast, policy).problem
    result = match(problem)
    assert result.fairness is not None and result.fairness.feasible
    # Exact reference: the same minimums as constraints of an integer programme.
    left_index = np.arange(len(problem.left))
    right_index = np.arange(len(problem.right))
    scorer = Scorer(problem, left_index, right_index)
    rows, cols = np.meshgrid(left_index, right_index, indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    score = scorer.score_units(rows, cols) / scorer.unit
    n = len(rows)
    group = problem.right.group[cols]
    constraints = [
        LinearConstraint(sps.csr_array((np.ones(n), (rows, np.arange(n)))), 0, problem.left.capacity),
        LinearConstraint(sps.csr_array((np.ones(n), (cols, np.arange(n)))), 0, 1),
        LinearConstraint(np.ones((1, n)), len(result.pairs), len(result.pairs)),
    ]
    for outcome in result.fairness.groups:
        code = problem.groups.index(outcome.group)
        constraints.append(LinearConstraint((group == code).astype(float)[None, :], outcome.minimum, np.inf))
    best = milp(-score, constraints=constraints, integrality=np.ones(n), bounds=Bounds(0, 1))
    assert result.total == pytest.approx(-best.fun, abs=1e-6)


def demo_problem(kind: str, people: int, seed: int, **policy_changes):
    """A programme drawn from the demo organisation: juniors and seniors, or sponsors and talent."""
    from twofold.people.demo import generate_organisation

    records = []
    for p in generate_organisation(people, seed=seed).people:
        if kind == "reverse-mentoring":
            role = "mentor" if p.level <= 3 else "mentee" if p.level >= 6 else None
        else:
            role = "sponsor" if p.level >= 7 else "protege" if p.high_potential else None
        record = PersonRecord(
            employee_id=p.employee_id, level=p.level, manager_id=p.manager_id, role=role if p.active else None
        )
        record.department, record.location = p.department, p.location
        record.teach = {s.name: s.proficiency for s in p.skills if s.can_teach}
        record.learn = {s.name: s.proficiency for s in p.skills if s.wants_to_learn}
        record.high_potential, record.group = p.high_potential, str((p.attributes or {}).get("gender", ""))
        record.aspiration = p.department if p.employee_id[-1] in "02468" else "Engineering"
        records.append(record)
    return build_problem(records, replace(default_policy(kind), **policy_changes)).problem


def full_graph_optimum(problem) -> tuple[int, float]:
    """Every allowed pair of eligible people given to the exact solver at once (no candidate search)."""
    from twofold.matching import assign
    from twofold.matching.rules import eligibility

    left_ok, _ = eligibility(problem.left, problem.policy, left=True)
    right_ok, _ = eligibility(problem.right, problem.policy, left=False)
    left_index, right_index = np.flatnonzero(left_ok), np.flatnonzero(right_ok)
    scorer = Scorer(problem, left_index, right_index)
    rules = PairRules(problem, left_index, right_index)
    scores = scorer.x @ scorer.y.T
    scores[~rules.allowed_block(np.arange(len(left_index)), np.arange(len(right_index)))] = np.nan
    exact = assign(scores, left_capacity=problem.left.capacity[left_index], candidates=0)
    assert exact.stats.method == "graph"
    return len(exact.pairs), exact.total / scorer.unit


@pytest.mark.parametrize("kind", ["reverse-mentoring", "sponsorship"])
def test_on_a_demo_organisation_the_search_proves_the_optimum_of_the_full_graph(kind):
    problem = demo_problem(kind, 6000, seed=11, optimality_tolerance=0.0, fairness_tolerance=None)
    result = match(problem)
    assert result.stats.certified and result.stats.gap_bound == 0
    count, total = full_graph_optimum(problem)
    assert len(result.pairs) == count
    assert result.total == pytest.approx(total, rel=1e-12)


def test_a_tolerance_stops_early_but_never_beyond_what_it_proves():
    problem = demo_problem("reverse-mentoring", 6000, seed=12, optimality_tolerance=0.01)
    result = match(problem)
    _, optimum = full_graph_optimum(problem)
    assert result.stats.gap_bound <= 0.01
    assert optimum - result.total <= result.stats.bound + 1e-9


def test_equal_input_gives_equal_pairs():
    first = match(demo_problem("sponsorship", 3000, seed=13))
    second = match(demo_problem("sponsorship", 3000, seed=13))
    assert [(p.left_id, p.right_id) for p in first.pairs] == [(p.left_id, p.right_id) for p in second.pairs]


def test_with_seat_count_switched_off_a_pair_worth_nothing_is_not_made():
    from twofold.matching import Weights

    cast = [
        person("boss", 8, "mentee", learn={"AI": 0}),
        person("other", 8, "mentee", learn={"SQL": 0}),
        person("ai", 2, "mentor", teach={"AI": 4}),
        person("video", 2, "mentor", teach={"Video": 4}),
    ]
    only_skills = replace(default_policy("reverse-mentoring"), weights=Weights(skills=1.0))
    assert len(match(build_problem(cast, only_skills).problem).pairs) == 2
    result = match(build_problem(cast, replace(only_skills, maximize_matched=False)).problem)
    assert [(p.left_id, p.right_id) for p in result.pairs] == [("ai", "boss")]
    assert {(u.id, u.reason) for u in result.unmatched} == {
        ("other", Reason.NOT_WORTH_IT),
        ("video", Reason.NOT_WORTH_IT),
    }
