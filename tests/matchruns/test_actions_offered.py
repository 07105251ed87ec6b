"""Pages offer exactly the actions their services take. "Choose your mentor" on My programmes shows
where partner_request takes a request (both ask
:func:`~twofold.relationships.services.choosing_refusal`), and the runs page's "Run matching" shows
where match_run_start starts a run (both ask :func:`~twofold.matchruns.services.match_run_refusal`),
and a run's "Re-run" shows where match_run_rerun takes it (both ask
:func:`~twofold.matchruns.review.match_run_rerun_refusal`).
Each case runs the page's decision and the service's over the same rows and compares them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import PersonFactory, ProgrammeFactory, acting
from tests.relationships.pairing import MENTEE, MENTOR, NOW, enrol
from twofold.accounts.permissions import NotPermitted
from twofold.matchruns.choice import partner_request
from twofold.matchruns.models import MatchRun, MatchRunStatus
from twofold.matchruns.review import match_run_rerun
from twofold.matchruns.services import STALE_RUN, match_run_start
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild
from twofold.programmes.errors import ProgrammeRuleBroken
from twofold.programmes.models import Enrolment, EnrolmentStatus, MatchingMode, Programme, ProgrammeState
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.models import Relationship
from twofold.relationships.request_limit import REQUEST_WINDOW
from twofold.relationships.services import enrolments_choosing, relationship_answer, relationship_request_withdraw

pytestmark = pytest.mark.django_db

CHOICE, MANAGED = MatchingMode.PARTICIPANT_CHOICE, MatchingMode.MANAGED
MATCHING, RUNNING = ProgrammeState.MATCHING, ProgrammeState.RUNNING


class _Undo(Exception):
    """Rolls back what the service did once it took the action: the page was read first."""


def taken(action) -> bool:  # type: ignore[no-untyped-def]
    """Whether the service takes ``action`` (a call) now; nothing it wrote is kept."""
    try:
        with transaction.atomic():
            action()
            raise _Undo
    except _Undo:
        return True
    except (RelationshipRuleBroken, ProgrammeRuleBroken, NotPermitted):
        return False


def page_of(user, name: str, *args: int) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


# --- choosing a partner ---------------------------------------------------------------------------


@pytest.fixture
def june(cast: Cast) -> Person:
    """A junior outside Vera's reporting line: a partner the rules always allow her."""
    person = PersonFactory(employee_id="J3", name="June Junior", level=2, manager=cast.ceo, department="Design")
    people_tree_rebuild()
    person.refresh_from_db()
    return person


def _ask_ana(cast: Cast, enrolment: Enrolment) -> Relationship:
    ana = enrol(enrolment.programme, cast.ana, MENTOR)
    return partner_request(actor=acting(cast.vp_sales), enrolment=enrolment, partner=ana, now=NOW)


def _asked(cast: Cast, enrolment: Enrolment) -> None:
    _ask_ana(cast, enrolment)


def _paired(cast: Cast, enrolment: Enrolment) -> None:
    relationship_answer(relationship=_ask_ana(cast, enrolment), actor=acting(cast.ana), accept=True, now=NOW)


def _declined(cast: Cast, enrolment: Enrolment) -> None:
    relationship_answer(relationship=_ask_ana(cast, enrolment), actor=acting(cast.ana), accept=False, now=NOW)


def _asked_three(at: datetime):  # type: ignore[no-untyped-def]
    def ask(cast: Cast, enrolment: Enrolment) -> None:
        # Three requests, each withdrawn: the most one may make in seven days.
        for n in range(3):
            mentor = PersonFactory(employee_id=f"J7{n}", level=2, manager=cast.ceo, department="Design")
            people_tree_rebuild()
            partner = enrol(enrolment.programme, mentor, MENTOR)
            request = partner_request(actor=acting(cast.vp_sales), enrolment=enrolment, partner=partner, now=at)
            relationship_request_withdraw(relationship=request, actor=acting(cast.vp_sales), now=at)

    return ask


def _promoted_out(cast: Cast, enrolment: Enrolment) -> None:
    # The programme now takes mentees from level 9 only: Vera (8) is no longer eligible.
    Programme.objects.filter(pk=enrolment.programme_id).update(mentee_min_level=9)


CHOOSING_CASES = [
    *(
        pytest.param(mode, state, MENTEE, EnrolmentStatus.ACTIVE, None, id=f"{mode}-{state}")
        for mode in (CHOICE, MANAGED)
        for state in ProgrammeState.values
    ),
    pytest.param(CHOICE, MATCHING, MENTOR, EnrolmentStatus.ACTIVE, None, id="enrolled-as-mentor"),
    *(
        pytest.param(CHOICE, MATCHING, MENTEE, status, None, id=f"enrolment-{status}")
        for status in EnrolmentStatus.values
        if status != EnrolmentStatus.ACTIVE
    ),
    pytest.param(CHOICE, MATCHING, MENTEE, EnrolmentStatus.ACTIVE, _asked, id="a-request-waiting"),
    pytest.param(CHOICE, RUNNING, MENTEE, EnrolmentStatus.ACTIVE, _asked, id="a-request-waiting-while-running"),
    pytest.param(CHOICE, RUNNING, MENTEE, EnrolmentStatus.ACTIVE, _paired, id="paired"),
    pytest.param(CHOICE, MATCHING, MENTEE, EnrolmentStatus.ACTIVE, _declined, id="declined-then-free"),
    pytest.param(CHOICE, MATCHING, MENTEE, EnrolmentStatus.ACTIVE, _promoted_out, id="no-longer-eligible"),
    pytest.param(CHOICE, MATCHING, MENTEE, EnrolmentStatus.ACTIVE, _asked_three(NOW), id="asked-enough-lately"),
    pytest.param(
        CHOICE,
        MATCHING,
        MENTEE,
        EnrolmentStatus.ACTIVE,
        _asked_three(NOW - REQUEST_WINDOW - timedelta(hours=1)),
        id="asked-enough-over-a-week-ago",
    ),
]


@pytest.mark.parametrize(("mode", "state", "role", "status", "before"), CHOOSING_CASES)
def test_my_programmes_offers_the_choice_exactly_where_a_request_is_taken(  # type: ignore[no-untyped-def]
    cast: Cast, june: Person, mode: str, state: str, role: str, status: str, before
) -> None:
    programme = ProgrammeFactory(name="Digital fluency", state=MATCHING, matching_mode=mode)
    partner = enrol(programme, june, MENTOR)
    enrolment = enrol(programme, cast.vp_sales, role)
    if before is not None:
        before(cast, enrolment)
    Programme.objects.filter(pk=programme.pk).update(state=state)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=status)

    # Both decisions at the same moment NOW: the limit on requests counts back from it.
    enrolment.refresh_from_db()
    offered = enrolments_choosing(actor=cast.vp_sales_user, enrolments=[enrolment], now=NOW) == [enrolment]
    requested = taken(lambda: partner_request(actor=cast.vp_sales_user, enrolment=enrolment, partner=partner, now=NOW))
    assert offered == requested

    # The page offers the choice where enrolments_choosing does, both reading the clock.
    on_page = reverse("choice:partners", args=[programme.pk]) in page_of(cast.vp_sales_user, "relationships:mine")
    assert on_page == (enrolments_choosing(actor=cast.vp_sales_user, enrolments=[enrolment]) == [enrolment])


def test_the_cases_cover_both_answers(cast: Cast, june: Person) -> None:
    """The comparison above is not vacuous: the one open case is offered and taken."""
    programme = ProgrammeFactory(state=MATCHING, matching_mode=CHOICE)
    partner = enrol(programme, june, MENTOR)
    enrolment = enrol(programme, cast.vp_sales, MENTEE)

    assert reverse("choice:partners", args=[programme.pk]) in page_of(cast.vp_sales_user, "relationships:mine")
    assert taken(lambda: partner_request(actor=cast.vp_sales_user, enrolment=enrolment, partner=partner, now=NOW))


# --- starting a match run ---------------------------------------------------------------------------


def _run(status: str, *, age: timedelta = timedelta(0)):  # type: ignore[no-untyped-def]
    def make(programme: Programme) -> None:
        run = MatchRun.objects.create(programme=programme, status=status)
        MatchRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - age)

    return make


RUN_CASES = [
    *(
        pytest.param(mode, state, None, id=f"{mode}-{state}")
        for mode in (CHOICE, MANAGED)
        for state in ProgrammeState.values
    ),
    *(
        pytest.param(MANAGED, state, _run(status), id=f"{state}-with-a-run-{status}")
        for state in (MATCHING, RUNNING)
        for status in MatchRunStatus.values
    ),
    pytest.param(
        MANAGED, MATCHING, _run(MatchRunStatus.QUEUED, age=STALE_RUN + timedelta(minutes=1)), id="an-abandoned-run"
    ),
    pytest.param(
        MANAGED, MATCHING, _run(MatchRunStatus.RUNNING, age=STALE_RUN - timedelta(minutes=1)), id="a-slow-run"
    ),
]


@pytest.mark.parametrize(("mode", "state", "before"), RUN_CASES)
def test_the_runs_page_offers_a_run_exactly_where_one_starts(  # type: ignore[no-untyped-def]
    cast: Cast, mode: str, state: str, before
) -> None:
    programme = ProgrammeFactory(state=state, matching_mode=mode)
    if before is not None:
        before(programme)

    offered = reverse("matchruns:start", args=[programme.pk]) in page_of(cast.admin, "matchruns:list", programme.pk)
    started = taken(lambda: match_run_start(actor=cast.admin, programme=programme, background=True))

    assert offered == started


def test_a_run_is_offered_and_started_while_a_managed_programme_matches(cast: Cast) -> None:
    """The comparison above is not vacuous: the open case is offered and taken."""
    programme = ProgrammeFactory(state=MATCHING, matching_mode=MANAGED)

    assert reverse("matchruns:start", args=[programme.pk]) in page_of(cast.admin, "matchruns:list", programme.pk)
    assert taken(lambda: match_run_start(actor=cast.admin, programme=programme, background=True))


# --- re-running a match run -------------------------------------------------------------------------


def _another(status: str, *, age: timedelta = timedelta(0)):  # type: ignore[no-untyped-def]
    def make(programme: Programme, run: MatchRun) -> None:
        _run(status, age=age)(programme)

    return make


def _left_matching(programme: Programme, run: MatchRun) -> None:
    Programme.objects.filter(pk=programme.pk).update(state=ProgrammeState.CLOSED)


RERUN_CASES = [
    *(pytest.param(MANAGED, status, None, id=f"a-run-{status}") for status in MatchRunStatus.values),
    *(
        pytest.param(MANAGED, status, _left_matching, id=f"a-run-{status}-after-the-programme-closed")
        for status in (MatchRunStatus.READY, MatchRunStatus.FAILED)
    ),
    *(
        pytest.param(MANAGED, status, _another(other), id=f"a-run-{status}-beside-one-{other}")
        for status in (MatchRunStatus.READY, MatchRunStatus.FAILED)
        for other in (MatchRunStatus.QUEUED, MatchRunStatus.RUNNING, MatchRunStatus.PUBLISHING)
    ),
    pytest.param(
        MANAGED,
        MatchRunStatus.READY,
        _another(MatchRunStatus.QUEUED, age=STALE_RUN + timedelta(minutes=1)),
        id="beside-an-abandoned-run",
    ),
    pytest.param(CHOICE, MatchRunStatus.READY, None, id="participant-choice"),
]


@pytest.mark.parametrize(("mode", "status", "before"), RERUN_CASES)
def test_a_run_s_board_offers_a_rerun_exactly_where_one_is_taken(  # type: ignore[no-untyped-def]
    cast: Cast, mode: str, status: str, before
) -> None:
    programme = ProgrammeFactory(state=MATCHING, matching_mode=mode)
    # Publishing stamps the run as it starts (the board shows its progress from then).
    published = timezone.now() if status in (MatchRunStatus.PUBLISHING, MatchRunStatus.PUBLISHED) else None
    run = MatchRun.objects.create(programme=programme, status=status, published_at=published)
    if before is not None:
        before(programme, run)

    page = page_of(cast.admin, "matchruns:board", programme.pk, run.pk)
    offered = reverse("matchruns:rerun", args=[programme.pk, run.pk]) in page
    rerun = taken(lambda: match_run_rerun(actor=cast.admin, run=run, background=True))

    assert offered == rerun


@pytest.mark.parametrize("status", [MatchRunStatus.READY, MatchRunStatus.FAILED])
def test_a_ready_or_failed_run_is_offered_a_rerun_and_rerun(cast: Cast, status: str) -> None:
    """The comparison above is not vacuous: a ready run, and a failed one, are offered and re-run."""
    programme = ProgrammeFactory(state=MATCHING, matching_mode=MANAGED)
    run = MatchRun.objects.create(programme=programme, status=status)

    assert reverse("matchruns:rerun", args=[programme.pk, run.pk]) in page_of(
        cast.admin, "matchruns:board", programme.pk, run.pk
    )
    assert taken(lambda: match_run_rerun(actor=cast.admin, run=run, background=True))


def test_of_two_half_published_runs_the_refusal_names_the_newest() -> None:
    """The board's newest run is the one to publish again: the refusal names it, as it did when the
    runs in the way were read newest first."""
    from twofold.matchruns.services import match_run_refusal

    programme = ProgrammeFactory(state=MATCHING, matching_mode=MANAGED)
    older, newer = (
        MatchRun.objects.create(programme=programme, status=MatchRunStatus.PUBLISHING, published_at=timezone.now())
        for _ in range(2)
    )
    MatchRun.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=2))
    newer.refresh_from_db()
    older.refresh_from_db()
    assert older.number != newer.number

    refusal = match_run_refusal(programme)

    assert refusal is not None and refusal.code == "run_publishing"
    assert f" {newer.number} " in f" {refusal} " and f" {older.number} " not in f" {refusal} "
