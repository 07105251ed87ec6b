"""Insights as JSON: each programme's headline figures, aggregates only, as the overview shows them.

The figures are read from the same snapshot as the page across programmes
(:mod:`twofold.insights.snapshots`), computed by the worker with the same privacy rules, and come
with the moment they were computed; reading a view never computed, or older than the setting
allows, queues its refresh exactly as opening the page does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from twofold.accounts import permissions
from twofold.api.auth import caller
from twofold.api.routers.schemas import ERRORS
from twofold.insights.models import RefreshStatus
from twofold.insights.selectors import ProgrammeHeadline
from twofold.insights.snapshots import OverviewReport, View, snapshot_read
from twofold.privacy import Mean
from twofold.programmes.models import Programme, ProgrammeState

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


class HeadlinesOut(Schema):
    status: str
    computed_at: datetime | None
    as_of: date | None
    programmes: list[HeadlineOut]
    pending_programme_ids: list[int]


def present_headline(headline: ProgrammeHeadline) -> dict[str, Any]:
    return {
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


@router.get(
    "/insights/programmes",
    response={200: HeadlinesOut, 202: HeadlinesOut, **ERRORS},
    operation_id="insights_programmes",
)
def insights_programmes(request: HttpRequest) -> Any:
    """Each programme's headline figures (not drafts): the pool, pairs by state, meetings, skills moved,
    advocacy, nominations, and the averages the privacy rules release. Executives and org admins see
    every programme, programme managers theirs. Scope `insights:read`.

    The figures are those of the insights page across programmes, as last computed (`computed_at`,
    describing the records as of `as_of`); `status` says whether a refresh is under way (`queued`,
    `running`) or `idle`. Figures older than the server allows, or never computed, are queued for a
    refresh by this call, as opening the page does. 202 with no programmes: never computed yet, ask
    again later. `pending_programme_ids`: programmes started since, not in these figures yet."""
    user = caller(request, "insights:read")
    permissions.authorize(user, "overview.view")
    started = Programme.objects.exclude(state=ProgrammeState.DRAFT).order_by("pk")
    visible = list(permissions.insight_programmes(user, started).values_list("pk", flat=True))
    shown = set(visible)
    snapshot, content = snapshot_read(user, View(programme=None))
    report = content if isinstance(content, OverviewReport) else None
    body = {
        "status": snapshot.status if snapshot is not None else RefreshStatus.QUEUED,
        "computed_at": snapshot.computed_at if report is not None and snapshot is not None else None,
        "as_of": report.as_of if report is not None else None,
        "programmes": [
            present_headline(headline)
            for pk, headline in (report.headlines.items() if report is not None else ())
            if pk in shown
        ],
        "pending_programme_ids": [pk for pk in visible if report is None or pk not in report.headlines],
    }
    return Status(200 if report is not None else 202, body)
