"""Hole 11: the same two people active twice in two programmes that both forbid repeat pairs.

"Paired before" must count an open proposal, in both places the rule is applied: the one-pair check
of ``relationship_propose`` (here) and the engine's bulk exclusions (tests/matchruns/test_repeat_pairs.py).
"""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from tests.factories import OPERATOR, ProgrammeFactory, acting
from tests.relationships.pairing import MENTEE, MENTOR, NOW, enrol, propose
from twofold.programmes.models import Enrolment, Programme, ProgrammeState
from twofold.relationships.models import Relationship, RelationshipState
from twofold.relationships.services import RelationshipRuleBroken, relationship_answer, relationship_propose


def no_repeats(name: str) -> Programme:
    return ProgrammeFactory(name=name, state=ProgrammeState.MATCHING, allow_repeat_pairs=False)


def test_hole_11_an_open_proposal_elsewhere_stops_the_same_pair_being_proposed_again(cast: Cast) -> None:
    first, second = no_repeats("Digital fluency"), no_repeats("Future of work")
    propose(first, cast.ana, cast.vp_sales)
    mentor, mentee = enrol(second, cast.ana, MENTOR), enrol(second, cast.vp_sales, MENTEE)

    with pytest.raises(RelationshipRuleBroken) as caught:
        relationship_propose(
            actor=OPERATOR, programme=second, mentor_enrolment=mentor, mentee_enrolment=mentee, now=NOW
        )

    assert caught.value.code == "paired_before"
    assert "proposed to each other in Digital fluency" in caught.value.message
    assert not Relationship.objects.filter(programme=second).exists()
    assert Enrolment.objects.get(pk=mentor.pk).seats_taken == 0


def test_hole_11_the_pair_can_never_be_active_twice(cast: Cast) -> None:
    """The review's sequence: propose in both, both accept in both. The second proposal is refused,
    so the only relationship of the two that can become active is the first."""
    first, second = no_repeats("Digital fluency"), no_repeats("Future of work")
    relationship = propose(first, cast.ana, cast.vp_sales)
    with pytest.raises(RelationshipRuleBroken):
        propose(second, cast.ana, cast.vp_sales)
    for person in (cast.ana, cast.vp_sales):
        relationship_answer(relationship=relationship, actor=acting(person), accept=True, now=NOW)
    pairs = Relationship.objects.filter(mentor=cast.ana, mentee=cast.vp_sales)
    assert list(pairs.values_list("programme__name", "state")) == [("Digital fluency", RelationshipState.ACTIVE)]


def test_a_proposal_declined_elsewhere_is_no_previous_pairing(cast: Cast) -> None:
    first, second = no_repeats("Digital fluency"), no_repeats("Future of work")
    relationship = propose(first, cast.ana, cast.vp_sales)
    relationship_answer(relationship=relationship, actor=acting(cast.vp_sales), accept=False, now=NOW)
    assert propose(second, cast.ana, cast.vp_sales).state == RelationshipState.PROPOSED


def test_a_programme_that_allows_repeats_may_propose_a_pair_open_elsewhere(cast: Cast) -> None:
    propose(no_repeats("Digital fluency"), cast.ana, cast.vp_sales)
    repeats = ProgrammeFactory(state=ProgrammeState.MATCHING, allow_repeat_pairs=True)
    assert propose(repeats, cast.ana, cast.vp_sales).state == RelationshipState.PROPOSED
