"""Relationships and meetings, as one of the pair sees them on their page: answer, end, log a meeting."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from twofold.accounts import permissions
from twofold.api.auth import caller
from twofold.api.pagination import Page, PageQuery, paginate_list
from twofold.api.routers.schemas import ERRORS, Reason
from twofold.relationships.errors import RelationshipForbidden
from twofold.relationships.models import Relationship
from twofold.relationships.selectors import (
    RelationshipPage,
    answer_awaited,
    match_reasons,
    relationship_page,
    relationships_of_person,
)
from twofold.relationships.services import meeting_log, relationship_answer, relationship_end

router = Router()


class PartnerOut(Schema):
    id: int
    name: str


class ReasonOut(Schema):
    key: str
    label: str
    points: float
    weight: float


class RelationshipOut(Schema):
    id: int
    programme_id: int
    programme_name: str
    state: str
    your_role: Literal["mentor", "mentee"]
    partner: PartnerOut
    proposed_at: datetime
    expires_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    awaiting_your_answer: bool


class RelationshipDetailOut(RelationshipOut):
    score: float
    why_matched: list[ReasonOut]
    meetings_held: int
    last_met_at: datetime | None


class MeetingOut(Schema):
    id: int
    starts_at: datetime
    duration_minutes: int
    status: str
    location: str
    shared_note: str
    your_private_note: str


class RelationshipFilters(PageQuery):
    state: str | None = Field(None, max_length=20, description="proposed, active, completed, ended, declined, …")


class AnswerIn(Schema):
    answer: Literal["accept", "decline"]


class EndIn(Schema):
    reason: Reason = Field(min_length=1)
    rematch: bool = False


class MeetingIn(Schema):
    starts_at: datetime
    duration_minutes: int = Field(45, ge=1, le=32767)
    location: str = Field("", max_length=200)
    shared_note: str = Field("", max_length=10000)
    private_note: str = Field("", max_length=10000)


def _summary(relationship: Relationship, role: str, partner: Any, awaiting: bool) -> dict[str, Any]:
    return {
        "id": relationship.pk,
        "programme_id": relationship.programme_id,
        "programme_name": relationship.programme.name,
        "state": relationship.state,
        "your_role": role,
        "partner": {"id": partner.pk, "name": partner.name},
        "proposed_at": relationship.proposed_at,
        "expires_at": relationship.expires_at,
        "started_at": relationship.started_at,
        "ended_at": relationship.ended_at,
        "awaiting_your_answer": awaiting,
    }


def pair_page(user: Any, pk: int) -> RelationshipPage:
    """Relationship ``pk`` as the caller (one of its pair) sees it; anyone else gets the 404 of an
    unknown id, programme managers included (the relationship page's rule)."""
    person = getattr(user, "person", None)
    if person is None:
        raise Http404("No such relationship.")
    try:
        page = relationship_page(relationship_id=pk, viewer=person)
    except (Relationship.DoesNotExist, RelationshipForbidden):
        raise Http404("No such relationship.") from None
    if not permissions.allowed(user, "relationships.view", page.relationship):
        raise Http404("No such relationship.")
    return page


def _detail(user: Any, pk: int) -> dict[str, Any]:
    page = pair_page(user, pk)
    relationship = page.relationship
    out = _summary(relationship, page.viewer_role, page.partner, answer_awaited(relationship, side=page.viewer_role))
    out.update(
        score=relationship.score,
        why_matched=[vars(reason) for reason in match_reasons(relationship)],
        meetings_held=relationship.meetings_held,
        last_met_at=relationship.last_met_at,
    )
    return out


@router.get("/relationships", response={200: Page[RelationshipOut], **ERRORS}, operation_id="relationships_list")
def relationships_list(request: HttpRequest, filters: Query[RelationshipFilters]) -> Any:
    """Your relationships and proposals, as mentor or mentee. Scope `relationships:read`."""
    user = caller(request, "relationships:read")
    person = getattr(user, "person", None)
    rows = relationships_of_person(person=person, states=[filters.state] if filters.state else None) if person else []
    page = paginate_list(rows, filters, key=lambda row: row.relationship.pk)
    page["items"] = [_summary(row.relationship, row.role, row.partner, row.awaiting_answer) for row in page["items"]]
    return page


@router.get(
    "/relationships/{int:relationship_id}",
    response={200: RelationshipDetailOut, **ERRORS},
    operation_id="relationships_read",
)
def relationships_read(request: HttpRequest, relationship_id: int) -> Any:
    """One of your relationships, with why you were matched. Scope `relationships:read`."""
    user = caller(request, "relationships:read")
    return _detail(user, relationship_id)


@router.post(
    "/relationships/{int:relationship_id}/answer",
    response={200: RelationshipDetailOut, **ERRORS},
    operation_id="relationships_answer",
)
def relationships_answer(request: HttpRequest, relationship_id: int, payload: AnswerIn) -> Any:
    """Accept or decline a proposal made to you. Scope `relationships:write`."""
    user = caller(request, "relationships:write")
    page = pair_page(user, relationship_id)
    relationship_answer(relationship=page.relationship, actor=user, accept=payload.answer == "accept")
    return _detail(user, relationship_id)


@router.post(
    "/relationships/{int:relationship_id}/end",
    response={200: RelationshipDetailOut, **ERRORS},
    operation_id="relationships_end",
)
def relationships_end(request: HttpRequest, relationship_id: int, payload: EndIn) -> Any:
    """End an active relationship early, with a reason; `rematch` keeps you both in the pool. Scope
    `relationships:write`."""
    user = caller(request, "relationships:write")
    page = pair_page(user, relationship_id)
    relationship_end(relationship=page.relationship, actor=user, reason=payload.reason, rematch=payload.rematch)
    return _detail(user, relationship_id)


@router.get(
    "/relationships/{int:relationship_id}/meetings",
    response={200: Page[MeetingOut], **ERRORS},
    operation_id="meetings_list",
)
def meetings_list(request: HttpRequest, relationship_id: int, page: Query[PageQuery]) -> Any:
    """The pair's meetings, with your own private note (never your partner's). Scope `relationships:read`."""
    user = caller(request, "relationships:read")
    meetings = pair_page(user, relationship_id).meetings
    result = paginate_list(meetings, page, key=lambda meeting: meeting.id)
    result["items"] = [_meeting(meeting) for meeting in result["items"]]
    return result


def _meeting(meeting: Any) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "starts_at": meeting.starts_at,
        "duration_minutes": meeting.duration_minutes,
        "status": meeting.status,
        "location": meeting.location,
        "shared_note": meeting.shared_note,
        "your_private_note": meeting.own_private_note,
    }


@router.post(
    "/relationships/{int:relationship_id}/meetings",
    response={201: MeetingOut, **ERRORS},
    operation_id="meetings_log",
)
def meetings_log(request: HttpRequest, relationship_id: int, payload: MeetingIn) -> Any:
    """Record a meeting that took place. Scope `relationships:write`."""
    user = caller(request, "relationships:write")
    page = pair_page(user, relationship_id)
    meeting = meeting_log(
        relationship=page.relationship,
        actor=user,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        location=payload.location,
        shared_note=payload.shared_note,
        private_note=payload.private_note,
    )
    logged = next((view for view in pair_page(user, relationship_id).meetings if view.id == meeting.pk), None)
    if logged is None:  # meeting_log keeps meetings within the span of dates the page shows
        raise Http404("No such meeting.")
    return Status(201, _meeting(logged))
