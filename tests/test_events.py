"""Domain events: each service announces what it did, once committed, with ids and names only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.factories import OPERATOR, ProgrammeFactory, acting
from tests.matchruns.test_match_runs import matching_programme
from tests.relationships.pairing import DAY, NOW, pair_up, propose
from twofold.events import EVENTS, UnknownEvent, announce, domain_event
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.services import match_run_start
from twofold.people.import_services import people_import_bytes
from twofold.relationships.services import (
    concern_raise,
    meeting_log,
    meeting_schedule,
    meeting_update,
    relationship_answer,
    relationship_complete,
    relationship_end,
    relationships_expire,
)
from twofold.webhooks.presets import sentence

# Committed for real, so that events are sent as they are outside tests: after each commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The events announced during the test, in order, as a listener hears them after commit."""
    events: list[tuple[str, dict[str, Any]]] = []

    def listen(sender: Any, name: str, payload: dict[str, Any], **kwargs: Any) -> None:
        events.append((name, payload))

    domain_event.connect(listen, dispatch_uid="tests.heard")
    try:
        yield events
    finally:
        domain_event.disconnect(dispatch_uid="tests.heard")
    # Every payload a service really sent can be worded for a chat channel.
    for name, payload in events:
        assert sentence(name, payload).endswith((".", "/")), (name, payload)


def names(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in events]


def test_a_proposal_made_then_accepted_starts_a_relationship(cast, heard) -> None:
    programme = ProgrammeFactory(name="Digital fluency", state="matching")
    pair_up(programme, cast.ana, cast.vp_sales)
    assert names(heard) == ["proposal.made", "proposal.accepted", "relationship.started"]
    made = heard[0][1]
    assert made["programme"] == {"id": programme.pk, "name": "Digital fluency", "kind": "reverse_mentoring"}
    assert made["mentor"] == {"id": cast.ana.pk, "name": "Ana Junior"}
    assert made["mentee"] == {"id": cast.vp_sales.pk, "name": "Vera Sales"}
    assert heard[2][1]["relationship"]["state"] == "active"


def test_declined_and_expired_proposals(cast, heard) -> None:
    programme = ProgrammeFactory(state="matching", proposal_expiry_days=7)
    declined = propose(programme, cast.ana, cast.vp_sales)
    relationship_answer(relationship=declined, actor=acting(cast.vp_sales), accept=False, now=NOW)
    propose(programme, cast.ben, cast.vp_tech)
    assert relationships_expire(now=NOW + 8 * DAY) == 1
    assert names(heard) == ["proposal.made", "proposal.declined", "proposal.made", "proposal.expired"]
    assert heard[1][1]["declined_by"] == "mentee"
    assert heard[3][1]["mentor"]["name"] == "Ben Junior" and heard[3][1]["relationship"]["state"] == "expired"


def test_ending_and_completing_say_how_and_never_why(cast, heard) -> None:
    first = pair_up(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
    relationship_end(relationship=first, actor=acting(cast.ana), reason="Our schedules never fit", now=NOW + DAY)
    second = pair_up(ProgrammeFactory(state="matching", duration_months=1), cast.ben, cast.vp_tech)
    relationship_complete(relationship=second, actor=acting(cast.ben), now=NOW + 40 * DAY)
    ended = [payload for name, payload in heard if name == "relationship.ended"]
    assert [payload["outcome"] for payload in ended] == ["ended_early", "completed"]
    assert ended[0]["rematch"] is False
    assert "schedules" not in repr(heard)


def test_a_meeting_is_announced_when_logged_or_marked_held_without_its_notes(cast, heard) -> None:
    relationship = pair_up(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales, now=NOW - 30 * DAY)
    meeting_log(
        relationship=relationship,
        actor=acting(cast.ana),
        starts_at=NOW - 2 * DAY,
        duration_minutes=50,
        shared_note="We covered prompting",
        private_note="Vera seemed tired",
        now=NOW,
    )
    planned = meeting_schedule(
        relationship=relationship, actor=acting(cast.ana), starts_at=NOW + DAY, duration_minutes=30, now=NOW
    )
    meeting_update(meeting=planned, actor=acting(cast.vp_sales), duration_minutes=40, now=NOW)
    meeting_update(meeting=planned, actor=acting(cast.vp_sales), status="held", now=NOW + 2 * DAY)
    logged = [payload for name, payload in heard if name == "meeting.logged"]
    assert [payload["meeting"]["duration_minutes"] for payload in logged] == [50, 40]
    assert logged[1]["meeting"]["id"] == planned.pk
    assert "prompting" not in repr(heard) and "tired" not in repr(heard)


def test_publishing_a_match_run_announces_its_proposals_and_itself(cast, heard) -> None:
    programme = matching_programme(cast)
    run = match_run_start(actor=OPERATOR, programme=programme)
    match_run_publish(actor=OPERATOR, run=run)
    match_run_publish(actor=OPERATOR, run=run)  # publishing again changes nothing and says nothing
    assert names(heard) == ["proposal.made", "proposal.made", "match_run.published"]
    assert heard[2][1] == {
        "match_run": {"id": run.pk, "number": 1},
        "programme": {"id": programme.pk, "name": "Digital fluency", "kind": "reverse_mentoring"},
        "proposed": 2,
        "skipped": 0,
    }


def test_an_applied_import_is_announced_and_a_dry_run_is_not(cast, heard) -> None:
    data = b"employee_id,name,email,level,department,title\nN1,Nina New,nina@example.org,3,Finance,Analyst\n"
    people_import_bytes(data, name="people.csv", actor=cast.admin, dry_run=True)
    assert names(heard) == []
    people_import_bytes(data, name="people.csv", actor=cast.admin)
    ((name, payload),) = heard
    assert name == "import.finished" and payload["created"] == 1 and payload["import"]["kind"] == "people"
    assert "Nina" not in repr(payload)


def test_a_concern_is_announced_without_its_text_or_who_raised_it(cast, heard) -> None:
    relationship = pair_up(ProgrammeFactory(name="Rising", state="matching"), cast.ana, cast.vp_sales)
    concern = concern_raise(relationship=relationship, actor=acting(cast.ana), text="He belittles me")
    name, payload = heard[-1]
    assert name == "concern.raised" and EVENTS[name].admins_only
    assert payload == {
        "concern": {"id": concern.pk},
        "programme": {"id": relationship.programme_id, "name": "Rising", "kind": "reverse_mentoring"},
    }


def test_nothing_is_announced_for_a_rolled_back_change_or_an_unknown_event(cast, heard) -> None:
    with transaction.atomic():
        propose(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
        transaction.set_rollback(True)
    assert heard == []
    with pytest.raises(UnknownEvent):
        announce("salary.changed", {})


def test_a_failing_listener_neither_fails_nor_undoes_the_change(cast, heard) -> None:
    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("listener down")

    domain_event.connect(broken, dispatch_uid="tests.broken")
    try:
        relationship = propose(ProgrammeFactory(state="matching"), cast.ana, cast.vp_sales)
    finally:
        domain_event.disconnect(dispatch_uid="tests.broken")
    relationship.refresh_from_db()
    assert relationship.state == "proposed" and names(heard) == ["proposal.made"]
