"""Reads for programmes and enrolments, each in a bounded number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from twofold.accounts import permissions
from twofold.programmes.eligibility import (
    TAKING_APPLICATIONS,
    ApplicationFacts,
    Candidate,
    EligibilityRules,
    application_problem,
)
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme


def programme_pool_counts(programme: Programme) -> dict[str, dict[str, int]]:
    """Enrolments by role and status, in one grouped query."""
    counts: dict[str, dict[str, int]] = {
        role: dict.fromkeys(EnrolmentStatus.values, 0) for role in EnrolmentRole.values
    }
    rows = Enrolment.objects.filter(programme=programme).values("role", "status").annotate(n=Count("pk")).order_by()
    for row in rows:
        counts[row["role"]][row["status"]] = row["n"]
    return counts


def programmes_visible_to(user: Any) -> QuerySet[Programme]:
    """The programmes ``user`` manages (every one for an org admin), narrowed by the one rule of
    :func:`twofold.accounts.permissions.manageable_programmes`."""
    programmes = Programme.objects.annotate(
        mentor_count=Count("enrolments", filter=Q(enrolments__role=EnrolmentRole.MENTOR, enrolments__status="active")),
        mentee_count=Count("enrolments", filter=Q(enrolments__role=EnrolmentRole.MENTEE, enrolments__status="active")),
    ).order_by("-created_at")
    return permissions.manageable_programmes(user, programmes)


def programmes_open_to(person: Any) -> list[tuple[Programme, list[tuple[str, str]]]]:
    """The programmes ``person`` may apply to of their own accord, with the roles they may take: those
    :func:`~twofold.programmes.eligibility.application_problem` lets through, the rule
    ``enrolment_apply`` applies. Invite-only programmes are never among them. One query."""
    mine = Enrolment.objects.filter(programme=OuterRef("pk"), person=person).values("status")[:1]
    programmes = Programme.objects.filter(state__in=TAKING_APPLICATIONS).annotate(previous_status=Subquery(mine))
    candidate = Candidate.of(person)
    offers: list[tuple[Programme, list[tuple[str, str]]]] = []
    for programme in programmes.order_by("name"):
        rules = EligibilityRules.of(programme)
        facts = ApplicationFacts(
            state=programme.state,
            invite_only=programme.invite_only,
            previous_status=programme.previous_status,
        )
        roles = [
            (role, (programme.mentor_label if role == EnrolmentRole.MENTOR else programme.mentee_label).capitalize())
            for role in EnrolmentRole.values
            if application_problem(rules, candidate, role, facts) is None
        ]
        if roles:
            offers.append((programme, roles))
    return offers


def enrolments_of(person: Any) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(person=person).select_related("programme", "nominated_by").order_by("-created_at")


def approvals_awaiting(user: Any) -> list[Enrolment]:
    """Applications waiting for ``user`` to decide: their direct reports', and those of the managers
    who named them as delegate (:func:`~twofold.accounts.permissions.applications_to_decide`)."""
    waiting = Enrolment.objects.filter(status=EnrolmentStatus.PENDING_APPROVAL)
    return list(
        permissions.applications_to_decide(user, waiting)
        .select_related("person__manager", "programme")
        .order_by("created_at")[:100]
    )


def application_to_decide(user: Any, pk: int) -> Enrolment | None:
    """Enrolment ``pk`` if ``user`` decides it, in one query: None alike for an id that does not exist
    and for someone else's team's application."""
    return permissions.applications_to_decide(user, Enrolment.objects.select_related("person")).filter(pk=pk).first()
