"""Averages over what pairs recorded: check-in scores, skill gains, advocacy outcomes.

Each figure exists once, here, built by :mod:`twofold.privacy` from batches of answers, and every
page that shows it (the programme health page, the executive overview, later reports) calls the
function that builds it, so that two pages can never show two figures that differ by one answer.

The cells (the finest split any page may show) are fixed here for each kind of answer: check-ins
by programme, point and the answerer's side; skill gains by programme and direction; advocacy
outcomes by programme. A page may show any union of whole cells; a finer split (by department,
by skill) needs a finer cell for every figure of that kind, changed here at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, CharField, F, IntegerField, Max, Value, When

from twofold.people.models import MAX_PROFICIENCY
from twofold.privacy import Answers, Mean, Scale, answers_from_queryset, stated_threshold
from twofold.relationships.models import (
    AdvocacyAction,
    AdvocacyOutcome,
    CheckIn,
    CheckInPoint,
    KnowledgeTransfer,
)

SCORE_FIELDS = ("satisfaction", "psychological_safety", "progress")
SIDES = ("mentor", "mentee")
SCORE_SCALE = Scale(1, 5)
GAIN_SCALE = Scale(-MAX_PROFICIENCY, MAX_PROFICIENCY, noun="skills recorded")
OUTCOME_SCALE = Scale(0, 1, percent=True, noun="known outcomes")


@dataclass(frozen=True)
class CheckInScores:
    """A programme's check-in averages, overall and per point, all made of the same batches."""

    answered: int
    overall: dict[str, Mean]
    by_point: dict[str, dict[str, Mean]]
    # (point, side) → field → average: the finest cell, where junior mentors' answers sit beside seniors'.
    by_point_side: dict[tuple[str, str], dict[str, Mean]] = field(default_factory=dict)


# How long a programme's check-in figures are reused while no check-in is added (see check_in_scores).
CHECK_IN_SCORES_SECONDS = 60


def check_in_scores(programme_ids: Iterable[int]) -> dict[int, CheckInScores]:
    """The check-in averages of each programme, in one query whatever the number of answers.

    Points appear in their natural order and only once someone answered them.

    The figures are a function of the check-ins, which are only ever added (their scores are never
    changed, and none is deleted but with its pair or person) and whose ids only grow: the newest
    check-in's id (one look-up in the primary key) tells whether any was added since the figures were
    built. Read outside a transaction, where only committed check-ins are seen and an id is never
    given twice, the figures are kept in the cache under that id for ``CHECK_IN_SCORES_SECONDS`` (the
    bound on how long a deleted pair's answers, or an answer committed after a newer one, can be
    missed), so that the programme health page does not rebuild the batches of every answer on
    every view. Inside a transaction they are always built afresh.
    """
    ids = list(programme_ids)
    if not ids or transaction.get_connection(CheckIn.objects.db).in_atomic_block:
        return _check_in_scores(ids)
    newest = CheckIn.objects.aggregate(newest=Max("pk"))["newest"]
    programmes = ",".join(str(programme_id) for programme_id in sorted(set(ids)))
    digest = hashlib.sha256(programmes.encode()).hexdigest()[:32]
    # k is part of what the figures are made of (no comparison with it here).
    key = f"check-in-scores:{stated_threshold()}:{newest}:{digest}"
    scores = cache.get(key)
    if scores is None:
        scores = _check_in_scores(ids)
        cache.set(key, scores, CHECK_IN_SCORES_SECONDS)
    return cast(dict[int, CheckInScores], scores)


def _check_in_scores(ids: list[int]) -> dict[int, CheckInScores]:
    side = Case(
        When(person_id=F("relationship__mentor_id"), then=Value("mentor")),
        default=Value("mentee"),
        output_field=CharField(),
    )
    answers = answers_from_queryset(
        CheckIn.objects.filter(relationship__programme_id__in=ids),
        cell={"programme": F("relationship__programme_id"), "point": F("point"), "side": side},
        values={name: F(name) for name in SCORE_FIELDS},
        scale=SCORE_SCALE,
    )
    scores: dict[int, CheckInScores] = {}
    for programme_id in ids:
        answered_points = {point for _, point, _ in answers.cells(programme=programme_id)}
        overall = {name: answers.mean(name, programme=programme_id) for name in SCORE_FIELDS}
        by_point = {
            point: {name: answers.mean(name, programme=programme_id, point=point) for name in SCORE_FIELDS}
            for point in CheckInPoint.values
            if point in answered_points
        }
        by_point_side = {
            (point, side): {
                name: answers.mean(name, programme=programme_id, point=point, side=side) for name in SCORE_FIELDS
            }
            for point in CheckInPoint.values
            if point in answered_points
            for side in SIDES
        }
        scores[programme_id] = CheckInScores(
            answered=overall[SCORE_FIELDS[0]].answers if answered_points else 0,
            overall=overall if answered_points else {},
            by_point=by_point,
            by_point_side=by_point_side,
        )
    return scores


def knowledge_gain_answers(programme_ids: Iterable[int]) -> Answers:
    """The batches of proficiency gains (after minus before) of the programmes' recorded skills,
    cut by programme and direction, in one query: every gain figure is built from these."""
    return answers_from_queryset(
        KnowledgeTransfer.objects.filter(relationship__programme_id__in=list(programme_ids)),
        cell={"programme": F("relationship__programme_id"), "direction": F("direction")},
        values={"gain": F("proficiency_after") - F("proficiency_before")},
        scale=GAIN_SCALE,
    )


def knowledge_gains(programme_ids: Iterable[int]) -> dict[int, Mean]:
    """Each programme's average proficiency gain over the skills its pairs recorded, in one query."""
    ids = list(programme_ids)
    answers = knowledge_gain_answers(ids)
    return {programme_id: answers.mean("gain", programme=programme_id) for programme_id in ids}


def advocacy_came_through(programme_ids: Iterable[int]) -> dict[int, Mean]:
    """Each programme's share of advocacy actions that came through, among batches whose outcomes
    are all known (a pending outcome holds its batch back), in one query."""
    ids = list(programme_ids)
    outcome = Case(
        When(outcome=AdvocacyOutcome.SUCCEEDED, then=Value(1)),
        When(outcome=AdvocacyOutcome.DID_NOT_SUCCEED, then=Value(0)),
        default=None,
        output_field=IntegerField(),
    )
    answers = answers_from_queryset(
        AdvocacyAction.objects.filter(relationship__programme_id__in=ids),
        cell={"programme": F("relationship__programme_id")},
        values={"came_through": outcome},
        scale=OUTCOME_SCALE,
    )
    return {programme_id: answers.mean("came_through", programme=programme_id) for programme_id in ids}
