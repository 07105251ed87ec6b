"""A programme's pairs for its managers, as the pairs list page shows them (the same selector and
filters): who, since when, meetings held, and what needs a manager — never a note, a check-in answer
or a concern's text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from twofold.api.auth import caller
from twofold.api.pagination import Page, PageQuery, paginate, paginate_sorted
from twofold.api.routers.programmes import managed_programme
from twofold.api.routers.schemas import ERRORS
from twofold.relationships.models import Relationship, RelationshipState
from twofold.relationships.pairs_list import SHOW, SORTS, PairsQuery, programme_pairs
from twofold.relationships.selectors import relationship_planned_end

router = Router()

PairState = Literal[tuple(RelationshipState.values)]  # type: ignore[valid-type]
Show = Literal[tuple(name for name in SHOW if name)]  # type: ignore[valid-type]
# The pairs page's sorts, and "id" (the default: the order pages of every list come in).
Sort = Literal[("id", *SORTS)]  # type: ignore[valid-type]


class PairPersonOut(Schema):
    id: int
    employee_id: str
    name: str


class PairOut(Schema):
    id: int
    state: str
    mentor: PairPersonOut
    mentee: PairPersonOut
    proposed_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    planned_end: datetime | None = Field(description="For an active pair: when it is planned to end.")
    last_met_at: datetime | None
    meetings_held: int
    behind_on_meetings: bool
    idle: bool
    open_concern: bool
    fit_check_waiting: bool


class PairFilters(PageQuery):
    q: str = Field("", max_length=100, description="A name, or an exact employee id, of either of the pair.")
    state: PairState | None = None  # type: ignore[valid-type]
    show: Show | None = Field(  # type: ignore[valid-type]
        None, description="behind (on meetings), idle, concern (an open one), check_in (a fit check waiting)."
    )
    sort: Sort = Field(
        "id",
        description="As on the pairs page: name (mentor's, then mentee's), recent (newest proposal first), "
        "last_met (longest without a meeting; pairs that never met last), state; or id. A cursor continues "
        "the sort it was given out for, after the pair it names: pairs added while you page are neither "
        "repeated nor skipped, but a pair whose sort keys change meanwhile (a name, a state, a meeting) moves "
        "with them, so it may be listed twice or not at all. A cursor whose pair is gone is refused (400).",
    )


def _person(person: Any) -> dict[str, Any]:
    return {"id": person.pk, "employee_id": person.employee_id, "name": person.name}


def _present(pairs: Sequence[Relationship]) -> list[dict[str, Any]]:
    rows = []
    for pair in pairs:
        active = pair.state == RelationshipState.ACTIVE
        rows.append(
            {
                "id": pair.pk,
                "state": pair.state,
                "mentor": _person(pair.mentor),
                "mentee": _person(pair.mentee),
                "proposed_at": pair.proposed_at,
                "started_at": pair.started_at,
                "ended_at": pair.ended_at,
                "planned_end": relationship_planned_end(pair) if active else None,
                "last_met_at": pair.last_met_at,
                "meetings_held": pair.meetings_held,
                # The meeting clock runs for active pairs only (the page reads it with the state too).
                "behind_on_meetings": active and bool(pair.overdue),  # type: ignore[attr-defined]
                "idle": active and bool(pair.idle),  # type: ignore[attr-defined]
                "open_concern": bool(pair.open_concern),  # type: ignore[attr-defined]
                "fit_check_waiting": bool(pair.fit_check_waiting),  # type: ignore[attr-defined]
            }
        )
    return rows


@router.get("/programmes/{int:programme_id}/pairs", response={200: Page[PairOut], **ERRORS}, operation_id="pairs_list")
def pairs_list(request: HttpRequest, programme_id: int, filters: Query[PairFilters]) -> Any:
    """Every pair of a programme you manage, filtered as on its pairs page (search, state, what needs you),
    in id order or sorted as the page sorts them. Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    programme = managed_programme(user, programme_id)
    sort = filters.sort if filters.sort != "id" else ""
    query = PairsQuery.of({"q": filters.q, "state": filters.state or "", "show": filters.show or "", "sort": sort})
    rows = programme_pairs(programme=programme, query=query)
    if not sort:
        return paginate(rows, filters, _present)
    visible = Relationship.objects.filter(programme=programme)
    return paginate_sorted(rows, filters, sort=sort, keys=SORTS[sort][1], visible=visible, present=_present)
