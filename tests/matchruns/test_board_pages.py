"""The review board in pages: walked page by page through the board's address, every proposal is shown
once, in the board's order, the first page (a kept read) and the pages after it (the ORM's) alike, and
a search pages the same way over the pairs it finds."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse

from tests.factories import EnrolmentFactory, PersonFactory, ProgrammeFactory
from tests.people.test_views import signed_in
from twofold.accounts import kept_queries
from twofold.matchruns import selectors
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal
from twofold.matchruns.selectors import ROWS_PER_PAGE
from twofold.programmes.models import EnrolmentRole, ProgrammeState

# Two full pages and some: the last page is part full.
PAIRS = 2 * ROWS_PER_PAGE + 7


def _run_of_many_pairs(cast) -> MatchRun:  # type: ignore[no-untyped-def]
    """A run of PAIRS proposals whose scores repeat (seven values), so that the board's order rests on
    its tie-break as much as on the score; two mentors in three are a "Kim", the search below."""
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, managers=[cast.programme_manager])
    run = MatchRun.objects.create(programme=programme, status=MatchRunStatus.READY)
    for n in range(PAIRS):
        mentor = PersonFactory(name=f"Lou {n}" if n % 3 == 0 else f"Kim {n}", level=2)
        mentee = PersonFactory(name=f"Vic {n}", level=8)
        Proposal.objects.create(
            run=run,
            mentor=EnrolmentFactory(programme=programme, person=mentor, role=EnrolmentRole.MENTOR),
            mentee=EnrolmentFactory(programme=programme, person=mentee, role=EnrolmentRole.MENTEE),
            score=(n * 5) % 7,
            breakdown={"cross_department": float((n * 5) % 7)},
        )
    return run


def _walk(client, url: str, search: str = "") -> list[int]:  # type: ignore[no-untyped-def]
    """The proposals every page of the board shows, in the order shown, page 1 to the last."""
    shown: list[int] = []
    number, pages = 1, None
    while pages is None or number <= pages:
        response = client.get(url, {"page": number, **({"q": search} if search else {})})
        assert response.status_code == 200
        board = response.context["board"]
        assert board.proposals.number == number
        pages = board.proposals.paginator.num_pages
        rows = [row.pk for row in board.rows]
        per_page = board.proposals.paginator.per_page
        assert len(rows) == (per_page if number < pages else board.proposals.paginator.count - len(shown))
        # Each row is drawn on the page, once.
        page = response.content.decode()
        assert all(page.count(f'value="remove:{pk}"') == 1 for pk in rows)
        shown += rows
        number += 1
    return shown


@pytest.mark.parametrize("kept", [True, False])
def test_walking_the_board_shows_every_proposal_once_in_order(  # type: ignore[no-untyped-def]
    cast, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
    run = _run_of_many_pairs(cast)
    client = signed_in(cast.programme_manager)
    url = reverse("matchruns:board", args=[run.programme_id, run.pk])
    in_order = list(Proposal.objects.filter(run=run).order_by("-score", "pk").values_list("pk", flat=True))
    shown = _walk(client, url)
    assert shown == in_order and len(shown) == PAIRS
    assert client.get(url, {"page": 1}).context["board"].proposals.paginator.num_pages == math.ceil(
        PAIRS / ROWS_PER_PAGE
    )
    # A search pages over the pairs it finds, in the same order.
    found = list(
        Proposal.objects.filter(run=run, mentor__person__name__startswith="Kim")
        .order_by("-score", "pk")
        .values_list("pk", flat=True)
    )
    assert len(found) > ROWS_PER_PAGE
    assert _walk(client, url, search="kim") == found


def test_a_page_size_changed_in_a_running_process_pages_the_first_page_too(cast, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The first page is a kept read whose LIMIT is written into its SQL: with another page size
    (after the first page was read with the former) it is the new size's first page, never the SQL
    kept for the other, so page 2 follows it without a row shown twice."""
    run = _run_of_many_pairs(cast)
    client = signed_in(cast.programme_manager)
    url = reverse("matchruns:board", args=[run.programme_id, run.pk])
    in_order = list(Proposal.objects.filter(run=run).order_by("-score", "pk").values_list("pk", flat=True))
    assert _walk(client, url) == in_order
    monkeypatch.setattr(selectors, "ROWS_PER_PAGE", 20)
    assert _walk(client, url) == in_order
    assert client.get(url).context["board"].proposals.paginator.num_pages == math.ceil(PAIRS / 20)
