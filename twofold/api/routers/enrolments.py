"""Enrolments: a programme's pool for its managers; invite, apply, approve, withdraw."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from twofold.api.auth import caller
from twofold.api.pagination import Page, PageQuery, paginate
from twofold.api.routers.programmes import managed_programme
from twofold.api.routers.schemas import ERRORS, Level, Reason
from twofold.programmes.enrolment_services import (
    enrolment_apply,
    enrolment_approve,
    enrolment_invite_by_filter,
    enrolment_respond,
    enrolment_withdraw,
)
from twofold.programmes.models import Enrolment, EnrolmentStatus
from twofold.programmes.permissions import withdrawable_enrolments
from twofold.programmes.selectors import (
    InviteFilter,
    application_to_decide,
    enrolments_of,
    open_enrolment_in,
    programme_open_to,
)
from twofold.programmes.services import ProgrammeRuleBroken

router = Router()

Role = Literal["mentor", "mentee"]


class EnrolmentOut(Schema):
    id: int
    programme_id: int
    person_id: int
    person_name: str = Field(alias="person.name")
    role: str
    status: str
    status_reason: str
    capacity: int
    seats_taken: int
    created_at: datetime
    updated_at: datetime


class EnrolmentFilters(PageQuery):
    role: Role | None = None
    status: str | None = Field(None, max_length=30)


class InviteIn(Schema):
    role: Role
    min_level: Level | None = None
    max_level: Level | None = None
    departments: list[str] = Field(default_factory=list, max_length=100)
    locations: list[str] = Field(default_factory=list, max_length=100)
    high_potential_only: bool = False


class InviteOut(Schema):
    invited: int
    already_enrolled: int
    not_eligible: int


class ApplicationIn(Schema):
    role: Role
    goals: str = Field("", max_length=2000)
    aspiration: str = Field("", max_length=100)
    capacity: int | None = Field(None, ge=1, le=50, description="Seats, for a mentor or sponsor.")


class DecisionIn(Schema):
    approve: bool
    reason: Reason = ""


class WithdrawalIn(Schema):
    reason: Reason = ""


class ResponseIn(Schema):
    answer: Literal["accept", "decline"]
    goals: str = Field("", max_length=2000, description="Accepting: what you want from the programme.")
    aspiration: str = Field("", max_length=100)
    capacity: int | None = Field(None, ge=1, le=50, description="Accepting as a mentor or sponsor: seats.")


def _enrolment(enrolment: Enrolment) -> Enrolment:
    return Enrolment.objects.select_related("person").get(pk=enrolment.pk)


@router.get(
    "/programmes/{int:programme_id}/enrolments",
    response={200: Page[EnrolmentOut], **ERRORS},
    operation_id="enrolments_list",
)
def enrolments_list(request: HttpRequest, programme_id: int, filters: Query[EnrolmentFilters]) -> Any:
    """A programme's pool, for its managers. Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    programme = managed_programme(user, programme_id)
    enrolments = Enrolment.objects.filter(programme=programme).select_related("person")
    if filters.role:
        enrolments = enrolments.filter(role=filters.role)
    if filters.status:
        enrolments = enrolments.filter(status=filters.status)
    return paginate(enrolments, filters)


@router.post(
    "/programmes/{int:programme_id}/invitations", response={200: InviteOut, **ERRORS}, operation_id="enrolments_invite"
)
def enrolments_invite(request: HttpRequest, programme_id: int, payload: InviteIn) -> Any:
    """Invite everyone the filter selects, skipping the ineligible and those already in. Scope
    `programmes:write`."""
    user = caller(request, "programmes:write")
    programme = managed_programme(user, programme_id)
    result = enrolment_invite_by_filter(
        actor=user,
        programme=programme,
        role=payload.role,
        where=InviteFilter(
            min_level=payload.min_level,
            max_level=payload.max_level,
            departments=payload.departments,
            locations=payload.locations,
            high_potential_only=payload.high_potential_only,
        ),
    )
    return {
        "invited": len(result.invited),
        "already_enrolled": len(result.already),
        "not_eligible": len(result.not_eligible),
    }


@router.post(
    "/programmes/{int:programme_id}/applications",
    response={201: EnrolmentOut, **ERRORS},
    operation_id="enrolments_apply",
)
def enrolments_apply(request: HttpRequest, programme_id: int, payload: ApplicationIn) -> Any:
    """Apply to a programme as yourself, or accept its invitation with the same details (as on the
    programme's application page). Scope `programmes:write`."""
    user = caller(request, "programmes:write")
    person = getattr(user, "person", None)
    if person is None:
        raise ProgrammeRuleBroken("only employees take part in programmes", code="not_an_employee")
    mine = open_enrolment_in(person, programme_id)
    details: dict[str, Any] = {"aspiration": payload.aspiration}
    if payload.role == "mentor" and payload.capacity:
        details["capacity"] = payload.capacity
    if mine is not None and mine.status == EnrolmentStatus.INVITED:
        enrolment = enrolment_respond(actor=user, enrolment=mine, accept=True, goals=payload.goals, **details)
        return Status(201, _enrolment(enrolment))
    if mine is not None:
        programme = mine.programme
    else:
        # A programme one may not join answers as an unknown one (the application page's rule).
        offered = programme_open_to(person, programme_id)
        if offered is None:
            raise Http404("No such programme.")
        programme = offered[0]
    enrolment = enrolment_apply(actor=user, programme=programme, role=payload.role, goals=payload.goals, **details)
    return Status(201, _enrolment(enrolment))


@router.get("/me/enrolments", response={200: Page[EnrolmentOut], **ERRORS}, operation_id="enrolments_mine")
def enrolments_mine(request: HttpRequest, page: Query[PageQuery]) -> Any:
    """Your own enrolments, invitations and applications. Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    person = getattr(user, "person", None)
    enrolments = enrolments_of(person) if person is not None else Enrolment.objects.none()
    return paginate(enrolments.select_related("person"), page)


@router.post(
    "/enrolments/{int:enrolment_id}/approval", response={200: EnrolmentOut, **ERRORS}, operation_id="enrolments_approve"
)
def enrolments_approve(request: HttpRequest, enrolment_id: int, payload: DecisionIn) -> Any:
    """Approve or turn down an application from your direct report (or as their manager's delegate).
    Scope `programmes:write`."""
    user = caller(request, "programmes:write")
    enrolment = application_to_decide(user, enrolment_id)
    if enrolment is None:
        raise Http404("No such application waiting for you.")
    enrolment = enrolment_approve(actor=user, enrolment=enrolment, approve=payload.approve, reason=payload.reason)
    return _enrolment(enrolment)


@router.post(
    "/enrolments/{int:enrolment_id}/withdrawal",
    response={200: EnrolmentOut, **ERRORS},
    operation_id="enrolments_withdraw",
)
def enrolments_withdraw(request: HttpRequest, enrolment_id: int, payload: WithdrawalIn) -> Any:
    """Leave a programme (yourself), or take someone out of one you manage. Scope `programmes:write`."""
    user = caller(request, "programmes:write")
    enrolments = withdrawable_enrolments(user, Enrolment.objects.select_related("programme", "person"))
    enrolment = enrolments.filter(pk=enrolment_id).first()
    if enrolment is None:
        raise Http404("No such enrolment.")
    enrolment = enrolment_withdraw(actor=user, enrolment=enrolment, reason=payload.reason)
    return _enrolment(enrolment)


@router.post(
    "/enrolments/{int:enrolment_id}/response",
    response={200: EnrolmentOut, **ERRORS},
    operation_id="enrolments_respond",
)
def enrolments_respond(request: HttpRequest, enrolment_id: int, payload: ResponseIn) -> Any:
    """Accept or decline an invitation made to you (a nomination is one), as on *My programmes*. Only
    your own enrolments; one already answered is a 409. Scope `programmes:write`."""
    user = caller(request, "programmes:write")
    person = getattr(user, "person", None)
    mine = enrolments_of(person) if person is not None else Enrolment.objects.none()
    enrolment = mine.filter(pk=enrolment_id).first()
    if enrolment is None:
        raise Http404("No such enrolment.")
    details: dict[str, Any] = {}
    if payload.answer == "accept":
        details["aspiration"] = payload.aspiration
        if enrolment.role == "mentor" and payload.capacity:
            details["capacity"] = payload.capacity
    enrolment = enrolment_respond(
        actor=user, enrolment=enrolment, accept=payload.answer == "accept", goals=payload.goals, **details
    )
    return _enrolment(enrolment)
