"""What a pair records on their page, through the API: knowledge transfer, a sponsor's advocacy
actions, and each person's own check-ins.

Only the two of a pair reach these (anyone else gets the 404 of an unknown relationship, programme
managers included); the services decide the rest (who records advocacy, which check-in is open). A
programme's managers read check-ins only as the health page's aggregates (``checkins_scores``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from twofold.api.auth import caller
from twofold.api.pagination import Page, PageQuery, paginate_list
from twofold.api.problems import ApiProblem
from twofold.api.routers.insights import MeanOut, present_mean
from twofold.api.routers.programmes import managed_programme
from twofold.api.routers.relationships import pair_page
from twofold.api.routers.schemas import ERRORS, Id
from twofold.people.models import MAX_PROFICIENCY, Skill
from twofold.relationships.aggregates import SCORE_FIELDS
from twofold.relationships.models import AdvocacyKind, AdvocacyOutcome, CheckIn, CheckInPoint
from twofold.relationships.selectors import RelationshipPage, programme_health
from twofold.relationships.services import (
    OUTCOME_NOTE_MAX_LENGTH,
    advocacy_action_record,
    advocacy_action_set_outcome,
    check_in_submit,
    knowledge_transfer_record,
)

router = Router()

Proficiency = Field(ge=0, le=MAX_PROFICIENCY, description=f"0 (none) to {MAX_PROFICIENCY} (expert).")
Score = Field(ge=1, le=5, description="1 (low) to 5 (high).")


# --- knowledge transfer ----------------------------------------------------------------------------


class KnowledgeOut(Schema):
    id: int
    skill_id: int
    skill_name: str
    direction: Literal["mentor_to_mentee", "mentee_to_mentor"]
    proficiency_before: int
    proficiency_after: int
    note: str
    recorded_on: date
    recorded_by_id: int | None
    created_at: datetime


class KnowledgeIn(Schema):
    skill_id: Id
    direction: Literal["mentor_to_mentee", "mentee_to_mentor"] = "mentor_to_mentee"
    proficiency_before: int = Proficiency
    proficiency_after: int = Proficiency
    note: str = Field("", max_length=5000)
    recorded_on: date | None = Field(None, description="When it was learnt; today if left out.")


def _knowledge(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "skill_id": entry.skill_id,
        "skill_name": entry.skill.name,
        "direction": entry.direction,
        "proficiency_before": entry.proficiency_before,
        "proficiency_after": entry.proficiency_after,
        "note": entry.note,
        "recorded_on": entry.recorded_on,
        "recorded_by_id": entry.recorded_by_id,
        "created_at": entry.created_at,
    }


@router.get(
    "/relationships/{int:relationship_id}/knowledge",
    response={200: Page[KnowledgeOut], **ERRORS},
    operation_id="knowledge_list",
)
def knowledge_list(request: HttpRequest, relationship_id: int, page: Query[PageQuery]) -> Any:
    """The skills that moved between the pair, as their page lists them. Scope `relationships:read`."""
    user = caller(request, "relationships:read")
    entries = pair_page(user, relationship_id).knowledge_transfers
    result = paginate_list(entries, page, key=lambda entry: entry.pk)
    result["items"] = [_knowledge(entry) for entry in result["items"]]
    return result


@router.post(
    "/relationships/{int:relationship_id}/knowledge",
    response={201: KnowledgeOut, **ERRORS},
    operation_id="knowledge_record",
)
def knowledge_record(request: HttpRequest, relationship_id: int, payload: KnowledgeIn) -> Any:
    """Record a skill one of an active pair taught the other, and how far it moved. Scope
    `relationships:write`."""
    user = caller(request, "relationships:write")
    page = pair_page(user, relationship_id)
    skill = Skill.objects.filter(pk=payload.skill_id).first()
    if skill is None:
        raise ApiProblem(422, f"skill_id: there is no skill {payload.skill_id}.", code="unknown_skill")
    entry = knowledge_transfer_record(
        relationship=page.relationship,
        actor=user,
        skill=skill,
        direction=payload.direction,
        proficiency_before=payload.proficiency_before,
        proficiency_after=payload.proficiency_after,
        note=payload.note,
        recorded_on=payload.recorded_on,
    )
    return Status(201, _knowledge(entry))


# --- advocacy actions ------------------------------------------------------------------------------


AdvocacyKindName = Literal[tuple(AdvocacyKind.values)]  # type: ignore[valid-type]
AdvocacyOutcomeName = Literal[tuple(AdvocacyOutcome.values)]  # type: ignore[valid-type]


class AdvocacyOut(Schema):
    id: int
    kind: str
    happened_on: date
    description: str
    outcome: AdvocacyOutcomeName  # type: ignore[valid-type]
    outcome_note: str
    recorded_by_id: int | None
    created_at: datetime


class AdvocacyIn(Schema):
    kind: AdvocacyKindName  # type: ignore[valid-type]
    happened_on: date
    description: str = Field(min_length=1, max_length=5000)


@router.get(
    "/relationships/{int:relationship_id}/advocacy",
    response={200: Page[AdvocacyOut], **ERRORS},
    operation_id="advocacy_list",
)
def advocacy_list(request: HttpRequest, relationship_id: int, page: Query[PageQuery]) -> Any:
    """What the sponsor of a sponsorship did for their protégé (none in reverse mentoring). Scope
    `relationships:read`."""
    user = caller(request, "relationships:read")
    actions = pair_page(user, relationship_id).advocacy_actions
    return paginate_list(actions, page, key=lambda action: action.pk)


@router.post(
    "/relationships/{int:relationship_id}/advocacy",
    response={201: AdvocacyOut, **ERRORS},
    operation_id="advocacy_record",
)
def advocacy_record(request: HttpRequest, relationship_id: int, payload: AdvocacyIn) -> Any:
    """The sponsor of an active sponsorship records something they did for their protégé. Scope
    `relationships:write`."""
    user = caller(request, "relationships:write")
    page = pair_page(user, relationship_id)
    action = advocacy_action_record(
        relationship=page.relationship,
        actor=user,
        kind=payload.kind,
        happened_on=payload.happened_on,
        description=payload.description,
    )
    return Status(201, action)


class AdvocacyOutcomeIn(Schema):
    outcome: AdvocacyOutcomeName  # type: ignore[valid-type]
    note: str = Field("", max_length=OUTCOME_NOTE_MAX_LENGTH, description="What came of it, in a few words.")


@router.post(
    "/relationships/{int:relationship_id}/advocacy/{int:action_id}/outcome",
    response={200: AdvocacyOut, **ERRORS},
    operation_id="advocacy_set_outcome",
)
def advocacy_set_outcome(request: HttpRequest, relationship_id: int, action_id: int, payload: AdvocacyOutcomeIn) -> Any:
    """The sponsor says what came of one of their advocacy actions, as on the pair's page: while the
    sponsorship is active and after it ended (outcomes often come later). Scope `relationships:write`."""
    user = caller(request, "relationships:write")
    page = pair_page(user, relationship_id)
    action = next((action for action in page.advocacy_actions if action.pk == action_id), None)
    if action is None:
        raise ApiProblem(404, "No such advocacy action in this relationship.", code="not_found")
    return advocacy_action_set_outcome(action=action, actor=user, outcome=payload.outcome, note=payload.note)


# --- check-ins -------------------------------------------------------------------------------------

Point = Literal["fit", "midpoint", "end", "closing"]
POINTS: list[str] = list(CheckInPoint.values)


class CheckInAnswerOut(Schema):
    satisfaction: int
    psychological_safety: int
    progress: int
    comment: str
    would_recommend: bool | None
    submitted_at: datetime


class CheckInOut(Schema):
    point: Point
    label: str
    status: Literal["due", "answered"]
    answer: CheckInAnswerOut | None = Field(description="Your own answer; your partner's is never shown.")


class CheckInIn(Schema):
    point: Point
    satisfaction: int = Score
    psychological_safety: int = Score
    progress: int = Score
    comment: str = Field("", max_length=5000)
    would_recommend: bool | None = Field(None, description="The closing survey only.")


def _check_ins(page: RelationshipPage) -> list[dict[str, Any]]:
    """The page's check-ins of the viewer: those answered, with the answer, and those due."""
    answered: dict[str, CheckIn] = {check_in.point: check_in for check_in in page.check_ins_done}
    rows = []
    for point in POINTS:
        check_in = answered.get(point)
        if check_in is None and point not in page.check_ins_due:
            continue
        rows.append(
            {
                "point": point,
                "label": CheckInPoint(point).label,
                "status": "answered" if check_in is not None else "due",
                "answer": None
                if check_in is None
                else {
                    "satisfaction": check_in.satisfaction,
                    "psychological_safety": check_in.psychological_safety,
                    "progress": check_in.progress,
                    "comment": check_in.comment,
                    "would_recommend": check_in.would_recommend,
                    "submitted_at": check_in.submitted_at,
                },
            }
        )
    return rows


def _position(row: dict[str, Any]) -> int:
    return POINTS.index(row["point"]) + 1


@router.get(
    "/relationships/{int:relationship_id}/check-ins",
    response={200: Page[CheckInOut], **ERRORS},
    operation_id="checkins_list",
)
def checkins_list(request: HttpRequest, relationship_id: int, page: Query[PageQuery]) -> Any:
    """Your check-ins in this relationship: those you answered (with your answers) and those due now, in
    the order of the programme (fit, mid-point, end, closing). Scope `relationships:read`."""
    user = caller(request, "relationships:read")
    return paginate_list(_check_ins(pair_page(user, relationship_id)), page, key=_position)


@router.post(
    "/relationships/{int:relationship_id}/check-ins",
    response={201: CheckInOut, **ERRORS},
    operation_id="checkins_answer",
)
def checkins_answer(request: HttpRequest, relationship_id: int, payload: CheckInIn) -> Any:
    """Answer one of your own check-ins once it is open; once per point. Your partner never sees your
    answers, and the programme's managers see them only averaged. Scope `relationships:write`."""
    user = caller(request, "relationships:write")
    page = pair_page(user, relationship_id)
    check_in_submit(
        relationship=page.relationship,
        actor=user,
        point=payload.point,
        satisfaction=payload.satisfaction,
        psychological_safety=payload.psychological_safety,
        progress=payload.progress,
        comment=payload.comment,
        would_recommend=payload.would_recommend,
    )
    answered = next(row for row in _check_ins(pair_page(user, relationship_id)) if row["point"] == payload.point)
    return Status(201, answered)


class CheckInScoresOut(Schema):
    answered: int = Field(description="Check-ins answered in the programme.")
    overall: dict[str, MeanOut] = Field(description="satisfaction, psychological_safety, progress.")
    by_point: dict[str, dict[str, MeanOut]] = Field(description="The same averages per check-in point answered.")


@router.get(
    "/programmes/{int:programme_id}/check-ins",
    response={200: CheckInScoresOut, **ERRORS},
    operation_id="checkins_scores",
)
def checkins_scores(request: HttpRequest, programme_id: int) -> Any:
    """A programme's check-in averages for its managers, as its health page shows them: only the
    averages the privacy rules release, never one person's answer. Scope `programmes:read`."""
    user = caller(request, "programmes:read")
    scores = programme_health(programme=managed_programme(user, programme_id)).scores
    return {
        "answered": scores.answered,
        "overall": {name: present_mean(scores.overall[name]) for name in SCORE_FIELDS if name in scores.overall},
        "by_point": {
            point: {name: present_mean(means[name]) for name in SCORE_FIELDS if name in means}
            for point, means in scores.by_point.items()
        },
    }
