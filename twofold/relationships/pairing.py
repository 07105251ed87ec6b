"""What the pairing rules read from the database, read the same way for one pair or a whole pool.

The rules are pure (:mod:`twofold.programmes.eligibility`: who may be paired now, the level gap) or
plain set lookups (:func:`history_refusal`). What they need - each enrolment's place in the pool,
wishes not to be paired, pairs declined in the programme, pairs made before - is read here:
``pair_refusal`` and ``relationship_propose`` read it for the two people of one pair, the match-run
translation (``twofold.matchruns.matching_input``) for everyone in the pool, and hands the engine
the very same sets as its do-not-pair and previous-partner lists.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from twofold.programmes.eligibility import PoolPlace
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.models import OPEN_STATES, PAIRED_BEFORE_STATES, Relationship, RelationshipState

Pair = frozenset[int]


def pool_place(enrolment: Enrolment, *, partnered: bool) -> PoolPlace:
    """The enrolment as :func:`~twofold.programmes.eligibility.participant_problem` reads it."""
    return PoolPlace(
        role=enrolment.role,
        in_pool=enrolment.status == EnrolmentStatus.ACTIVE,
        status=enrolment.get_status_display().lower(),
        nominated=enrolment.nominated_by_id is not None,
        seats_taken=enrolment.seats_taken,
        capacity=enrolment.capacity,
        partnered=partnered,
    )


def partnered_mentees(programme: Programme, enrolment_ids: Iterable[int] | None = None) -> set[int]:
    """Mentee enrolments (of ``enrolment_ids``, or all) with an open relationship in the programme."""
    open_pairs = Relationship.objects.filter(programme=programme, state__in=OPEN_STATES)
    if enrolment_ids is not None:
        open_pairs = open_pairs.filter(mentee_enrolment_id__in=list(enrolment_ids))
    return set(open_pairs.values_list("mentee_enrolment_id", flat=True))


@dataclass
class PairHistory:
    """Pairs of people (as sets of two person ids) that the rules keep apart in one programme.

    ``avoided``: one of the two asked (on their enrolment) not to be paired with the other.
    ``declined``: a proposal of the two was declined in this programme. ``paired_before``: the two
    were paired (proposed and still open, active, completed or ended early) in a programme of this
    kind, with the state and programme of the latest such pair.
    """

    avoided: set[Pair] = field(default_factory=set)
    declined: set[Pair] = field(default_factory=set)
    paired_before: dict[Pair, tuple[str, str]] = field(default_factory=dict)

    def partners(self, pairs: Iterable[Pair]) -> dict[int, set[int]]:
        """Each person's partners in ``pairs``, as the engine's per-person lists want them."""
        partners: dict[int, set[int]] = {}
        for pair in pairs:
            first, second = tuple(pair)
            partners.setdefault(first, set()).add(second)
            partners.setdefault(second, set()).add(first)
        return partners


def pair_history(programme: Programme, people: Collection[int]) -> PairHistory:
    """The pairs among ``people`` (person ids) that the programme's rules keep apart. Two queries."""
    ids = list(people)
    history = PairHistory()
    avoid_rows = Enrolment.avoid.through.objects.filter(
        enrolment__programme=programme, enrolment__person_id__in=ids, person_id__in=ids
    ).values_list("enrolment__person_id", "person_id")
    history.avoided = {frozenset(row) for row in avoid_rows if row[0] != row[1]}
    rows = (
        Relationship.objects.filter(
            Q(programme__kind=programme.kind, state__in=PAIRED_BEFORE_STATES)
            | Q(programme=programme, state=RelationshipState.DECLINED),
            mentor_id__in=ids,
            mentee_id__in=ids,
        )
        .order_by("proposed_at", "pk")
        .values_list("mentor_id", "mentee_id", "programme__name", "state")
    )
    for mentor, mentee, programme_name, state in rows:
        pair = frozenset((mentor, mentee))
        if state == RelationshipState.DECLINED:
            history.declined.add(pair)
        else:
            # Ordered by time: the latest pair is the one the refusal names.
            history.paired_before[pair] = (state, programme_name)
    return history


def history_refusal(
    programme: Programme, history: PairHistory, *, mentor_id: int, mentor_name: str, mentee_id: int, mentee_name: str
) -> RelationshipRuleBroken | None:
    """The first of the kept-apart rules the two break, or None."""
    pair = frozenset((mentor_id, mentee_id))
    if pair in history.avoided:
        return RelationshipRuleBroken(
            f"{mentor_name} and {mentee_name} asked not to be paired with each other.", code="avoided"
        )
    if pair in history.declined:
        # Someone said no to this very pair; proposing it again would ignore them.
        return RelationshipRuleBroken(
            f"A proposal of {mentor_name} and {mentee_name} was declined in this programme.", code="declined_before"
        )
    if not programme.allow_repeat_pairs and pair in history.paired_before:
        state, where = history.paired_before[pair]
        how = "are proposed to each other" if state == RelationshipState.PROPOSED else "were paired"
        return RelationshipRuleBroken(
            f"{mentor_name} and {mentee_name} {how} in {where}, and {programme.name} does not repeat pairs.",
            code="paired_before",
        )
    return None
