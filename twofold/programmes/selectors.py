"""Reads for programmes and enrolments, each in a bounded number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from twofold.accounts import permissions
from twofold.programmes.eligibility import Candidate, EligibilityRules, role_problem
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme
from twofold.programmes.permissions import enrolments_below


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
    """Programmes taking applications that ``person`` is not in, with the roles they may take."""
    enrolled = Enrolment.objects.filter(person=person).exclude(status__in=["withdrawn", "declined"]).values("programme")
    open_programmes = Programme.objects.filter(state__in=["enrolling", "matching", "running"]).exclude(pk__in=enrolled)
    offers = []
    candidate = Candidate.of(person)
    for programme in open_programmes.order_by("name"):
        roles = [
            (
                role,
                programme.mentor_label.capitalize()
                if role == EnrolmentRole.MENTOR
                else programme.mentee_label.capitalize(),
            )
            for role in EnrolmentRole.values
            if role_problem(EligibilityRules.of(programme), candidate, role) is None
        ]
        if roles:
            offers.append((programme, roles))
    return offers


def enrolments_of(person: Any) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(person=person).select_related("programme").order_by("-created_at")


def approvals_awaiting(person: Any) -> list[Enrolment]:
    """Applications from people below ``person`` in the management tree that wait for approval."""
    return list(
        enrolments_below(person, Enrolment.objects.filter(status=EnrolmentStatus.PENDING_APPROVAL))
        .select_related("person", "programme")
        .order_by("created_at")[:100]
    )
