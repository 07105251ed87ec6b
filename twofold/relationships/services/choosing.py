"""Who may choose a partner now (participant choice): the one statement of the rule that a request
for a partner (:func:`twofold.matchruns.choice.partner_request`) checks before anything about the
partner, that the choosing page explains, and that My programmes offers the choice by."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from twofold.accounts.permissions import allowed
from twofold.programmes.models import Enrolment, Programme
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.pairing import partnered_mentees
from twofold.relationships.request_limit import request_limit_refusal
from twofold.relationships.services.proposing import participant_refusal, require_participant_choice
from twofold.relationships.services.steps import proposing_refusal


def _programme_refusal(programme: Programme) -> RelationshipRuleBroken | None:
    """The programme's half of :func:`choosing_refusal`, read without a query."""
    try:
        require_participant_choice(programme)
    except RelationshipRuleBroken as refusal:
        return refusal
    return proposing_refusal(programme)


def choosing_refusal(*, enrolment: Enrolment, partnered: bool | None = None) -> RelationshipRuleBroken | None:
    """Why ``enrolment``'s person may not ask for a partner now, or None when they may: the programme
    lets its participants choose, it is matching or running, and the enrolment may be paired (in the
    pool, still eligible, without an open request or partner: :func:`participant_refusal`).

    Who may ask in the enrolment's name is the ``relationships.request`` permission's to say.
    ``partnered`` as for :func:`participant_refusal`.
    """
    programme = enrolment.programme
    return _programme_refusal(programme) or participant_refusal(
        programme=programme, enrolment=enrolment, partnered=partnered
    )


def enrolments_choosing(*, actor: Any, enrolments: Sequence[Enrolment], now: datetime | None = None) -> list[Enrolment]:
    """Those of ``enrolments`` in which ``actor`` may ask for a partner at ``now`` (default: the
    clock's now): exactly where :func:`~twofold.matchruns.choice.partner_request` given the same
    ``now`` takes a request (given a partner it allows), the limit on requests made lately
    (:func:`request_limit_refusal`) included.

    Enrolments the programme's half of the rule refuses cost no query; the rest cost one query for
    their people, one per programme for the open relationships and one each for the limit.
    """
    wanted = [enrolment.pk for enrolment in enrolments if _programme_refusal(enrolment.programme) is None]
    if not wanted:
        return []
    rows = list(Enrolment.objects.filter(pk__in=wanted).select_related("programme", "person").order_by("pk"))
    partnered: set[int] = set()
    for programme in {row.programme_id: row.programme for row in rows}.values():
        partnered |= partnered_mentees(programme, [row.pk for row in rows if row.programme_id == programme.pk])
    choosing = {
        row.pk
        for row in rows
        if allowed(actor, "relationships.request", row)
        and choosing_refusal(enrolment=row, partnered=row.pk in partnered) is None
        and request_limit_refusal(enrolment=row, now=now) is None
    }
    return [enrolment for enrolment in enrolments if enrolment.pk in choosing]
