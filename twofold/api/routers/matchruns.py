"""Match runs: start one over a programme's pool, follow its progress, read its proposals with the
reasons for each, publish it — the review board's steps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from twofold.api.auth import caller
from twofold.api.pagination import Page, PageQuery, paginate
from twofold.api.routers.programmes import managed_programme
from twofold.api.routers.relationships import ReasonOut
from twofold.api.routers.schemas import ERRORS, Id
from twofold.matchruns.models import MatchRun, Proposal
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.review import proposal_lock, proposal_remove, proposal_swap
from twofold.matchruns.selectors import run_publication
from twofold.matchruns.services import match_run_start
from twofold.programmes.why_matched import match_reasons

router = Router()


class PublicationOut(Schema):
    sent: int
    not_sent: int
    waiting: int


class MatchRunFields(Schema):
    id: int
    number: int = Field(description="The run's number within its programme (1, 2, …), as the pages name it.")
    programme_id: int
    status: str
    progress: int = Field(description="Per cent done, while running.")
    progress_note: str
    error: str
    total_score: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    published_at: datetime | None


class MatchRunOut(MatchRunFields):
    publication: PublicationOut | None


class PersonRef(Schema):
    enrolment_id: int
    person_id: int
    name: str


class ProposalOut(Schema):
    id: int
    mentor: PersonRef
    mentee: PersonRef
    score: float
    locked: bool
    origin: str
    relationship_id: int | None
    skipped_reason: str
    why_matched: list[ReasonOut]


class StartIn(Schema):
    background: bool | None = Field(
        None, description="Run on the worker (true), now (false), or as the pool's size suggests (null)."
    )


class LockIn(Schema):
    locked: bool = Field(True, description="true: a re-run keeps this pair; false: it may change again.")


class SwapIn(Schema):
    first_id: Id = Field(description="A proposal of the run.")
    second_id: Id = Field(description="Another proposal of the same run: the two exchange their mentees.")


class SwapOut(Schema):
    proposals: list[ProposalOut] = Field(description="The two new pairs, each checked against every rule and scored.")


def _run(user: Any, programme_id: int, run_id: int) -> MatchRun:
    programme = managed_programme(user, programme_id)
    run = MatchRun.objects.select_related("programme").filter(pk=run_id, programme=programme).first()
    if run is None:
        raise Http404("No such match run.")
    return run


def _present_run(run: MatchRun) -> dict[str, Any]:
    out = MatchRunFields.from_orm(run).model_dump()
    publication = run_publication(run)
    out["publication"] = vars(publication) if publication else None
    return out


def _present_proposals(run: MatchRun) -> Any:
    programme = run.programme
    weights = run.statistics.get("weights", {})

    def present(proposals: Sequence[Proposal]) -> list[dict[str, Any]]:
        return [
            {
                "id": proposal.pk,
                "mentor": {
                    "enrolment_id": proposal.mentor_id,
                    "person_id": proposal.mentor.person_id,
                    "name": proposal.mentor.person.name,
                },
                "mentee": {
                    "enrolment_id": proposal.mentee_id,
                    "person_id": proposal.mentee.person_id,
                    "name": proposal.mentee.person.name,
                },
                "score": proposal.score,
                "locked": proposal.locked,
                "origin": proposal.origin,
                "relationship_id": proposal.relationship_id,
                "skipped_reason": proposal.skipped_reason,
                "why_matched": [
                    vars(reason)
                    for reason in match_reasons(
                        breakdown=proposal.breakdown,
                        weights=weights,
                        mentor_label=programme.mentor_label,
                        mentee_label=programme.mentee_label,
                    )
                ],
            }
            for proposal in proposals
        ]

    return present


@router.get(
    "/programmes/{int:programme_id}/match-runs",
    response={200: Page[MatchRunOut], **ERRORS},
    operation_id="matchruns_list",
)
def matchruns_list(request: HttpRequest, programme_id: int, page: Query[PageQuery]) -> Any:
    """A programme's match runs, oldest first. Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    programme = managed_programme(user, programme_id)
    runs = MatchRun.objects.filter(programme=programme)
    return paginate(runs, page, lambda rows: [_present_run(run) for run in rows])


@router.post(
    "/programmes/{int:programme_id}/match-runs",
    response={201: MatchRunOut, **ERRORS},
    operation_id="matchruns_start",
)
def matchruns_start(request: HttpRequest, programme_id: int, payload: StartIn) -> Any:
    """Start a match run over the pool (a partial re-match while the programme runs). Poll the run for
    its progress. Scope `matchruns:write`."""
    user = caller(request, "matchruns:write")
    programme = managed_programme(user, programme_id)
    run = match_run_start(actor=user, programme=programme, background=payload.background)
    run.refresh_from_db()
    return Status(201, _present_run(run))


@router.get(
    "/programmes/{int:programme_id}/match-runs/{int:run_id}",
    response={200: MatchRunOut, **ERRORS},
    operation_id="matchruns_read",
)
def matchruns_read(request: HttpRequest, programme_id: int, run_id: int) -> Any:
    """A match run: its status and progress, and how far publishing it got. Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    return _present_run(_run(user, programme_id, run_id))


@router.get(
    "/programmes/{int:programme_id}/match-runs/{int:run_id}/proposals",
    response={200: Page[ProposalOut], **ERRORS},
    operation_id="matchruns_proposals",
)
def matchruns_proposals(request: HttpRequest, programme_id: int, run_id: int, page: Query[PageQuery]) -> Any:
    """The pairs a run proposes, each with the reasons that brought it together. Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    run = _run(user, programme_id, run_id)
    proposals = Proposal.objects.filter(run=run).select_related("mentor__person", "mentee__person")
    return paginate(proposals, page, _present_proposals(run))


@router.post(
    "/programmes/{int:programme_id}/match-runs/{int:run_id}/publish",
    response={200: MatchRunOut, **ERRORS},
    operation_id="matchruns_publish",
)
def matchruns_publish(request: HttpRequest, programme_id: int, run_id: int) -> Any:
    """Send every proposal of a reviewed run to the people in it; resumable. Scope `matchruns:write`."""
    user = caller(request, "matchruns:write")
    run = _run(user, programme_id, run_id)
    match_run_publish(actor=user, run=run)
    run.refresh_from_db()
    return _present_run(run)


def _proposal(run: MatchRun, proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_related("run__programme").filter(pk=proposal_id, run=run).first()
    if proposal is None:
        raise Http404("No such proposal in this match run.")
    return proposal


def _present_one(run: MatchRun, proposal_ids: list[int]) -> list[dict[str, Any]]:
    proposals = Proposal.objects.filter(pk__in=proposal_ids).select_related("mentor__person", "mentee__person")
    by_id = {proposal.pk: proposal for proposal in proposals}
    return list(_present_proposals(run)([by_id[pk] for pk in proposal_ids]))


@router.post(
    "/programmes/{int:programme_id}/match-runs/{int:run_id}/proposals/{int:proposal_id}/lock",
    response={200: ProposalOut, **ERRORS},
    operation_id="matchruns_lock",
)
def matchruns_lock(request: HttpRequest, programme_id: int, run_id: int, proposal_id: int, payload: LockIn) -> Any:
    """Lock a proposed pair of a run under review, so that a re-run keeps it (or unlock it), as the review
    board's lock button does. Scope `matchruns:write`."""
    user = caller(request, "matchruns:write")
    run = _run(user, programme_id, run_id)
    proposal = proposal_lock(actor=user, proposal=_proposal(run, proposal_id), locked=payload.locked)
    return _present_one(run, [proposal.pk])[0]


@router.post(
    "/programmes/{int:programme_id}/match-runs/{int:run_id}/proposals/{int:proposal_id}/remove",
    response={200: MatchRunOut, **ERRORS},
    operation_id="matchruns_remove",
)
def matchruns_remove(request: HttpRequest, programme_id: int, run_id: int, proposal_id: int) -> Any:
    """Take a proposed pair out of a run under review; both people join its unmatched. Answers the run,
    with its new total score. Scope `matchruns:write`."""
    user = caller(request, "matchruns:write")
    run = _run(user, programme_id, run_id)
    proposal_remove(actor=user, proposal=_proposal(run, proposal_id))
    run.refresh_from_db()
    return _present_run(run)


@router.post(
    "/programmes/{int:programme_id}/match-runs/{int:run_id}/swap",
    response={200: SwapOut, **ERRORS},
    operation_id="matchruns_swap",
)
def matchruns_swap(request: HttpRequest, programme_id: int, run_id: int, payload: SwapIn) -> Any:
    """Exchange the mentees of two proposed pairs of a run under review; both new pairs must pass every
    rule (422 otherwise, nothing changed). Scope `matchruns:write`."""
    user = caller(request, "matchruns:write")
    run = _run(user, programme_id, run_id)
    first, second = _proposal(run, payload.first_id), _proposal(run, payload.second_id)
    created = proposal_swap(actor=user, first=first, second=second)
    return {"proposals": _present_one(run, [proposal.pk for proposal in created])}
