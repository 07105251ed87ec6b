"""The review board's fixed-shape reads, kept (their SQL built once per process): the same SQL,
parameters and rows as the ORM's, and the same board whether they are kept or read by the ORM."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.accounts.test_session_account import fields_of
from tests.factories import OPERATOR, PersonFactory
from tests.matchruns.test_match_runs import matching_programme
from tests.people.test_views import signed_in
from twofold.accounts import kept_queries
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal, Unmatched
from twofold.matchruns.selectors import (
    LATEST_RUN,
    PROPOSALS_COUNTED,
    ROWS_PER_PAGE,
    RUNS_IN_THE_WAY,
    UNMATCHED_BY_REASON,
    first_page_of_proposals,
    latest_run,
    match_run_board,
    runs_in_the_way,
)
from twofold.matchruns.services import match_run_refusal, match_run_start
from twofold.programmes.enrolment_services import enrolment_create
from twofold.programmes.models import Programme


def _two_runs(cast) -> tuple[MatchRun, MatchRun]:  # type: ignore[no-untyped-def]
    """Two runs of one programme, each with pairs and someone unmatched: a third junior under Lena
    may only meet Vera, as Ana may, and one of them is left without a partner."""
    programme = matching_programme(cast)
    junior = PersonFactory(employee_id="J3", name="Jo <b>&\"'", level=2, manager=cast.lead_tech)
    enrolment_create(actor=OPERATOR, programme=programme, person=junior, role="mentor")
    return match_run_start(actor=OPERATOR, programme=programme), match_run_start(actor=OPERATOR, programme=programme)


def test_the_kept_board_reads_are_the_orms(cast) -> None:  # type: ignore[no-untyped-def]
    first, second = _two_runs(cast)
    for query, values, read in [
        (first_page_of_proposals(ROWS_PER_PAGE), (second.pk,), "dicts"),
        (UNMATCHED_BY_REASON, (second.pk,), "rows"),
        (PROPOSALS_COUNTED, (second.pk,), "rows"),
        (LATEST_RUN, (second.programme_id,), "objects"),
    ]:
        kept = query.compiled(DEFAULT_DB_ALIAS)
        sql, params = query.compiler_of_orm(DEFAULT_DB_ALIAS, values).as_sql()
        assert kept.sql == sql and query.params(connection, values) == list(params)
        with CaptureQueriesContext(connection) as queries:
            mine = getattr(query, read)(*values)
            orm = list(query.queryset(*values))
        assert queries[0]["sql"] == queries[1]["sql"]
        if read == "objects":
            assert [fields_of(run) for run in mine] == [fields_of(run) for run in orm]
        else:
            assert mine == orm and mine
    assert latest_run(first.programme_id).pk == second.pk
    assert latest_run(first.programme_id + 1000) is None


@pytest.mark.parametrize("kept", [True, False])
def test_of_runs_created_in_the_same_instant_the_latest_is_the_last_created(  # type: ignore[no-untyped-def]
    cast, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    """Equal timestamps (the clock's resolution, a copied database) still make one latest run: the
    higher id, whether the read is kept or goes through the ORM, and on the board's "latest" address."""
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
    first, second = _two_runs(cast)
    MatchRun.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=first.created_at)
    assert second.pk > first.pk
    assert latest_run(first.programme_id).pk == second.pk
    programme = Programme.objects.get(pk=first.programme_id)
    programme.managers.add(cast.programme_manager)
    client = signed_in(cast.programme_manager)
    board = client.get(reverse("matchruns:latest", args=[programme.pk]))
    assert board.status_code == 200 and board.context["run"].pk == second.pk
    runs = client.get(reverse("matchruns:list", args=[programme.pk]))
    assert [run.pk for run in runs.context["runs"]] == [second.pk, first.pk]


@pytest.mark.parametrize("search", ["", "a"])
def test_the_board_is_the_same_kept_or_not(cast, monkeypatch: pytest.MonkeyPatch, search: str) -> None:  # type: ignore[no-untyped-def]
    """Every row and figure of the board, its reads kept or all through the ORM, in as many queries."""
    _, run = _two_runs(cast)

    run.programme = Programme.objects.get(pk=run.programme_id)  # read once, as the board's view hands it over
    boards, counts = [], []
    for kept in (True, False):
        monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
        with CaptureQueriesContext(connection) as queries:
            board = match_run_board(run, search=search)
        boards.append(board)
        counts.append(len(queries))
    mine, orm = boards
    assert mine.rows == orm.rows and mine.rows and all(row.reasons for row in mine.rows)
    assert mine.unmatched_counts == orm.unmatched_counts and mine.unmatched_counts
    assert mine.unmatched_rows == orm.unmatched_rows
    assert mine.proposals.paginator.count == orm.proposals.paginator.count == len(mine.rows)
    assert mine.unmatched.paginator.count == orm.unmatched.paginator.count == len(mine.unmatched_rows)
    if not search:
        # The pagers' counts (the unmatched added up from their reasons) are what counting says.
        assert mine.proposals.paginator.count == Proposal.objects.filter(run=run).count() > 0
        assert mine.unmatched.paginator.count == Unmatched.objects.filter(run=run).count() > 0
    assert mine.proposal_total == orm.proposal_total == Proposal.objects.filter(run=run).count()
    assert counts[0] == counts[1]


def test_the_kept_read_of_the_runs_in_the_way_is_the_orms(cast) -> None:  # type: ignore[no-untyped-def]
    first, second = _two_runs(cast)
    since = timezone.now() - timedelta(hours=1)
    values = (since, "queued", "running", "publishing", first.programme_id)
    kept = RUNS_IN_THE_WAY.compiled(DEFAULT_DB_ALIAS)
    sql, params = RUNS_IN_THE_WAY.compiler_of_orm(DEFAULT_DB_ALIAS, values).as_sql()
    assert kept.sql == sql and RUNS_IN_THE_WAY.params(connection, values) == list(params)
    assert runs_in_the_way(first.programme_id, since=since) == []
    MatchRun.objects.filter(pk=first.pk).update(status=MatchRunStatus.PUBLISHING)
    MatchRun.objects.filter(pk=second.pk).update(status=MatchRunStatus.QUEUED)
    assert runs_in_the_way(first.programme_id, since=since) == list(RUNS_IN_THE_WAY.queryset(*values))
    assert runs_in_the_way(first.programme_id, since=since) == [("queued", second.number), ("publishing", first.number)]
    # A run queued before ``since`` was abandoned: only the half-published one is in the way.
    assert runs_in_the_way(first.programme_id, since=timezone.now() + timedelta(hours=1)) == [
        ("publishing", first.number)
    ]
    assert match_run_refusal(first.programme).code == "run_in_progress"
