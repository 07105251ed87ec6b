"""Whole steps through the API as a participant and a programme manager would take them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import ProgrammeFactory
from tests.relationships.pairing import propose
from twofold.accounts.models import User
from twofold.accounts.tokens import issue_token
from twofold.programmes.models import ProgrammeState
from twofold.relationships.models import RelationshipState


def as_user(user: User, *scopes: str) -> Any:
    _, raw = issue_token(actor=user, user=user, name="test", scopes=list(scopes), kind="personal")
    client = Client()

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return client.generic(
            method,
            f"/api/v1{path}",
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )

    return call


def test_both_of_a_pair_accept_a_proposal_and_log_their_first_meeting(cast: Cast) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, managers=[cast.programme_manager])
    proposal = propose(programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=1))
    ana = as_user(cast.ana_user, "relationships:write")
    vera = as_user(cast.vp_sales_user, "relationships:write")

    mine = ana("GET", "/relationships").json()["items"]
    assert [(item["id"], item["awaiting_your_answer"]) for item in mine] == [(proposal.pk, True)]
    first = ana("POST", f"/relationships/{proposal.pk}/answer", {"answer": "accept"})
    assert first.status_code == 200 and first.json()["state"] == RelationshipState.PROPOSED
    assert not first.json()["awaiting_your_answer"]
    again = ana("POST", f"/relationships/{proposal.pk}/answer", {"answer": "accept"})
    assert again.status_code == 409
    second = vera("POST", f"/relationships/{proposal.pk}/answer", {"answer": "accept"})
    assert second.status_code == 200 and second.json()["state"] == RelationshipState.ACTIVE

    held = (timezone.now() - timedelta(hours=1)).isoformat()
    logged = ana(
        "POST",
        f"/relationships/{proposal.pk}/meetings",
        {"starts_at": held, "duration_minutes": 30, "shared_note": "Prompting", "private_note": "Mine only"},
    )
    assert logged.status_code == 201, logged.json()
    assert logged.json()["your_private_note"] == "Mine only"
    seen_by_vera = vera("GET", f"/relationships/{proposal.pk}/meetings").json()["items"]
    assert [(item["shared_note"], item["your_private_note"]) for item in seen_by_vera] == [("Prompting", "")]
    future = (timezone.now() + timedelta(days=2)).isoformat()
    refused = ana("POST", f"/relationships/{proposal.pk}/meetings", {"starts_at": future})
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"


def test_a_manager_pages_through_the_people_directory_by_cursor(cast: Cast) -> None:
    manager = as_user(cast.programme_manager, "people:read")
    seen: list[int] = []
    cursor = None
    while True:
        page = manager("GET", "/people?limit=4" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [person["id"] for person in page["items"]]
        assert all(person["high_potential"] is not None for person in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 6
    # An employee never learns the talent flag, whatever they ask for.
    ben = as_user(cast.ben_user, "people:read")
    flagged = ben("GET", "/people?high_potential=true").json()["items"]
    assert len(flagged) == 6 and {person["high_potential"] for person in flagged} == {None}
