"""Aggregates for executives and reports: counts and averages only, never a person's record.

Anything split by a self-identified attribute must come through :mod:`twofold.privacy`, which
hides groups under the privacy threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, F, Q, Sum

from twofold.privacy import large_enough
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme, ProgrammeState
from twofold.relationships.models import (
    AdvocacyAction,
    AdvocacyOutcome,
    CheckIn,
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
    mean_gain: float | None = None
    advocacy_actions: int = 0
    advocacy_succeeded: int = 0
    satisfaction: float | None = None
    safety: float | None = None
    nominations: int = 0

    @property
    def active_pairs(self) -> int:
        return self.pairs.get(RelationshipState.ACTIVE, 0)

    @property
    def completed_pairs(self) -> int:
        return self.pairs.get(RelationshipState.COMPLETED, 0)


def programme_headlines() -> list[ProgrammeHeadline]:
    """One headline per programme that is not a draft, in a fixed number of grouped queries."""
    programmes = list(Programme.objects.exclude(state=ProgrammeState.DRAFT).order_by("kind", "-created_at"))
    headlines = {programme.pk: ProgrammeHeadline(programme=programme) for programme in programmes}
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
    moved = (
        KnowledgeTransfer.objects.filter(relationship__programme_id__in=ids)
        .values("relationship__programme_id")
        .annotate(n=Count("pk"), gain=Avg(F("proficiency_after") - F("proficiency_before")))
        .order_by()
    )
    for row in moved:
        headline = headlines[row["relationship__programme_id"]]
        headline.skills_moved, headline.mean_gain = row["n"], row["gain"]
    advocacy = (
        AdvocacyAction.objects.filter(relationship__programme_id__in=ids)
        .values("relationship__programme_id")
        .annotate(n=Count("pk"), succeeded=Count("pk", filter=Q(outcome=AdvocacyOutcome.SUCCEEDED)))
        .order_by()
    )
    for row in advocacy:
        headline = headlines[row["relationship__programme_id"]]
        headline.advocacy_actions, headline.advocacy_succeeded = row["n"], row["succeeded"]
    pulse = (
        CheckIn.objects.filter(relationship__programme_id__in=ids)
        .values("relationship__programme_id")
        .annotate(n=Count("pk"), satisfaction=Avg("satisfaction"), safety=Avg("psychological_safety"))
        .order_by()
    )
    for row in pulse:
        if not large_enough(row["n"]):
            continue  # a handful of answers would show someone's own
        headline = headlines[row["relationship__programme_id"]]
        headline.satisfaction, headline.safety = row["satisfaction"], row["safety"]
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
