"""Hole 11, the engine's side: a pair proposed in one programme is excluded, like a pair that met
before, from the match runs of another programme of the kind that does not repeat pairs."""

from __future__ import annotations

from tests.conftest import Cast
from tests.factories import OPERATOR, ProgrammeFactory
from tests.relationships.pairing import MENTEE, MENTOR, enrol, propose
from twofold.matchruns.models import MatchRunStatus, Unmatched
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.services import match_run_start
from twofold.programmes.models import Programme, ProgrammeState
from twofold.relationships.models import Relationship


def no_repeats(name: str) -> Programme:
    return ProgrammeFactory(name=name, state=ProgrammeState.MATCHING, allow_repeat_pairs=False)


def test_hole_11_the_engine_does_not_propose_a_pair_already_proposed_elsewhere(cast: Cast) -> None:
    first, second = no_repeats("Digital fluency"), no_repeats("Future of work")
    propose(first, cast.ana, cast.vp_sales)
    # In the second programme Ana could mentor only Vera: Victor is in her reporting line.
    enrol(second, cast.ana, MENTOR)
    enrol(second, cast.vp_sales, MENTEE)

    run = match_run_start(actor=OPERATOR, programme=second)

    assert run.status == MatchRunStatus.READY
    assert not run.proposals.exists()
    reasons = dict(Unmatched.objects.filter(run=run).values_list("enrolment__person__employee_id", "reason_code"))
    assert reasons == {"J1": "previously_paired", "V2": "previously_paired"}
    result = match_run_publish(actor=OPERATOR, run=run)
    assert result.proposed == 0
    assert not Relationship.objects.filter(programme=second).exists()
