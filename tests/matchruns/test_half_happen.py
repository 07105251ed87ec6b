"""Match runs that cannot half-happen: the engine solves with no transaction open and no lock held,
a result whose pool changed meanwhile is not stored, and publishing survives a crash midway.

The moment "while the engine runs" is reached by wrapping the real engine (``services.match``):
the wrapper does what a concurrent request would do, then lets the engine solve as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from tests.factories import OPERATOR, PersonFactory, acting
from tests.matchruns.test_board import managed
from tests.matchruns.test_match_runs import matching_programme, pairs_of
from tests.people.test_views import signed_in
from twofold.matchruns import publishing, services
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal, Unmatched
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.review import match_run_rerun
from twofold.matchruns.services import MatchRunRuleBroken, match_run_start
from twofold.people.leavers import people_deactivate
from twofold.people.services import people_tree_rebuild
from twofold.programmes.enrolment_services import enrolment_create, enrolment_withdraw
from twofold.programmes.models import Enrolment, Programme
from twofold.relationships.models import Relationship
from twofold.relationships.services import relationship_propose


def while_solving(monkeypatch: pytest.MonkeyPatch, change: Callable[[], Any]) -> list[bool]:
    """Make ``change`` happen while the engine solves; returns, per solve, whether a transaction was open."""
    real_match = services.match
    in_transaction: list[bool] = []

    def solve(problem: Any) -> Any:
        in_transaction.append(connection.in_atomic_block)
        change()
        return real_match(problem)

    monkeypatch.setattr(services, "match", solve)
    return in_transaction


def enrolment(programme: Programme, person: Any) -> Enrolment:
    return Enrolment.objects.get(programme=programme, person=person)


def assert_nothing_stored(run: MatchRun) -> None:
    run.refresh_from_db()
    assert run.status == MatchRunStatus.FAILED and run.error.startswith("Stale: the pool changed while the engine ran")
    assert not Proposal.objects.filter(run=run).exists() and not Unmatched.objects.filter(run=run).exists()


# --- no transaction, no lock -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_engine_runs_with_no_transaction_open_and_no_lock_held(cast, monkeypatch) -> None:
    programme = matching_programme(cast)
    probes: list[BaseException | None] = []

    def another_request() -> None:
        # Another connection locks and writes the rows a run reads (the programme, its pool, the
        # run itself), without waiting: on PostgreSQL NOWAIT fails at once on a held row lock; on
        # SQLite the write transaction cannot begin while another is open.
        try:
            with transaction.atomic():
                Programme.objects.select_for_update(nowait=True).get(pk=programme.pk)
                list(Enrolment.objects.select_for_update(nowait=True).filter(programme=programme))
                list(MatchRun.objects.select_for_update(nowait=True).filter(programme=programme))
                Programme.objects.filter(pk=programme.pk).update(updated_at=timezone.now())
            probes.append(None)
        except BaseException as error:
            probes.append(error)
        finally:
            connections.close_all()

    def probe() -> None:
        thread = threading.Thread(target=another_request)
        thread.start()
        thread.join(timeout=30)

    in_transaction = while_solving(monkeypatch, probe)
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert in_transaction == [False]
    assert probes == [None]
    assert run.status == MatchRunStatus.READY and pairs_of(run) == {("J1", "V2"), ("J2", "V1")}


# --- a result whose pool changed is not stored ----------------------------------------------------


def test_a_paired_person_who_left_while_solving_makes_the_run_stale(cast, monkeypatch) -> None:
    programme = matching_programme(cast)
    while_solving(monkeypatch, lambda: people_deactivate(person_ids=[cast.ana.pk], actor=OPERATOR))
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert_nothing_stored(run)
    # Leaving withdrew her from the pool (and the pool, one mentor short, waitlisted a mentee).
    assert "Ana Junior is not in the pool (withdrawn)" in run.error
    programme.refresh_from_db()
    assert programme.state == "matching" and not Relationship.objects.exists()
    # Running again reads the pool as it is now.
    monkeypatch.undo()
    again = match_run_rerun(actor=OPERATOR, run=run)
    assert again.status == MatchRunStatus.READY and pairs_of(again) == {("J2", "V1")}


def test_a_withdrawal_while_solving_makes_the_run_stale(cast, monkeypatch) -> None:
    programme = matching_programme(cast)
    while_solving(
        monkeypatch,
        lambda: enrolment_withdraw(actor=acting(cast.vp_tech), enrolment=enrolment(programme, cast.vp_tech)),
    )
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert_nothing_stored(run)
    assert "Victor Tech is not in the pool (withdrawn)" in run.error


def test_seats_taken_while_solving_make_the_run_stale(cast, monkeypatch) -> None:
    programme = matching_programme(cast)
    # A manager pairs Ana and Vera by hand meanwhile: Ana's one seat is gone and Vera is partnered.
    while_solving(
        monkeypatch,
        lambda: relationship_propose(
            actor=OPERATOR,
            programme=programme,
            mentor_enrolment=enrolment(programme, cast.ana),
            mentee_enrolment=enrolment(programme, cast.vp_sales),
        ),
    )
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert_nothing_stored(run)
    assert "Ana Junior has no free seat (1 of 1 taken)" in run.error
    assert "Vera Sales already has an open relationship" in run.error
    assert Relationship.objects.count() == 1


def test_a_run_published_while_another_solves_makes_that_one_stale(cast, monkeypatch) -> None:
    programme = matching_programme(cast)
    first = match_run_start(actor=OPERATOR, programme=programme)
    Proposal.objects.filter(run=first).update(locked=True)
    while_solving(monkeypatch, lambda: match_run_publish(actor=OPERATOR, run=first))
    second = match_run_rerun(actor=OPERATOR, run=first)
    assert_nothing_stored(second)
    assert f"match run {first.number} was published" in second.error
    first.refresh_from_db()
    assert first.status == MatchRunStatus.PUBLISHED and Relationship.objects.count() == 2


def test_changes_that_leave_every_pair_possible_keep_the_run(cast, monkeypatch) -> None:
    programme = matching_programme(cast)
    newcomer = PersonFactory(employee_id="J3", name="Nia New", level=2, manager=cast.vp_sales)
    people_tree_rebuild()
    # Someone joins the pool meanwhile: the run's pairs all still hold; they wait for the next run.
    while_solving(
        monkeypatch, lambda: enrolment_create(actor=OPERATOR, programme=programme, person=newcomer, role="mentor")
    )
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert run.status == MatchRunStatus.READY and pairs_of(run) == {("J1", "V2"), ("J2", "V1")}


# --- publishing: idempotent and resumable ---------------------------------------------------------


def crash_on_second_pair(monkeypatch: pytest.MonkeyPatch, *, after_creating: bool) -> None:
    """Publishing dies on the second pair: before proposing it, or after the relationship was made
    but before the proposal recorded it (the worst moment)."""
    real_propose = publishing.relationship_propose
    calls: list[int] = []

    def propose(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2 and not after_creating:
            raise RuntimeError("the worker died")
        relationship = real_propose(**kwargs)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return relationship

    monkeypatch.setattr(publishing, "relationship_propose", propose)


@pytest.mark.parametrize("after_creating", [False, True], ids=["before-proposing", "after-proposing"])
@pytest.mark.parametrize("finish_from", ["page", "command"])
def test_a_publication_that_crashed_midway_is_finished_by_publishing_again(
    cast, monkeypatch, after_creating: bool, finish_from: str
) -> None:
    programme = managed(cast)
    run = match_run_start(actor=OPERATOR, programme=programme)
    crash_on_second_pair(monkeypatch, after_creating=after_creating)
    with pytest.raises(RuntimeError, match="the worker died"):
        match_run_publish(actor=OPERATOR, run=run)

    # The state after the crash: one pair sent and recorded, the other not sent at all.
    run.refresh_from_db()
    assert run.status == MatchRunStatus.PUBLISHING and run.published_at is not None
    first, second = Proposal.objects.filter(run=run).order_by("pk")
    assert first.relationship is not None and first.skipped_reason == ""
    assert second.relationship is None and second.skipped_reason == ""
    assert list(Relationship.objects.values_list("pk", flat=True)) == [first.relationship.pk]
    programme.refresh_from_db()
    assert programme.state == "matching"
    # A new run would propose the same people again: refused until this one is finished.
    with pytest.raises(MatchRunRuleBroken) as refused:
        match_run_start(actor=OPERATOR, programme=programme)
    assert refused.value.code == "run_publishing"
    assert list(MatchRun.objects.filter(programme=programme).values_list("pk", flat=True)) == [run.pk]

    # Its page says so, with how far it got, and offers to finish.
    client = signed_in(cast.programme_manager)
    page = client.get(reverse("matchruns:board", args=[programme.pk, run.pk])).content.decode()
    assert "Being published: 1 of 2 proposals still to send" in page and "Finish publishing" in page
    assert "Being published" in client.get(reverse("matchruns:list", args=[programme.pk])).content.decode()

    monkeypatch.undo()
    if finish_from == "page":
        response = client.post(reverse("matchruns:publish", args=[programme.pk, run.pk]))
        assert response.status_code == 302
    else:
        call_command("match", str(programme.pk), "--run", str(run.number), "--publish")

    run.refresh_from_db()
    assert run.status == MatchRunStatus.PUBLISHED
    proposals = list(Proposal.objects.filter(run=run).order_by("pk"))
    assert all(p.relationship_id is not None for p in proposals)
    assert Relationship.objects.count() == 2
    assert set(Relationship.objects.values_list("mentor_enrolment_id", "mentee_enrolment_id")) == {
        (p.mentor_id, p.mentee_id) for p in proposals
    }
    programme.refresh_from_db()
    assert programme.state == "running"
    # Publishing a published run changes nothing.
    call_command("match", str(programme.pk), "--run", str(run.number), "--publish")
    assert Relationship.objects.count() == 2
    page = client.get(reverse("matchruns:board", args=[programme.pk, run.pk])).content.decode()
    assert "2 sent, 0 not sent" in page and "Being published" not in page


def test_the_command_refuses_a_run_it_cannot_publish(cast, monkeypatch) -> None:
    programme = matching_programme(cast)
    while_solving(monkeypatch, lambda: people_deactivate(person_ids=[cast.ana.pk], actor=OPERATOR))
    stale = match_run_start(actor=OPERATOR, programme=programme)
    with pytest.raises(CommandError, match=f"match run {stale.number} is failed: Stale"):
        call_command("match", str(programme.pk), "--run", str(stale.number), "--publish")
    with pytest.raises(CommandError, match="has no match run 999999"):
        call_command("match", str(programme.pk), "--run", "999999", "--publish")
    assert not Relationship.objects.exists()


# --- PostgreSQL: two publishers at once -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers")
def test_two_publishers_at_once_propose_each_pair_once(cast) -> None:
    from tests.interleave import interleave

    programme = matching_programme(cast)
    run = match_run_start(actor=OPERATOR, programme=programme)
    outcomes = interleave(
        lambda: match_run_publish(actor=OPERATOR, run=run),
        lambda: match_run_publish(actor=OPERATOR, run=run),
        refusals=(MatchRunRuleBroken,),
    )
    assert outcomes == ("ok", "ok")
    run.refresh_from_db()
    assert run.status == MatchRunStatus.PUBLISHED
    assert Relationship.objects.count() == 2
    assert Proposal.objects.filter(run=run, relationship__isnull=False).count() == 2
    programme.refresh_from_db()
    assert programme.state == "running"


def test_the_database_holds_one_run_under_way_per_programme(cast) -> None:
    from django.db import IntegrityError

    programme = matching_programme(cast)
    MatchRun.objects.create(programme=programme, status=MatchRunStatus.RUNNING)
    with pytest.raises(MatchRunRuleBroken) as refused:
        match_run_start(actor=OPERATOR, programme=programme)
    assert refused.value.code == "run_in_progress"
    assert MatchRun.objects.filter(programme=programme).count() == 1
    # Whatever writes: a second run under way is refused by the database itself.
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchRun.objects.create(programme=programme, status=MatchRunStatus.QUEUED)
    assert MatchRun.objects.filter(programme=programme).count() == 1
