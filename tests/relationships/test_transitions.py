"""Every state change a relationship could be asked for, from every state: the allowed edges of
RELATIONSHIP_TRANSITIONS work through their service, every other one is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.factories import OPERATOR, RelationshipFactory, acting
from tests.relationships.pairing import DAY, NOW
from twofold.people.leavers import people_deactivate
from twofold.programmes.models import Enrolment
from twofold.relationships.models import OPEN_STATES, RELATIONSHIP_TRANSITIONS, Answer, Relationship, RelationshipState
from twofold.relationships.services import (
    RelationshipStateConflict,
    relationship_answer,
    relationship_complete,
    relationship_end,
    relationships_expire,
)

LONG_AFTER = NOW + 400 * DAY  # past any planned end, and past the proposal's deadline for expiry


def accept(relationship: Relationship) -> None:
    relationship_answer(relationship=relationship, actor=acting(relationship.mentee), accept=True, now=NOW)


def decline(relationship: Relationship) -> None:
    relationship_answer(relationship=relationship, actor=acting(relationship.mentee), accept=False, now=NOW)


def expire(relationship: Relationship) -> None:
    # The expiry job does not raise for rows it leaves alone; it reports how many it expired.
    if relationships_expire(now=LONG_AFTER) == 0:
        raise RelationshipStateConflict("nothing expired", code="test_nothing_expired")


def complete(relationship: Relationship) -> None:
    relationship_complete(relationship=relationship, actor=acting(relationship.mentor), now=LONG_AFTER)


def end_early(relationship: Relationship) -> None:
    relationship_end(relationship=relationship, actor=acting(relationship.mentor), reason="Moved abroad", now=NOW)


SERVICE_FOR_TARGET: dict[str, Callable[[Relationship], None]] = {
    RelationshipState.ACTIVE: accept,
    RelationshipState.DECLINED: decline,
    RelationshipState.EXPIRED: expire,
    RelationshipState.COMPLETED: complete,
    RelationshipState.ENDED_EARLY: end_early,
}
CASES = [(source, target) for source in RelationshipState.values for target in SERVICE_FOR_TARGET]


def test_every_target_state_has_a_service() -> None:
    reachable = {target for targets in RELATIONSHIP_TRANSITIONS.values() for target in targets}
    # Withdrawn is reached only when one of the pair leaves the organisation, in bulk, for whatever
    # is open: test_leaving_closes_open_pairs_only walks it from every state.
    assert reachable == set(SERVICE_FOR_TARGET) | {RelationshipState.WITHDRAWN}


@pytest.mark.parametrize("source", RelationshipState.values)
def test_leaving_closes_open_pairs_only(db, source: str) -> None:
    relationship = RelationshipFactory(state=source, proposed_at=NOW - 200 * DAY)
    seats_before = Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken
    people_deactivate(person_ids=[relationship.mentee_id], actor=OPERATOR, now=NOW)
    relationship.refresh_from_db()
    closed_to = {
        RelationshipState.PROPOSED: RelationshipState.WITHDRAWN,
        RelationshipState.ACTIVE: RelationshipState.ENDED_EARLY,
    }
    assert relationship.state == closed_to.get(source, source)
    assert relationship.state in RELATIONSHIP_TRANSITIONS[source] or relationship.state == source
    released = source in OPEN_STATES
    assert Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken == seats_before - released


@pytest.mark.parametrize(("source", "target"), CASES, ids=[f"{s}->{t}" for s, t in CASES])
def test_transition(db, source: str, target: str) -> None:
    relationship = RelationshipFactory(
        state=source,
        proposed_at=NOW - 200 * DAY,
        expires_at=NOW - 190 * DAY,
        mentor_answer=Answer.ACCEPTED,  # so that the mentee's acceptance completes a proposal
    )
    # A proposal still open at NOW for the answers; long expired by LONG_AFTER for the expiry job.
    Relationship.objects.filter(pk=relationship.pk).update(expires_at=NOW + DAY)
    relationship.refresh_from_db()
    seats_before = Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken

    if target in RELATIONSHIP_TRANSITIONS[source]:
        SERVICE_FOR_TARGET[target](relationship)
        relationship.refresh_from_db()
        assert relationship.state == target
        # Leaving the open states gives the mentor's seat back, exactly once.
        released = source in OPEN_STATES and target not in OPEN_STATES
        assert Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken == seats_before - released
    else:
        with pytest.raises(RelationshipStateConflict):
            SERVICE_FOR_TARGET[target](relationship)
        relationship.refresh_from_db()
        assert relationship.state == source
        assert Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken == seats_before


def test_a_stale_copy_cannot_move_a_relationship_twice(db) -> None:
    relationship = RelationshipFactory(state=RelationshipState.ACTIVE, proposed_at=NOW - 200 * DAY)
    stale = Relationship.objects.get(pk=relationship.pk)
    relationship_end(relationship=relationship, actor=acting(relationship.mentee), reason="Role change", now=NOW)
    with pytest.raises(RelationshipStateConflict):
        relationship_complete(relationship=stale, actor=acting(stale.mentor), now=LONG_AFTER)
    stale.refresh_from_db()
    assert stale.state == RelationshipState.ENDED_EARLY
    assert Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken == 0
