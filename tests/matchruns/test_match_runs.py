"""Match runs: the engine's proposals with explanations, review (lock, remove, swap), re-run, publish."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from tests.factories import OPERATOR, ProgrammeFactory, acting
from twofold.matchruns.models import MatchRun, Proposal, Unmatched
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.review import match_run_rerun, proposal_lock, proposal_remove, proposal_swap
from twofold.matchruns.services import match_run_start
from twofold.people.models import Person
from twofold.programmes.enrolment_services import enrolment_create
from twofold.programmes.models import Enrolment
from twofold.programmes.services import ProgrammeRuleBroken, programme_create, programme_transition
from twofold.relationships.models import Relationship


def matching_programme(cast, mentors=("ana", "ben"), mentees=("vp_tech", "vp_sales"), **settings):  # type: ignore[no-untyped-def]
    programme = programme_create(actor=OPERATOR, name="Digital fluency", kind="reverse_mentoring", **settings)
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    for name in mentors:
        enrolment_create(actor=OPERATOR, programme=programme, person=getattr(cast, name), role="mentor")
    for name in mentees:
        enrolment_create(actor=OPERATOR, programme=programme, person=getattr(cast, name), role="mentee")
    return programme_transition(actor=OPERATOR, programme=programme, to_state="matching")


def pairs_of(run: MatchRun) -> set[tuple[str, str]]:
    return set(run.proposals.values_list("mentor__person__employee_id", "mentee__person__employee_id"))


def test_run_never_pairs_inside_a_reporting_line(cast) -> None:
    run = match_run_start(actor=OPERATOR, programme=matching_programme(cast))
    assert run.status == "ready" and run.progress == 100
    # Ana reports (through Lena) to Victor, Ben to Vera: the only allowed pairs cross over.
    assert pairs_of(run) == {("J1", "V2"), ("J2", "V1")}
    proposal = run.proposals.first()
    assert proposal.breakdown and abs(sum(proposal.breakdown.values()) - proposal.score) < 1e-6
    assert run.statistics["certified_optimal"] is True and run.statistics["pairs"] == 2


def test_the_unmatched_are_explained(cast) -> None:
    run = match_run_start(actor=OPERATOR, programme=matching_programme(cast, mentors=("ana",), mentees=("vp_tech",)))
    assert not run.proposals.exists()
    reasons = {u.enrolment.person.employee_id: (u.reason_code, u.reason) for u in Unmatched.objects.filter(run=run)}
    assert reasons["J1"][0] == "same_chain" and "reporting" in reasons["J1"][1]
    assert reasons["V1"][0] == "same_chain"


def test_only_one_run_at_a_time_and_only_while_matching(cast) -> None:
    programme = programme_create(actor=OPERATOR, name="Early", kind="reverse_mentoring")
    with pytest.raises(ProgrammeRuleBroken) as refused:
        match_run_start(actor=OPERATOR, programme=programme)
    assert refused.value.code == "not_matching" and not MatchRun.objects.filter(programme=programme).exists()
    programme = matching_programme(cast)
    under_way = MatchRun.objects.create(programme=programme, status="running")
    with pytest.raises(ProgrammeRuleBroken) as refused:
        match_run_start(actor=OPERATOR, programme=programme)
    assert refused.value.code == "run_in_progress"
    assert list(MatchRun.objects.filter(programme=programme).values_list("pk", flat=True)) == [under_way.pk]


def test_swap_rechecks_every_rule_and_rescores(cast) -> None:
    run = match_run_start(actor=OPERATOR, programme=matching_programme(cast))
    first, second = run.proposals.order_by("pk")
    with pytest.raises(ProgrammeRuleBroken) as caught:
        proposal_swap(actor=OPERATOR, first=first, second=second)
    assert caught.value.code == "swap_breaks_rule"
    assert pairs_of(run) == {("J1", "V2"), ("J2", "V1")}


def test_valid_swap_lock_and_remove(cast, settings) -> None:
    from tests.factories import PersonFactory
    from twofold.people.services import people_tree_rebuild

    # Two mentees outside both juniors' lines make a swap possible.
    PersonFactory(employee_id="X1", name="Xena Outside", level=8, department="Finance", manager=cast.ceo)
    PersonFactory(employee_id="X2", name="Yuri Outside", level=7, department="Legal", manager=cast.ceo)
    people_tree_rebuild()
    cast.xena = Person.objects.get(employee_id="X1")
    cast.yuri = Person.objects.get(employee_id="X2")
    programme = matching_programme(cast, mentors=("ana", "ben"), mentees=("xena", "yuri"))
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert len(pairs_of(run)) == 2
    first, second = run.proposals.order_by("pk")
    new_first, _ = proposal_swap(actor=OPERATOR, first=first, second=second)
    assert (new_first.mentor_id, new_first.mentee_id) == (first.mentor_id, second.mentee_id)
    assert new_first.origin == "swap" and abs(sum(new_first.breakdown.values()) - new_first.score) < 1e-6
    proposal_lock(actor=OPERATOR, proposal=new_first)
    rerun = match_run_rerun(actor=OPERATOR, run=run)
    kept = rerun.proposals.get(locked=True)
    assert (kept.mentor_id, kept.mentee_id, kept.origin) == (new_first.mentor_id, new_first.mentee_id, "kept")
    run.refresh_from_db()
    assert run.status == "superseded"
    proposal_remove(actor=OPERATOR, proposal=rerun.proposals.get(locked=False))
    assert rerun.proposals.count() == 1
    assert Unmatched.objects.filter(run=rerun, reason_code="removed").count() == 2
    as_it_was = list(run.proposals.order_by("pk").values_list("pk", "locked"))
    with pytest.raises(ProgrammeRuleBroken) as refused:
        proposal_lock(actor=OPERATOR, proposal=first)
    assert refused.value.code == "run_not_ready"
    assert list(run.proposals.order_by("pk").values_list("pk", "locked")) == as_it_was


def test_publish_proposes_to_both_and_starts_the_programme(cast) -> None:
    programme = matching_programme(cast)
    run = match_run_start(actor=OPERATOR, programme=programme)
    result = match_run_publish(actor=OPERATOR, run=run)
    assert (result.proposed, result.skipped) == (2, [])
    programme.refresh_from_db()
    assert programme.state == "running"
    assert set(Relationship.objects.values_list("mentor__employee_id", "mentee__employee_id", "state")) == {
        ("J1", "V2", "proposed"),
        ("J2", "V1", "proposed"),
    }
    assert Relationship.objects.get(mentor=cast.ana).breakdown == run.proposals.get(mentor__person=cast.ana).breakdown
    # Each proposal records the relationship it became.
    for proposal in run.proposals.all():
        assert (proposal.relationship.mentor_enrolment_id, proposal.relationship.mentee_enrolment_id) == (
            proposal.mentor_id,
            proposal.mentee_id,
        )
    # Publishing again is harmless: the same result, nobody proposed twice.
    again = match_run_publish(actor=OPERATOR, run=run)
    assert (again.proposed, again.skipped) == (2, [])
    assert Relationship.objects.count() == 2


def test_a_decline_is_matched_again_in_a_partial_run(cast) -> None:
    from twofold.relationships.services import relationship_answer

    programme = matching_programme(cast, allow_repeat_pairs=True)
    match_run_publish(actor=OPERATOR, run=match_run_start(actor=OPERATOR, programme=programme))
    declined = Relationship.objects.get(mentor=cast.ana)
    relationship_answer(relationship=declined, actor=acting(cast.vp_sales), accept=False)
    again = match_run_start(actor=OPERATOR, programme=programme)
    # Ben and Victor keep their open proposal; Ana and Vera declined each other, so nobody is left to pair.
    assert again.statistics["eligible_mentees"] == 1 and not again.proposals.exists()
    assert {u.enrolment.person.employee_id for u in Unmatched.objects.filter(run=again)} == {"J1", "V2"}


def test_large_pools_run_in_the_background(cast, settings, django_capture_on_commit_callbacks) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    programme = matching_programme(cast)
    with django_capture_on_commit_callbacks(execute=True):
        run = match_run_start(actor=OPERATOR, programme=programme, background=True)
        assert run.status == "queued"
    run.refresh_from_db()
    assert run.status == "ready" and pairs_of(run) == {("J1", "V2"), ("J2", "V1")}


def test_sponsorship_with_a_fairness_target_on_a_generated_company(db) -> None:
    call_command("demo_org", people=600, seed=5, as_of=date(2026, 6, 1))
    programme = programme_create(actor=OPERATOR, name="Rising", kind="sponsorship", fairness_tolerance=0.05)
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    for person in Person.objects.filter(level__gte=7, active=True)[:12]:
        enrolment_create(actor=OPERATOR, programme=programme, person=person, role="mentor")
    for person in Person.objects.filter(high_potential=True, active=True, level__lte=5):
        enrolment_create(actor=OPERATOR, programme=programme, person=person, role="mentee")
    programme_transition(actor=OPERATOR, programme=programme, to_state="matching")
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert run.status == "ready" and run.proposals.exists()
    assert run.fairness["groups"] and all(group["met"] for group in run.fairness["groups"]) == run.fairness["feasible"]
    seats = {
        enrolment.pk: enrolment.capacity for enrolment in Enrolment.objects.filter(programme=programme, role="mentor")
    }
    used: dict[int, int] = {}
    for mentor_id in run.proposals.values_list("mentor_id", flat=True):
        used[mentor_id] = used.get(mentor_id, 0) + 1
    assert all(used[mentor] <= seats[mentor] for mentor in used)
    for proposal in run.proposals.select_related("mentor__person", "mentee__person"):
        assert not proposal.mentor.person.shares_reporting_chain(proposal.mentee.person)
        assert proposal.mentor.person.level - proposal.mentee.person.level >= programme.min_level_gap
    assert Proposal.objects.filter(run=run).count() + Unmatched.objects.filter(
        run=run, enrolment__role="mentee"
    ).count() == (Enrolment.objects.filter(programme=programme, role="mentee", status="active").count())


def test_runs_are_numbered_within_their_programme(db):
    """Run numbers count 1, 2, 3… in each programme, whatever the database ids of other programmes' runs."""
    first_programme, second_programme = ProgrammeFactory(), ProgrammeFactory()
    a1 = MatchRun.objects.create(programme=first_programme, status="failed")
    b1 = MatchRun.objects.create(programme=second_programme, status="failed")
    a2 = MatchRun.objects.create(programme=first_programme, status="failed")
    assert (a1.number, a2.number, b1.number) == (1, 2, 1)
    assert str(a2) == f"Match run 2 of programme {first_programme.pk}"
    with pytest.raises(IntegrityError):
        MatchRun.objects.create(programme=first_programme, number=2, status="failed")
