"""Programmes: list, read, create, change, move through their states."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from twofold.accounts import permissions
from twofold.api.auth import caller
from twofold.api.pagination import Page, PageQuery, paginate
from twofold.api.routers.schemas import ERRORS, Level, SmallCount
from twofold.programmes.models import Programme
from twofold.programmes.selectors import managed_programme as managed_programme_or_none
from twofold.programmes.selectors import programme_pool_counts, programmes_visible_to
from twofold.programmes.services import (
    programme_create,
    programme_next_states,
    programme_transition,
    programme_update,
)

router = Router()


class ProgrammeOut(Schema):
    id: int
    name: str
    kind: Literal["reverse_mentoring", "sponsorship"]
    description: str
    state: Literal["draft", "enrolling", "matching", "running", "closed"]
    starts_on: date | None
    ends_on: date | None
    duration_months: int
    cadence_days: int
    mentor_min_level: int | None
    mentor_max_level: int | None
    mentee_min_level: int | None
    mentee_max_level: int | None
    min_level_gap: int
    max_level_gap: int | None
    requires_high_potential: bool
    invite_only: bool
    capacity: int
    requires_manager_approval: bool
    acceptance: Literal["two_sided", "one_sided"]
    matching_mode: Literal["managed", "participant_choice"]
    proposal_expiry_days: int
    allow_repeat_pairs: bool
    created_at: datetime
    updated_at: datetime


class ProgrammeDetailOut(ProgrammeOut):
    pool: dict[str, dict[str, int]] = Field(description="Enrolments by role, then by status.")
    next_states: list[str]


class ProgrammeSettings(Schema):
    """The settings a client may set; any left out keep their value (or the kind's default)."""

    description: str | None = Field(None, max_length=5000)
    starts_on: date | None = None
    ends_on: date | None = None
    duration_months: SmallCount | None = None
    cadence_days: SmallCount | None = None
    mentor_min_level: Level | None = None
    mentor_max_level: Level | None = None
    mentee_min_level: Level | None = None
    mentee_max_level: Level | None = None
    min_level_gap: Level | None = None
    max_level_gap: Level | None = None
    requires_high_potential: bool | None = None
    invite_only: bool | None = None
    capacity: SmallCount | None = None
    requires_manager_approval: bool | None = None
    acceptance: Literal["two_sided", "one_sided"] | None = None
    matching_mode: Literal["managed", "participant_choice"] | None = Field(
        None, description="managed: match runs; participant_choice: each mentee or protégé requests a partner."
    )
    proposal_expiry_days: SmallCount | None = None
    allow_repeat_pairs: bool | None = None


class ProgrammeIn(ProgrammeSettings):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["reverse_mentoring", "sponsorship"]


class ProgrammeChange(ProgrammeSettings):
    name: str | None = Field(None, min_length=1, max_length=200)


class StateMove(Schema):
    to_state: Literal["draft", "enrolling", "matching", "running", "closed"]


class ProgrammeFilters(PageQuery):
    state: Literal["draft", "enrolling", "matching", "running", "closed"] | None = None
    kind: Literal["reverse_mentoring", "sponsorship"] | None = None


def managed_programme(user: Any, pk: int) -> Programme:
    """Programme ``pk`` if ``user`` manages it; 404 alike for one that does not exist (the pages' rule)."""
    programme = managed_programme_or_none(user, pk)
    if programme is None:
        raise Http404("No such programme.")
    return programme


def _detail(programme: Programme) -> dict[str, Any]:
    out = ProgrammeOut.from_orm(programme).model_dump()
    out["pool"] = programme_pool_counts(programme)
    out["next_states"] = programme_next_states(programme)
    return out


def _settings(payload: Schema) -> dict[str, Any]:
    return {name: value for name, value in payload.model_dump(exclude_unset=True).items() if name != "kind"}


@router.get("", response={200: Page[ProgrammeOut], **ERRORS}, operation_id="programmes_list")
def programmes_list(request: HttpRequest, filters: Query[ProgrammeFilters]) -> Any:
    """The programmes you manage (every one for an org admin). Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    permissions.authorize(user, "programmes.create")
    programmes = programmes_visible_to(user)
    if filters.state:
        programmes = programmes.filter(state=filters.state)
    if filters.kind:
        programmes = programmes.filter(kind=filters.kind)
    return paginate(programmes, filters)


@router.post("", response={201: ProgrammeDetailOut, **ERRORS}, operation_id="programmes_create")
def programmes_create(request: HttpRequest, payload: ProgrammeIn) -> Any:
    """A new programme, in draft, with the kind's defaults for what is left out. Scope `programmes:write`."""
    user = caller(request, "programmes:write")
    settings = _settings(payload)
    programme = programme_create(actor=user, name=settings.pop("name"), kind=payload.kind, **settings)
    return Status(201, _detail(programme))


@router.get("/{int:programme_id}", response={200: ProgrammeDetailOut, **ERRORS}, operation_id="programmes_read")
def programmes_read(request: HttpRequest, programme_id: int) -> Any:
    """One programme you manage, with its pool. Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    return _detail(managed_programme(user, programme_id))


@router.patch("/{int:programme_id}", response={200: ProgrammeDetailOut, **ERRORS}, operation_id="programmes_update")
def programmes_update(request: HttpRequest, programme_id: int, payload: ProgrammeChange) -> Any:
    """Change settings of a programme you manage. Scope `programmes:write`."""
    user = caller(request, "programmes:write")
    programme = managed_programme(user, programme_id)
    return _detail(programme_update(actor=user, programme=programme, **_settings(payload)))


@router.post("/{int:programme_id}/state", response={200: ProgrammeDetailOut, **ERRORS}, operation_id="programmes_move")
def programmes_move(request: HttpRequest, programme_id: int, payload: StateMove) -> Any:
    """Move a programme along an allowed edge (draft → enrolling → matching → running → closed). Scope
    `programmes:write`."""
    user = caller(request, "programmes:write")
    programme = managed_programme(user, programme_id)
    return _detail(programme_transition(actor=user, programme=programme, to_state=payload.to_state))
