"""One copy of each pairing rule (issue 8, "The structure that keeps them closed").

The engine applies the rules to a whole pool at once, from the arrays ``programme_pool`` and
``programme_policy`` translate; the services check one pair at a time with ``pair_refusal``. On
random organisations the two must agree on every candidate pair, and on who may be paired at all.
Both call the same pure predicates where they can (:mod:`twofold.programmes.eligibility`,
:mod:`twofold.relationships.pairing`); these tests guard what each path reads and what the engine
checks in bulk (the level gap, the reporting chain, the pair lists).

The examples are derandomised (the same on every machine and run) and small, to stay fast.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import OPERATOR
from tests.matchruns.organisations import (
    MENTEE,
    MENTOR,
    EnrolmentSpec,
    Fact,
    Organisation,
    OrganisationSpec,
    PersonSpec,
    add_fact,
    build,
    facts,
    organisations,
)
from tests.matchruns.test_board import managed
from twofold.matching import build_problem, match
from twofold.matching.rules import PairRules, eligibility
from twofold.matchruns.matching_input import programme_pool
from twofold.matchruns.models import Unmatched
from twofold.matchruns.review import match_run_rerun
from twofold.matchruns.services import match_run_start
from twofold.people.models import Person
from twofold.programmes.enrolment_services import enrolment_create
from twofold.programmes.matching_policy import programme_policy
from twofold.programmes.models import Enrolment, EnrolmentStatus, ProgrammeState
from twofold.programmes.services import programme_create, programme_transition
from twofold.relationships.services import pair_refusal, participant_refusal

# Derandomised and without the example database: the same examples on every machine and every run.
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def engine_view(organisation: Organisation) -> tuple[set[int], set[int], set[tuple[int, int]]]:
    """What the engine would work with: eligible mentors and mentees, and the allowed pairs, as
    enrolment ids. The same steps as the start of :func:`twofold.matching.match`."""
    programme = organisation.programme
    pool = programme_pool(programme)
    policy = programme_policy(programme)
    problem = build_problem(pool.records, policy).problem
    left_ok, _ = eligibility(problem.left, policy, left=True)
    right_ok, _ = eligibility(problem.right, policy, left=False)
    rules = PairRules(problem, np.arange(len(problem.left)), np.arange(len(problem.right)))
    allowed = rules.allowed_block(np.arange(len(problem.left)), np.arange(len(problem.right)))
    left = [pool.enrolments[str(employee_id)].pk for employee_id in problem.left.ids]
    right = [pool.enrolments[str(employee_id)].pk for employee_id in problem.right.ids]
    mentors = {left[i] for i in np.flatnonzero(left_ok)}
    mentees = {right[j] for j in np.flatnonzero(right_ok)}
    pairs = {
        (left[i], right[j])
        for i, j in zip(*np.nonzero(allowed), strict=True)
        if left[i] in mentors and right[j] in mentees
    }
    # What match itself proposes stays within what this view allows.
    proposed = {(pool.enrolments[p.left_id].pk, pool.enrolments[p.right_id].pk) for p in match(problem).pairs}
    assert proposed <= pairs
    return mentors, mentees, pairs


def describe(organisation: Organisation, mentor: Enrolment, mentee: Enrolment) -> str:
    people = {p.pk: p for p in organisation.people}
    sides = [
        (
            e.person.employee_id,
            e.role,
            e.status,
            f"level {e.person.level}",
            f"active {e.person.active}",
            f"hp {e.person.high_potential}",
            f"nominated {e.nominated_by_id is not None}",
            f"seats {e.seats_taken}/{e.capacity}",
            f"manager {people[e.person.manager_id].employee_id if e.person.manager_id else None}",
        )
        for e in (mentor, mentee)
    ]
    programme = organisation.programme
    programme_settings = {
        name: getattr(programme, name)
        for name in (
            "kind",
            "mentor_min_level",
            "mentor_max_level",
            "mentee_min_level",
            "mentee_max_level",
            "min_level_gap",
            "max_level_gap",
            "requires_high_potential",
            "allow_repeat_pairs",
        )
    }
    return f"{sides} in {programme_settings}"


def assert_agree(organisation: Organisation) -> set[tuple[int, int]]:
    """Everyone enrolled: the engine counts them eligible exactly when participant_refusal has nothing
    against them. Every candidate pair: the engine allows it exactly when pair_refusal has nothing
    against it. Returns the allowed pairs (as enrolment ids)."""
    programme = organisation.programme
    mentors, mentees, allowed = engine_view(organisation)
    enrolled = list(organisation.enrolments.values())
    for enrolment in enrolled:
        refusal = participant_refusal(programme=programme, enrolment=enrolment)
        engine_takes = enrolment.pk in (mentors | mentees)
        assert engine_takes == (refusal is None), (
            f"engine {'takes' if engine_takes else 'leaves out'} {enrolment.person.employee_id} "
            f"({enrolment.role}), participant_refusal says {refusal!r}"
        )
    for mentor in (e for e in enrolled if e.role == MENTOR):
        for mentee in (e for e in enrolled if e.role == MENTEE):
            refusal = pair_refusal(programme=programme, mentor_enrolment=mentor, mentee_enrolment=mentee)
            engine_allows = (mentor.pk, mentee.pk) in allowed
            assert engine_allows == (refusal is None), (
                f"engine {'allows' if engine_allows else 'refuses'}, pair_refusal says {refusal!r}: "
                + describe(organisation, mentor, mentee)
            )
    return allowed


@PROPERTY
@given(spec=organisations(), data=st.data())
def test_the_engine_and_pair_refusal_allow_exactly_the_same_pairs(
    db, spec: OrganisationSpec, data: st.DataObject
) -> None:
    with transaction.atomic():
        organisation = build(spec)
        allowed = assert_agree(organisation)
        # Then one more wish or earlier pair about a pair both allow: each rule of the pair lists is
        # met on a pair nothing else keeps apart, which random histories alone reach too rarely.
        if allowed:
            by_id = {e.pk: e for e in organisation.enrolments.values()}
            mentor, mentee = data.draw(st.sampled_from(sorted(allowed)), label="pair")
            if add_fact(organisation, by_id[mentor], by_id[mentee], data.draw(facts, label="fact")):
                assert_agree(organisation)
        transaction.set_rollback(True)


@settings(PROPERTY, max_examples=50)
@given(
    sponsorship=st.booleans(),
    allow_repeat_pairs=st.booleans(),
    wishes_and_pairs=st.lists(facts, min_size=1, max_size=4),
)
def test_every_wish_and_earlier_pair_keeps_two_people_apart_in_both_paths_alike(
    db, sponsorship: bool, allow_repeat_pairs: bool, wishes_and_pairs: list[Fact]
) -> None:
    # One mentor and one mentee whom nothing keeps apart, then wishes and earlier pairs of the two.
    junior, senior = PersonSpec(2, None, "Eng", "London", True, True), PersonSpec(8, None, "Ops", "Nairobi", True, True)
    giver, receiver = (senior, junior) if sponsorship else (junior, senior)
    spec = OrganisationSpec(
        people=[giver, receiver],
        sponsorship=sponsorship,
        settings={"state": ProgrammeState.MATCHING, "min_level_gap": 2, "allow_repeat_pairs": allow_repeat_pairs},
        enrolments={
            0: EnrolmentSpec(MENTOR, EnrolmentStatus.ACTIVE, capacity=2, nominated=False),
            1: EnrolmentSpec(MENTEE, EnrolmentStatus.ACTIVE, capacity=1, nominated=False),
        },
    )
    with transaction.atomic():
        organisation = build(spec)
        assert assert_agree(organisation), "the two start with nothing between them"
        mentor, mentee = organisation.enrolments[0], organisation.enrolments[1]
        for fact in wishes_and_pairs:
            add_fact(organisation, mentor, mentee, fact)
            assert_agree(organisation)
        transaction.set_rollback(True)


# --- the disagreements the property test found, each as an example ------------------------------


def test_someone_who_left_is_neither_matched_by_the_engine_nor_proposed_by_hand(cast) -> None:
    # The engine used to take everyone enrolled; pair_refusal refused leavers.
    programme = managed(cast)
    Person.objects.filter(pk=cast.ana.pk).update(active=False)
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert not run.proposals.filter(mentor__person=cast.ana).exists()
    left = Unmatched.objects.get(run=run, enrolment__person=cast.ana)
    assert (left.reason_code, left.reason) == ("ineligible", "Ana Junior is no longer active in the directory.")
    ana = Enrolment.objects.get(programme=programme, person=cast.ana)
    assert participant_refusal(programme=programme, enrolment=ana).code == "inactive"


def test_a_protege_no_longer_flagged_high_potential_is_paired_by_neither(cast) -> None:
    # Both paths used to trust the flag as it was at enrolment; now both read it as it is.
    programme = programme_create(actor=OPERATOR, name="Rising leaders", kind="sponsorship")
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    enrolment_create(actor=OPERATOR, programme=programme, person=cast.vp_sales, role=MENTOR)
    enrolment_create(actor=OPERATOR, programme=programme, person=cast.ana, role=MENTEE)  # flagged high potential
    programme = programme_transition(actor=OPERATOR, programme=programme, to_state="matching")
    Person.objects.filter(pk=cast.ana.pk).update(high_potential=False)
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert not run.proposals.exists()
    unmatched = Unmatched.objects.get(run=run, enrolment__person=cast.ana)
    assert unmatched.reason == "A protégé in this programme must be flagged high potential (or be nominated)."
    sponsor, protege = (Enrolment.objects.get(programme=programme, person=p) for p in (cast.vp_sales, cast.ana))
    assert pair_refusal(programme=programme, mentor_enrolment=sponsor, mentee_enrolment=protege).code == "not_eligible"
    # A nomination by a senior leader stands in for the flag, in both paths.
    Enrolment.objects.filter(pk=protege.pk).update(nominated_by=cast.vp_tech)
    protege.refresh_from_db()
    assert pair_refusal(programme=programme, mentor_enrolment=sponsor, mentee_enrolment=protege) is None
    assert match_run_rerun(actor=OPERATOR, run=run).proposals.filter(mentee=protege).exists()


def test_a_mentor_promoted_out_of_the_mentor_levels_is_not_proposed_by_hand_either(cast) -> None:
    # The engine left them out as ineligible; a swap or a proposal by hand still went through.
    programme = managed(cast)
    Person.objects.filter(pk=cast.ana.pk).update(level=4)  # mentors are at level 3 or below
    ana, vera = (Enrolment.objects.get(programme=programme, person=p) for p in (cast.ana, cast.vp_sales))
    refusal = pair_refusal(programme=programme, mentor_enrolment=ana, mentee_enrolment=vera)
    assert (refusal.code, refusal.message) == (
        "not_eligible",
        "A mentor must be at level 3 or below (Ana Junior is at 4).",
    )
    assert (
        Unmatched.objects.get(run=match_run_start(actor=OPERATOR, programme=programme), enrolment=ana).reason_code
        == "ineligible"
    )
