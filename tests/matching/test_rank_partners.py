"""One person's allowed partners, best first (participant choice): the same rules and the same scores
as a whole match run."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.matching.test_engine import RIGHT_ROLE, managers, organisations, person, policy_for, reverse_mentoring_cast
from twofold.matching import MatchInputError, build_problem, default_policy, match, rank_partners


def test_the_reporting_line_keeps_partners_out_and_the_best_comes_first():
    cast = [*reverse_mentoring_cast(), person("design", 2, "mentor", "ceo", department="Design", teach={"AI": 2})]
    problem = build_problem(cast, default_policy("reverse-mentoring")).problem

    ranked = rank_partners(problem, "vp-eng")

    # dev reports to vp-eng; ops and design do not. design teaches AI, which vp-eng wants to learn.
    assert [pair.left_id for pair in ranked] == ["design", "ops"]
    assert ranked[0].score > ranked[1].score
    assert ranked[0].breakdown["skills"] > 0
    assert rank_partners(problem, "ceo") == ()  # everyone is in the chief executive's line
    assert [pair.left_id for pair in rank_partners(problem, "vp-eng", limit=1)] == ["design"]


def test_someone_not_on_the_receiving_side_is_refused():
    problem = build_problem(reverse_mentoring_cast(), default_policy("reverse-mentoring")).problem
    with pytest.raises(MatchInputError):
        rank_partners(problem, "dev")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["reverse-mentoring", "sponsorship"]))
def test_the_ranking_holds_the_hard_rules_and_scores_pairs_as_a_match_run_does(data, kind):
    people = data.draw(organisations(kind))
    policy = policy_for(kind)
    problem = build_problem(people, policy).problem
    result = match(problem)
    by_id = {p.employee_id: p for p in people}
    for right in (p for p in people if p.role == RIGHT_ROLE[kind]):
        ranked = rank_partners(problem, right.employee_id)
        scores = [pair.score for pair in ranked]
        assert scores == sorted(scores, reverse=True)
        for pair in ranked:
            left = by_id[pair.left_id]
            assert (left.capacity or 0) > 0
            assert left.employee_id not in managers(people, right.employee_id)
            assert right.employee_id not in managers(people, left.employee_id)
            assert left.employee_id not in right.do_not_pair and right.employee_id not in left.do_not_pair
            assert left.employee_id not in right.previous_partners and right.employee_id not in left.previous_partners
            assert pair.score == pytest.approx(sum(pair.breakdown.values()))
        # Every pair a match run makes is among the ranked, with the same score and breakdown.
        listed = {pair.left_id: pair for pair in ranked}
        for made in (p for p in result.pairs if p.right_id == right.employee_id):
            assert made.left_id in listed
            assert listed[made.left_id].score == pytest.approx(made.score)
            assert listed[made.left_id].breakdown == made.breakdown
