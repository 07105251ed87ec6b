"""Through the API as a programme manager: the pairs list, and lock / swap / remove on the review board,
each asserting what is stored afterwards, refusals included."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.api.test_flows import as_user
from tests.conftest import Cast
from tests.factories import PersonFactory, ProgrammeFactory, UserFactory
from tests.matchruns.test_board import managed
from tests.people.test_views import signed_in
from tests.relationships.pairing import pair_up, propose
from twofold.matchruns.models import MatchRun, Proposal, Unmatched
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild
from twofold.relationships.meeting_clock import meeting_clock_refresh
from twofold.relationships.models import Concern, Relationship


def test_a_manager_pages_through_a_programmes_pairs_with_the_pages_filters(cast: Cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager], capacity=2)
    month_ago = timezone.now() - timedelta(days=30)
    active = pair_up(programme, cast.ana, cast.vp_sales, now=month_ago)
    other = pair_up(programme, cast.ben, cast.vp_tech, now=month_ago)
    otto = PersonFactory(employee_id="O1", name="Otto Ops", level=8, department="Operations", manager=cast.ceo)
    people_tree_rebuild()
    proposed = propose(programme, cast.ana, otto, now=timezone.now())
    Concern.objects.create(relationship=other, raised_by=cast.ben, text="Private words")
    manager = as_user(cast.programme_manager, "programmes:read")
    path = f"/programmes/{programme.pk}/pairs"

    seen, cursor = [], None
    while True:
        page = manager("GET", f"{path}?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted([active.pk, other.pk, proposed.pk])
    by_state = manager("GET", f"{path}?state=proposed").json()["items"]
    assert [(item["id"], item["mentee"]["name"]) for item in by_state] == [(proposed.pk, "Otto Ops")]
    flagged = manager("GET", f"{path}?show=concern").json()["items"]
    assert [item["id"] for item in flagged] == [other.pk] and flagged[0]["open_concern"] is True
    assert "Private words" not in str(flagged)
    assert [item["id"] for item in manager("GET", f"{path}?q=J2").json()["items"]] == [other.pk]
    assert manager("GET", f"{path}?state=married").status_code == 422

    elsewhere = UserFactory(username="pm2", is_programme_manager=True)
    for user in (elsewhere, cast.ana_user, cast.executive):
        refused = as_user(user, "programmes:read")("GET", path)
        assert refused.status_code == 404 and refused["Content-Type"] == "application/problem+json"


def test_a_manager_swaps_locks_and_removes_pairs_of_a_run_under_review(cast: Cast) -> None:
    PersonFactory(employee_id="X1", name="Xena Outside", level=8, department="Finance", manager=cast.ceo)
    PersonFactory(employee_id="X2", name="Yuri Outside", level=7, department="Legal", manager=cast.ceo)
    people_tree_rebuild()
    cast.xena, cast.yuri = Person.objects.get(employee_id="X1"), Person.objects.get(employee_id="X2")  # type: ignore[attr-defined]
    programme = managed(cast, mentees=("xena", "yuri"))
    manager = as_user(cast.programme_manager, "matchruns:write")
    started = manager("POST", f"/programmes/{programme.pk}/match-runs", {"background": False})
    assert started.status_code == 201 and started.json()["status"] == "ready"
    run = MatchRun.objects.get()
    base = f"/programmes/{programme.pk}/match-runs/{run.pk}"
    before = set(run.proposals.values_list("mentor_id", "mentee_id"))
    first, second = run.proposals.order_by("pk")

    # Someone who does not manage the programme: the unknown run's 404, the board as it was.
    outsider = as_user(UserFactory(username="pm2", is_programme_manager=True), "matchruns:write")
    assert outsider("POST", f"{base}/swap", {"first_id": first.pk, "second_id": second.pk}).status_code == 404
    assert outsider("POST", f"{base}/proposals/{first.pk}/remove").status_code == 404
    assert set(run.proposals.values_list("mentor_id", "mentee_id")) == before

    swapped = manager("POST", f"{base}/swap", {"first_id": first.pk, "second_id": second.pk})
    assert swapped.status_code == 200, swapped.json()
    assert {item["mentor"]["enrolment_id"] for item in swapped.json()["proposals"]} == {
        first.mentor_id,
        second.mentor_id,
    }
    after = set(run.proposals.values_list("mentor_id", "mentee_id"))
    assert after != before and len(after) == 2 and {p["origin"] for p in swapped.json()["proposals"]} == {"swap"}
    same = manager("POST", f"{base}/swap", {"first_id": first.pk, "second_id": second.pk})
    assert same.status_code == 404  # the pairs swapped are gone from the run

    kept, dropped = run.proposals.order_by("pk")
    locked = manager("POST", f"{base}/proposals/{kept.pk}/lock", {"locked": True})
    assert locked.status_code == 200 and locked.json()["locked"] is True
    kept.refresh_from_db()
    assert kept.locked
    removed = manager("POST", f"{base}/proposals/{dropped.pk}/remove")
    assert removed.status_code == 200 and removed.json()["total_score"] == round(kept.score, 6)
    assert list(run.proposals.values_list("pk", flat=True)) == [kept.pk]
    assert Unmatched.objects.filter(run=run, reason_code="removed").count() == 2
    assert manager("POST", f"{base}/proposals/{dropped.pk}/remove").status_code == 404

    # A published run is no longer under review: 409, and nothing changes.
    assert manager("POST", f"{base}/publish").status_code == 200
    refused = manager("POST", f"{base}/proposals/{kept.pk}/lock", {"locked": False})
    assert refused.status_code == 409
    assert Proposal.objects.get(pk=kept.pk).locked


def test_the_pairs_list_pages_through_each_sort_of_the_pairs_page(cast: Cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager], capacity=2)
    month_ago = timezone.now() - timedelta(days=30)
    active = pair_up(programme, cast.ana, cast.vp_sales, now=month_ago)
    other = pair_up(programme, cast.ben, cast.vp_tech, now=month_ago - timedelta(days=1))
    otto = PersonFactory(employee_id="O1", name="Otto Ops", level=8, department="Operations", manager=cast.ceo)
    people_tree_rebuild()
    proposed = propose(programme, cast.ana, otto, now=timezone.now())
    Relationship.objects.filter(pk=other.pk).update(last_met_at=timezone.now() - timedelta(days=20))
    Relationship.objects.filter(pk=active.pk).update(last_met_at=timezone.now() - timedelta(days=2))
    meeting_clock_refresh(Relationship.objects.filter(programme=programme))  # written around the services
    manager = as_user(cast.programme_manager, "programmes:read")
    path = f"/programmes/{programme.pk}/pairs"

    def paged(sort: str) -> list[int]:
        seen, cursor = [], None
        while True:
            answer = manager("GET", f"{path}?sort={sort}&limit=1" + (f"&cursor={cursor}" if cursor else ""))
            assert answer.status_code == 200, answer.json()
            seen += [item["id"] for item in answer.json()["items"]]
            cursor = answer.json()["next_cursor"]
            if cursor is None:
                return seen

    # Mentor then mentee by name: Ana (Otto, then Vera), Ben. Newest proposal first. Longest without a
    # meeting: Ben's pair met 20 days ago, Ana and Vera 2 days ago, the proposal never (last). By state.
    assert paged("name") == [proposed.pk, active.pk, other.pk]
    assert paged("recent") == [proposed.pk, active.pk, other.pk]
    assert paged("last_met") == [other.pk, active.pk, proposed.pk]
    assert paged("state") == [active.pk, other.pk, proposed.pk]
    assert paged("id") == sorted([active.pk, other.pk, proposed.pk])
    first = manager("GET", f"{path}?sort=recent&limit=1").json()
    assert manager("GET", f"{path}?sort=recent&state=active&limit=1").json()["items"][0]["id"] == active.pk

    # An unknown sort is refused, not ignored; a cursor of another sort (or order) is refused too.
    assert manager("GET", f"{path}?sort=shoe_size").status_code == 422
    assert manager("GET", f"{path}?sort=name&cursor={first['next_cursor']}").status_code == 400
    by_id = manager("GET", f"{path}?limit=1").json()["next_cursor"]
    assert manager("GET", f"{path}?sort=recent&cursor={by_id}").status_code == 400


def test_the_pairs_page_and_the_api_sort_pairs_that_never_met_alike(cast: Cast) -> None:
    # Empty values count as the greatest on every database: pairs that never met (nor started) come
    # last, longest without a meeting, on the page as in the API (SQLite itself puts NULL first).
    programme = ProgrammeFactory(managers=[cast.programme_manager], capacity=2)
    month_ago = timezone.now() - timedelta(days=30)
    met = pair_up(programme, cast.ana, cast.vp_sales, now=month_ago)
    never_met = pair_up(programme, cast.ben, cast.vp_tech, now=month_ago)
    otto = PersonFactory(employee_id="O1", name="Otto Ops", level=8, department="Operations", manager=cast.ceo)
    people_tree_rebuild()
    proposed = propose(programme, cast.ana, otto, now=timezone.now())
    Relationship.objects.filter(pk=met.pk).update(last_met_at=timezone.now() - timedelta(days=2))
    Relationship.objects.filter(pk=never_met.pk).update(last_met_at=None)
    meeting_clock_refresh(Relationship.objects.filter(programme=programme))  # written around the services

    page = signed_in(cast.programme_manager).get(reverse("relationships:pairs", args=[programme.pk]) + "?sort=last_met")
    shown = [int(pk) for pk in re.findall(rf'href="/programmes/{programme.pk}/pairs/(\d+)/"', page.content.decode())]
    api = as_user(cast.programme_manager, "programmes:read")("GET", f"/programmes/{programme.pk}/pairs?sort=last_met")
    listed = [item["id"] for item in api.json()["items"]]

    assert list(dict.fromkeys(shown)) == listed == [met.pk, never_met.pk, proposed.pk]
