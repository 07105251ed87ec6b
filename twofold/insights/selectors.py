"""Aggregates for executives and reports: counts and averages only, never a person's record.

Every average comes from :mod:`twofold.relationships.aggregates`, built by :mod:`twofold.privacy`:
the very figures the programme health page shows, so that no two pages differ by one answer.
Counts here are of records (pairs, meetings, skills recorded), not of anyone's answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet, Sum

from twofold.privacy import Mean
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme, ProgrammeState
from twofold.relationships.aggregates import advocacy_came_through, check_in_scores, knowledge_gains
from twofold.relationships.models import (
    AdvocacyAction,
    KnowledgeTransfer,
    Nomination,
    Relationship,
    RelationshipState,
)


@dataclass
class ProgrammeHeadline:
    programme: Programme
    mentors: int = 0
    mentees: int = 0
    pairs: dict[str, int] = field(default_factory=dict)
    meetings_held: int = 0
    skills_moved: int = 0
    mean_gain: Mean | None = None
    advocacy_actions: int = 0
    came_through: Mean | None = None
    satisfaction: Mean | None = None
    safety: Mean | None = None
    nominations: int = 0

    @property
    def active_pairs(self) -> int:
        return self.pairs.get(RelationshipState.ACTIVE, 0)

    @property
    def completed_pairs(self) -> int:
        return self.pairs.get(RelationshipState.COMPLETED, 0)


def programme_headlines(programmes: QuerySet[Programme] | None = None) -> list[ProgrammeHeadline]:
    """One headline per programme that is not a draft (of ``programmes``, by default all), in a
    fixed number of grouped queries."""
    chosen = (programmes if programmes is not None else Programme.objects.all()).exclude(state=ProgrammeState.DRAFT)
    headlines = {
        programme.pk: ProgrammeHeadline(programme=programme) for programme in chosen.order_by("kind", "-created_at")
    }
    ids = list(headlines)
    pool = (
        Enrolment.objects.filter(programme_id__in=ids, status=EnrolmentStatus.ACTIVE)
        .values("programme_id", "role")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in pool:
        headline = headlines[row["programme_id"]]
        if row["role"] == EnrolmentRole.MENTOR:
            headline.mentors = row["n"]
        else:
            headline.mentees = row["n"]
    states = Relationship.objects.filter(programme_id__in=ids).values("programme_id", "state").annotate(n=Count("pk"))
    for row in states.order_by():
        headlines[row["programme_id"]].pairs[row["state"]] = row["n"]
    # Each pair keeps its count of held meetings: summing 20,000 rows, not counting 500,000.
    held = Relationship.objects.filter(programme_id__in=ids).values("programme_id").annotate(n=Sum("meetings_held"))
    for row in held.order_by():
        headlines[row["programme_id"]].meetings_held = row["n"] or 0
    moved = KnowledgeTransfer.objects.filter(relationship__programme_id__in=ids).values("relationship__programme_id")
    for row in moved.annotate(n=Count("pk")).order_by():
        headlines[row["relationship__programme_id"]].skills_moved = row["n"]
    advocacy = AdvocacyAction.objects.filter(relationship__programme_id__in=ids).values("relationship__programme_id")
    for row in advocacy.annotate(n=Count("pk")).order_by():
        headlines[row["relationship__programme_id"]].advocacy_actions = row["n"]
    gains, outcomes, scores = knowledge_gains(ids), advocacy_came_through(ids), check_in_scores(ids)
    for pk, headline in headlines.items():
        headline.mean_gain, headline.came_through = gains[pk], outcomes[pk]
        headline.satisfaction = scores[pk].overall.get("satisfaction")
        headline.safety = scores[pk].overall.get("psychological_safety")
    nominations = Nomination.objects.filter(programme_id__in=ids).values("programme_id").annotate(n=Count("pk"))
    for row in nominations.order_by():
        headlines[row["programme_id"]].nominations = row["n"]
    return [headlines[pk] for pk in ids]


def overview_totals(headlines: list[ProgrammeHeadline]) -> dict[str, Any]:
    return {
        "programmes": len(headlines),
        "active_pairs": sum(h.active_pairs for h in headlines),
        "meetings_held": sum(h.meetings_held for h in headlines),
        "skills_moved": sum(h.skills_moved for h in headlines),
        "advocacy_actions": sum(h.advocacy_actions for h in headlines),
        "nominations": sum(h.nominations for h in headlines),
    }
