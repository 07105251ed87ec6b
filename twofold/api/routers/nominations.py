"""Nominations: the senior mentee of a reverse-mentoring pair puts their junior mentor forward for a
sponsorship programme, and follows what became of it.

A nomination is an invitation to the nominee (``enrolments_respond`` answers it, as the nominee's
*My programmes* page does); its status here is that invitation's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from twofold.api.auth import caller
from twofold.api.pagination import Page, PageQuery, paginate_list
from twofold.api.problems import ApiProblem
from twofold.api.routers.relationships import pair_page
from twofold.api.routers.schemas import ERRORS, Id
from twofold.relationships.models import Nomination
from twofold.relationships.selectors import nomination_choices
from twofold.relationships.services import nomination_create

router = Router()


class NominationOut(Schema):
    id: int
    programme_id: int
    programme_name: str
    nominee_id: int
    nominator_id: int
    statement: str
    status: str = Field(
        description="The nominee's invitation: invited (no answer yet), pending_approval, active (accepted, in "
        "the pool), declined, withdrawn, … ; `gone` once the candidacy no longer exists."
    )
    created_at: datetime


class NominationIn(Schema):
    programme_id: Id = Field(description="A sponsorship programme taking candidates.")
    statement: str = Field(min_length=1, max_length=5000, description="Why you put them forward.")


def _nomination(nomination: Nomination) -> dict[str, Any]:
    enrolment = nomination.enrolment
    return {
        "id": nomination.pk,
        "programme_id": nomination.programme_id,
        "programme_name": nomination.programme.name,
        "nominee_id": nomination.nominee_id,
        "nominator_id": nomination.nominator_id,
        "statement": nomination.statement,
        "status": enrolment.status if enrolment is not None else "gone",
        "created_at": nomination.created_at,
    }


@router.get(
    "/relationships/{int:relationship_id}/nominations",
    response={200: Page[NominationOut], **ERRORS},
    operation_id="nominations_list",
)
def nominations_list(request: HttpRequest, relationship_id: int, page: Query[PageQuery]) -> Any:
    """The nominations made from this relationship, each with where the nominee's invitation stands. Scope
    `relationships:read`."""
    user = caller(request, "relationships:read")
    relationship = pair_page(user, relationship_id).relationship
    made = nomination_choices(relationship=relationship).made
    result = paginate_list(made, page, key=lambda nomination: nomination.pk)
    result["items"] = [_nomination(nomination) for nomination in result["items"]]
    return result


@router.post(
    "/relationships/{int:relationship_id}/nominations",
    response={201: NominationOut, **ERRORS},
    operation_id="nominations_create",
)
def nominations_create(request: HttpRequest, relationship_id: int, payload: NominationIn) -> Any:
    """As the mentee of an active or completed reverse-mentoring relationship, nominate your mentor for a
    sponsorship programme. They are invited, and join only by accepting. Scope `relationships:write`."""
    user = caller(request, "relationships:write")
    relationship = pair_page(user, relationship_id).relationship
    # The programmes the page's form offers: sponsorship programmes taking candidates that the mentor
    # was not nominated for yet. Any other id is not one to nominate for, whether or not it exists.
    offered = {programme.pk: programme for programme in nomination_choices(relationship=relationship).programmes}
    programme = offered.get(payload.programme_id)
    if programme is None:
        raise ApiProblem(
            422,
            f"programme_id: {payload.programme_id} is not a sponsorship programme taking candidates that "
            f"{relationship.mentor.name} was not nominated for already.",
            code="not_open_for_nomination",
        )
    nomination = nomination_create(
        relationship=relationship, actor=user, programme=programme, statement=payload.statement
    )
    nomination = Nomination.objects.select_related("programme", "enrolment").get(pk=nomination.pk)
    return Status(201, _nomination(nomination))
