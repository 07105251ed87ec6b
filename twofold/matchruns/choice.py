"""Participant choice: a mentee's (protégé's) best allowed partners as the matching engine ranks them,
and the request of one.

The ranking is the engine's (:func:`twofold.matching.rank_partners`) over the pool a match run would
read (:func:`~twofold.matchruns.matching_input.programme_pool`, with the programme's policy from
:func:`~twofold.programmes.matching_policy.programme_policy`): the same people let through, the same
pairs kept apart, the same scores, and the reasons of :func:`~twofold.programmes.why_matched.match_reasons`
that the review board and the pair's page show. A request is a proposal made by
:func:`~twofold.relationships.services.relationship_request`, which checks every rule again on
locked rows and holds the partner's seat while the request waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from twofold.accounts.permissions import require
from twofold.matching import MatchedPair, PolicyError, RosterError, TreeError, build_problem, rank_partners
from twofold.matchruns.matching_input import Pool, programme_pool
from twofold.programmes.matching_policy import programme_policy
from twofold.programmes.models import Enrolment, EnrolmentRole, Programme
from twofold.programmes.why_matched import MatchReason, match_reasons
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.models import OPEN_STATES, Relationship
from twofold.relationships.selectors import PartnerProfile, enrolment_profiles
from twofold.relationships.services import choosing_refusal, pair_refusal, relationship_request, request_limit_refusal

# How many partners a mentee is shown, best first.
CHOICES_SHOWN = 8


@dataclass(frozen=True)
class PartnerChoice:
    """One partner a mentee may ask: their enrolment (with the person), the engine's score and its
    breakdown, the reasons in words, and what the partner wrote when they joined."""

    enrolment: Enrolment
    score: float
    breakdown: dict[str, float]
    reasons: list[MatchReason]
    profile: PartnerProfile

    @property
    def seats_left(self) -> int:
        return self.enrolment.seats_free


@dataclass
class ChoicePage:
    """What a mentee of a participant-choice programme sees: the partners to choose from, or why
    there are none to choose now (``closed``), the request or pair they have already, and why they may
    not ask anyone just now though the partners are listed (``request_limit``: they asked too many lately)."""

    programme: Programme
    enrolment: Enrolment
    choices: list[PartnerChoice] = field(default_factory=list)
    closed: str = ""
    current: Relationship | None = None
    request_limit: str = ""


@dataclass(frozen=True)
class _Ranking:
    """The engine's ranked pairs for one mentee, the pool their ids come from, and the weights the
    pairs were scored with."""

    pairs: list[MatchedPair]
    pool: Pool
    weights: dict[str, float]

    def partner(self, pair: MatchedPair) -> Enrolment:
        return self.pool.enrolments[pair.left_id]


def _ranking(programme: Programme, enrolment: Enrolment, *, limit: int | None) -> _Ranking:
    try:
        policy = programme_policy(programme)
        pool = programme_pool(programme)
        if enrolment.person.employee_id not in pool.enrolments:
            return _Ranking(pairs=[], pool=pool, weights={})
        problem = build_problem(pool.records, policy).problem
        ranked = rank_partners(problem, enrolment.person.employee_id, limit=limit)
    except (PolicyError, RosterError, TreeError):
        # The details are for the programme's managers (a match run, or saving its settings, shows them).
        raise RelationshipRuleBroken(
            f"The partners for {programme.name} cannot be worked out now: its matching settings need a "
            "programme manager's attention.",
            code="ranking_failed",
        ) from None
    weights = {name: weight for name, weight in policy.weights.as_dict().items() if weight}
    return _Ranking(pairs=list(ranked), pool=pool, weights=weights)


def partner_choices(*, enrolment: Enrolment, limit: int = CHOICES_SHOWN) -> ChoicePage:
    """The best ``limit`` partners ``enrolment`` (a mentee's, in a participant-choice programme) may
    ask now, best first, each with the reasons and the partner's profile; or why they may not choose.

    Reads the whole pool and the directory (as a match run does) and ranks one person's partners:
    O(directory + pool) rows, a fixed number of queries.
    """
    programme = enrolment.programme
    page = ChoicePage(programme=programme, enrolment=enrolment)
    page.current = (
        Relationship.objects.filter(programme=programme, mentee_enrolment=enrolment, state__in=OPEN_STATES)
        .select_related("mentor")
        .first()
    )
    closed = choosing_refusal(enrolment=enrolment)
    if closed is not None:
        page.closed = closed.message
        return page
    asked_enough = request_limit_refusal(enrolment=enrolment) if page.current is None else None
    page.request_limit = "" if asked_enough is None else asked_enough.message
    try:
        ranking = _ranking(programme, enrolment, limit=limit)
    except RelationshipRuleBroken as refusal:
        page.closed = refusal.message
        return page
    partners = [ranking.partner(pair) for pair in ranking.pairs]
    profiles = enrolment_profiles(own=enrolment, partners=partners)
    page.choices = [
        PartnerChoice(
            enrolment=partner,
            score=round(pair.score, 6),
            breakdown={name: round(value, 6) for name, value in pair.breakdown.items()},
            reasons=match_reasons(
                breakdown=pair.breakdown,
                weights=ranking.weights,
                mentor_label=programme.mentor_label,
                mentee_label=programme.mentee_label,
            ),
            profile=profiles[partner.pk],
        )
        for pair, partner in zip(ranking.pairs, partners, strict=True)
    ]
    if not page.choices:
        page.closed = (
            f"No {programme.mentor_label} with a free seat fits you now under the programme's rules. "
            "Look again later: seats come free when requests are declined or expire."
        )
    return page


def partner_request(
    *, actor: Any, enrolment: Enrolment, partner: Enrolment, now: datetime | None = None
) -> Relationship:
    """``enrolment``'s person (a mentee or protégé) asks ``partner`` (a mentor's or sponsor's enrolment
    in the same programme) to be their partner.

    Refused with the rule it breaks (:class:`RelationshipRuleBroken`): the programme does not let
    people choose, it is not matching or running, the mentee already has an open request or a
    partner, the pair breaks a hard rule (reporting line, level gap, asked to avoid, declined or paired
    before), no seat is left, or the partner is not among those the engine allows for them. The
    request holds one of the partner's seats until it is answered or expires.
    """
    enrolment = Enrolment.objects.select_related("programme", "person").get(pk=enrolment.pk)
    require(actor, "relationships.request", enrolment)
    programme = enrolment.programme
    closed = choosing_refusal(enrolment=enrolment)
    if closed is not None:
        raise closed
    partner = Enrolment.objects.select_related("person").get(pk=partner.pk)
    if partner.programme_id != programme.pk or partner.role != EnrolmentRole.MENTOR:
        raise RelationshipRuleBroken(
            f"{partner.person.name} is not a {programme.mentor_label} in {programme.name}.", code="not_a_partner"
        )
    refusal = pair_refusal(programme=programme, mentor_enrolment=partner, mentee_enrolment=enrolment)
    if refusal is not None:
        raise refusal
    ranking = _ranking(programme, enrolment, limit=None)
    chosen = next((pair for pair in ranking.pairs if ranking.partner(pair).pk == partner.pk), None)
    if chosen is None:
        raise RelationshipRuleBroken(
            f"{partner.person.name} is not among the {programme.mentor_label}s the matching allows for you.",
            code="not_a_choice",
        )
    return relationship_request(
        actor=actor,
        mentee_enrolment=enrolment,
        mentor_enrolment=partner,
        score=round(chosen.score, 6),
        breakdown={name: round(value, 6) for name, value in chosen.breakdown.items()},
        weights=ranking.weights,
        now=now,
    )
