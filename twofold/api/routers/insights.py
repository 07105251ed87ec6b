"""Insights as JSON: each programme's headline figures, aggregates only, as the overview shows them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from twofold.accounts import permissions
from twofold.api.auth import caller
from twofold.api.routers.schemas import ERRORS
from twofold.insights.selectors import programme_headlines
from twofold.privacy import Mean
from twofold.programmes.models import Programme

router = Router()


class MeanOut(Schema):
    value: float | None
    low: float | None
    high: float | None
    answers: int
    counted: int


class HeadlineOut(Schema):
    programme_id: int
    programme_name: str
    kind: str
    state: str
    mentors: int
    mentees: int
    pairs: dict[str, int]
    meetings_held: int
    skills_moved: int
    advocacy_actions: int
    nominations: int
    mean_knowledge_gain: MeanOut | None
    advocacy_came_through: MeanOut | None
    satisfaction: MeanOut | None
    psychological_safety: MeanOut | None


def present_mean(mean: Mean | None) -> dict[str, Any] | None:
    if mean is None:
        return None
    # A mean over fewer answers than the privacy module releases has no value and no range.
    return {"value": mean.value, "low": mean.low, "high": mean.high, "answers": mean.answers, "counted": mean.counted}


@router.get("/insights/programmes", response={200: list[HeadlineOut], **ERRORS}, operation_id="insights_programmes")
def insights_programmes(request: HttpRequest) -> Any:
    """Each programme's headline figures (not drafts): the pool, pairs by state, meetings, skills moved,
    advocacy, nominations, and the averages the privacy rules release. Executives and org admins see
    every programme, programme managers theirs. Scope `insights:read`."""
    user = caller(request, "insights:read")
    permissions.authorize(user, "overview.view")
    programmes = permissions.insight_programmes(user, Programme.objects.all())
    return [
        {
            "programme_id": headline.programme.pk,
            "programme_name": headline.programme.name,
            "kind": headline.programme.kind,
            "state": headline.programme.state,
            "mentors": headline.mentors,
            "mentees": headline.mentees,
            "pairs": headline.pairs,
            "meetings_held": headline.meetings_held,
            "skills_moved": headline.skills_moved,
            "advocacy_actions": headline.advocacy_actions,
            "nominations": headline.nominations,
            "mean_knowledge_gain": present_mean(headline.mean_gain),
            "advocacy_came_through": present_mean(headline.came_through),
            "satisfaction": present_mean(headline.satisfaction),
            "psychological_safety": present_mean(headline.safety),
        }
        for headline in programme_headlines(programmes)
    ]
