"""Proposing a pair: the hard rules a pair must pass, read without locks (:func:`pair_refusal`,
:func:`participant_refusal`) or under them; a proposal made for the pair, a mentee's request for a
partner, and taking that request back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from twofold.accounts.permissions import authorize
from twofold.people.models import Person
from twofold.programmes.eligibility import Candidate, EligibilityRules, level_gap_problem, participant_problem
from twofold.programmes.models import Acceptance, Enrolment, EnrolmentRole, Programme
from twofold.relationships.errors import RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.models import Answer, Relationship, RelationshipState
from twofold.relationships.pairing import history_refusal, pair_history, partnered_mentees, pool_place
from twofold.relationships.reminders.proposals import proposal_emails_later
from twofold.relationships.request_limit import request_limit_refusal
from twofold.relationships.services.steps import (
    _announce,
    _locked,
    _move,
    _release_seat,
    _state_label,
    proposing_refusal,
)


def _pair_refusal(
    *, programme: Programme, mentor_enrolment: Enrolment, mentee_enrolment: Enrolment, mentor: Person, mentee: Person
) -> RelationshipRuleBroken | None:
    """The first hard rule this pair breaks, read from locked rows; None when the pair may be proposed.

    The rules are the ones the match-run translation applies to a whole pool (see
    :mod:`twofold.relationships.pairing`); only "the two enrolments fit this pair" is particular to
    checking one pair.
    """
    for enrolment, role, person in (
        (mentor_enrolment, EnrolmentRole.MENTOR, mentor),
        (mentee_enrolment, EnrolmentRole.MENTEE, mentee),
    ):
        label = programme.mentor_label if role == EnrolmentRole.MENTOR else programme.mentee_label
        if enrolment.programme_id != programme.pk:
            return RelationshipRuleBroken(f"{person.name} is not enrolled in {programme.name}.", code="wrong_programme")
        if enrolment.role != role:
            return RelationshipRuleBroken(
                f"{person.name} is enrolled as {enrolment.get_role_display().lower()}, not as {label}.",
                code="wrong_role",
            )

    for enrolment, person in ((mentor_enrolment, mentor), (mentee_enrolment, mentee)):
        refusal = _participant_refusal(programme=programme, enrolment=enrolment, person=person)
        if refusal is not None:
            return refusal

    gap_problem = level_gap_problem(
        EligibilityRules.of(programme), mentor=Candidate.of(mentor), mentee=Candidate.of(mentee)
    )
    if gap_problem is not None:
        return RelationshipRuleBroken(gap_problem, code="level_gap")

    # The tree paths come from the rows just locked, so a reorganisation committed a moment ago counts;
    # the direct-manager test also covers people added since the tree was last written.
    if mentor.in_reporting_line_with(mentee):
        return RelationshipRuleBroken(
            f"{mentor.name} and {mentee.name} are in the same reporting chain, where a candid relationship is "
            "not possible.",
            code="same_reporting_chain",
        )

    return history_refusal(
        programme,
        pair_history(programme, (mentor.pk, mentee.pk)),
        mentor_id=mentor.pk,
        mentor_name=mentor.name,
        mentee_id=mentee.pk,
        mentee_name=mentee.name,
    )


def _participant_refusal(
    *, programme: Programme, enrolment: Enrolment, person: Person, partnered: bool | None = None
) -> RelationshipRuleBroken | None:
    if partnered is None:
        partnered = enrolment.role == EnrolmentRole.MENTEE and bool(partnered_mentees(programme, [enrolment.pk]))
    problem = participant_problem(
        EligibilityRules.of(programme), Candidate.of(person), pool_place(enrolment, partnered=partnered)
    )
    return None if problem is None else RelationshipRuleBroken(problem.message, code=problem.code)


def participant_refusal(
    *, programme: Programme, enrolment: Enrolment, partnered: bool | None = None
) -> RelationshipRuleBroken | None:
    """Why this enrolment of ``programme`` may not be paired with anyone now, or None: one person's
    half of :func:`pair_refusal`, the rule the match-run translation applies to everyone in the pool.
    ``partnered`` (whether a mentee has an open relationship in the programme) is read here unless
    the caller read it for many enrolments at once (:func:`~twofold.relationships.pairing.partnered_mentees`)."""
    return _participant_refusal(programme=programme, enrolment=enrolment, person=enrolment.person, partnered=partnered)


def pair_refusal(
    *, programme: Programme, mentor_enrolment: Enrolment, mentee_enrolment: Enrolment
) -> RelationshipRuleBroken | None:
    """The first hard rule a pair would break if proposed now, without taking locks.

    For reviewing a match run (a swap, a lock): :func:`relationship_propose` checks again, under
    locks, when the run is published.
    """
    return _pair_refusal(
        programme=programme,
        mentor_enrolment=mentor_enrolment,
        mentee_enrolment=mentee_enrolment,
        mentor=mentor_enrolment.person,
        mentee=mentee_enrolment.person,
    )


@transaction.atomic
def relationship_propose(
    *,
    actor: Any,
    programme: Programme,
    mentor_enrolment: Enrolment,
    mentee_enrolment: Enrolment,
    score: float = 0.0,
    breakdown: dict[str, Any] | None = None,
    weights: dict[str, float] | None = None,
    now: datetime | None = None,
) -> Relationship:
    """Propose a mentor and a mentee to each other, taking one of the mentor's seats.

    Every hard rule is checked again here, on rows locked for the rest of the transaction (the match
    run that suggested the pair may be minutes old): both enrolled and in the pool in their roles,
    both active, the level gap in the programme's band, not in the same reporting chain, not on each
    other's avoid list, the mentee without another open relationship in the programme, not declined
    before in this programme, not paired before in a programme of this kind, an open proposal
    included (unless the programme allows repeats), and a free seat. Raises
    :class:`RelationshipRuleBroken` naming the broken rule.

    The proposal expires ``programme.proposal_expiry_days`` after ``now`` (0: never). In a one-sided
    programme the mentor's enrolment counts as their acceptance, so only the mentee is asked.
    ``score``, ``breakdown`` and ``weights`` are the match run's: the score, the points of each
    component, and the weights they were scored with (to explain the pair as the run did).
    """
    programme = Programme.objects.get(pk=programme.pk)
    authorize(actor, "relationships.propose", programme)
    return _propose(
        programme=programme,
        mentor_enrolment=mentor_enrolment,
        mentee_enrolment=mentee_enrolment,
        score=score,
        breakdown=breakdown,
        weights=weights,
        requested=False,
        now=now,
    )


def require_participant_choice(programme: Programme) -> None:
    """Partners are requested only where participants choose them (the one statement of that rule)."""
    if not programme.is_participant_choice:
        raise RelationshipRuleBroken(
            f"In {programme.name} the programme managers make the pairs; partners are not requested.",
            code="not_participant_choice",
        )


@transaction.atomic
def relationship_request(
    *,
    actor: Any,
    mentee_enrolment: Enrolment,
    mentor_enrolment: Enrolment,
    score: float = 0.0,
    breakdown: dict[str, Any] | None = None,
    weights: dict[str, float] | None = None,
    now: datetime | None = None,
) -> Relationship:
    """A mentee (protégé) of a participant-choice programme asks a mentor (sponsor) to be their partner.

    The request is a proposal made by :func:`relationship_propose`'s own steps: every hard rule
    checked on locked rows, one of the mentor's seats held while it waits (given back when it is
    declined or expires), the mentee's one open relationship in the programme (so one request at a
    time), within the limit on requests made lately (:func:`request_limit_refusal`). Asking counts as
    the mentee's acceptance; the mentor answers, whatever the programme's
    "who must accept" says. The partner is emailed (``partner_requested``) by the worker once this
    commits. ``score``, ``breakdown`` and ``weights`` are the engine's ranking of the
    pair (:mod:`twofold.matchruns.choice`), to explain it as a match run would.
    """
    mentee_enrolment = Enrolment.objects.select_related("programme", "person").get(pk=mentee_enrolment.pk)
    authorize(actor, "relationships.request", mentee_enrolment)
    programme = mentee_enrolment.programme
    require_participant_choice(programme)
    relationship = _propose(
        programme=programme,
        mentor_enrolment=mentor_enrolment,
        mentee_enrolment=mentee_enrolment,
        score=score,
        breakdown=breakdown,
        weights=weights,
        requested=True,
        now=now,
    )
    # The partner is told once this commits; the mentee asked, and is not.
    proposal_emails_later([relationship.pk])
    return relationship


@transaction.atomic
def relationship_request_withdraw(
    *, relationship: Relationship, actor: Any, now: datetime | None = None
) -> Relationship:
    """The mentee (protégé) who requested a partner takes the request back before it is answered.

    The request becomes ``withdrawn`` (recorded as ended by the mentee), the partner's seat is given
    back, and the mentee may choose again — the same partner included: only a partner's decline
    keeps two people from being proposed again. Refused to anyone but the mentee who asked (the
    partner declines instead), for a proposal the programme managers made (it is declined too), and
    once the request was answered, expired or withdrawn.
    """
    now = now or timezone.now()
    current = _locked(relationship)
    authorize(actor, "relationships.withdraw_request", current)
    if not current.requested_by_mentee:
        raise RelationshipRuleBroken(
            "Only a request you made yourself is withdrawn; decline a proposal instead.", code="not_a_request"
        )
    if current.state != RelationshipState.PROPOSED:
        raise RelationshipStateConflict(
            f"This request is no longer waiting for an answer: the relationship is {_state_label(current.state)}.",
            code="not_proposed",
        )
    _move(
        current,
        to=RelationshipState.WITHDRAWN,
        ended_at=now,
        ended_by=current.mentee,
        end_reason="withdrew the request before it was answered",
    )
    _release_seat(current)
    # To those listening, a request taken back is the mentee declining it.
    _announce("proposal.declined", current, declined_by="mentee")
    return current


def _propose(
    *,
    programme: Programme,
    mentor_enrolment: Enrolment,
    mentee_enrolment: Enrolment,
    score: float,
    breakdown: dict[str, Any] | None,
    weights: dict[str, float] | None,
    requested: bool,
    now: datetime | None,
) -> Relationship:
    """The proposal itself, for a caller that has authorised it, inside its transaction."""
    now = now or timezone.now()
    closed = proposing_refusal(programme)
    if closed is not None:
        raise closed
    # Lock order: enrolments, then people, each by primary key (see the package's docstring).
    locked = {
        enrolment.pk: enrolment
        for enrolment in Enrolment.objects.select_for_update()
        .filter(pk__in=[mentor_enrolment.pk, mentee_enrolment.pk])
        .order_by("pk")
    }
    mentor_row, mentee_row = locked.get(mentor_enrolment.pk), locked.get(mentee_enrolment.pk)
    if mentor_row is None or mentee_row is None or mentor_row.pk == mentee_row.pk:
        raise RelationshipRuleBroken("A proposal needs two different, existing enrolments.", code="not_enrolled")
    if requested:
        # Counted under the mentee's enrolment lock, which every request of theirs takes first: the
        # count sees every request committed before this one, even one asked and withdrawn meanwhile.
        limit = request_limit_refusal(enrolment=mentee_row, now=now)
        if limit is not None:
            raise limit
    people = {
        person.pk: person
        for person in Person.objects.select_for_update()
        .filter(pk__in=[mentor_row.person_id, mentee_row.person_id])
        .order_by("pk")
    }
    mentor, mentee = people[mentor_row.person_id], people[mentee_row.person_id]

    refusal = _pair_refusal(
        programme=programme, mentor_enrolment=mentor_row, mentee_enrolment=mentee_row, mentor=mentor, mentee=mentee
    )
    if refusal is not None:
        raise refusal

    try:
        with transaction.atomic():
            Enrolment.objects.filter(pk=mentor_row.pk).update(
                seats_taken=F("seats_taken") + 1, updated_at=timezone.now()
            )
            relationship = Relationship.objects.create(
                programme=programme,
                mentor=mentor,
                mentee=mentee,
                mentor_enrolment=mentor_row,
                mentee_enrolment=mentee_row,
                score=score,
                breakdown=breakdown or {},
                weights=weights or {},
                requested_by_mentee=requested,
                mentor_answer=Answer.ACCEPTED
                if programme.acceptance == Acceptance.ONE_SIDED and not requested
                else Answer.PENDING,
                mentee_answer=Answer.ACCEPTED if requested else Answer.PENDING,
                proposed_at=now,
                expires_at=now + timedelta(days=programme.proposal_expiry_days)
                if programme.proposal_expiry_days
                else None,
            )
    except IntegrityError as error:
        # Only reachable if a write bypassed the locks above: the database constraints still hold,
        # and the refusal is the one the checks above would have given.
        if "enrolment_within_capacity" in str(error):
            raise RelationshipRuleBroken(f"{mentor.name} has no free seat.", code="no_free_seat") from error
        if "relationship_one_open_per_mentee" in str(error):
            raise RelationshipRuleBroken(
                f"{mentee.name} already has an open relationship in {programme.name}.", code="mentee_already_paired"
            ) from error
        raise
    _announce(
        "proposal.made",
        relationship,
        expires_at=relationship.expires_at.isoformat() if relationship.expires_at else None,
    )
    return relationship
