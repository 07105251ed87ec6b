"""Finding things on the managers' lists: the concerns of one programme, and an enrolment by name or
employee id. Both go through selectors that only ever show what the user may manage."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import EnrolmentFactory, PersonFactory, ProgrammeFactory, UserFactory
from tests.people.test_views import signed_in
from tests.relationships.pairing import pair_up
from twofold.audit.models import AuditEntry
from twofold.programmes.models import Programme, ProgrammeState
from twofold.programmes.selectors import programme_enrolments
from twofold.relationships.models import Concern
from twofold.relationships.selectors import concern_programmes, concerns_for_managers


def raise_concern(programme: Programme, mentor, mentee, text: str) -> Concern:  # type: ignore[no-untyped-def]
    relationship = pair_up(programme, mentor, mentee)
    return Concern.objects.create(relationship=relationship, raised_by=mentee, text=text)


@pytest.fixture
def two_programmes(cast: Cast) -> tuple[Programme, Programme, Programme]:
    """Two programmes Priya manages, each with a concern, and one she does not, with a concern too."""
    mine = ProgrammeFactory(name="Digital fluency", state=ProgrammeState.MATCHING, managers=[cast.programme_manager])
    also_mine = ProgrammeFactory(
        name="Rising leaders", state=ProgrammeState.MATCHING, managers=[cast.programme_manager]
    )
    other_manager = UserFactory(username="olga", is_programme_manager=True)
    theirs = ProgrammeFactory(name="Elsewhere", state=ProgrammeState.MATCHING, managers=[other_manager])
    raise_concern(mine, cast.ana, cast.vp_sales, "FLUENCY-WORRY")
    raise_concern(also_mine, cast.ben, cast.vp_tech, "LEADERS-WORRY")
    raise_concern(theirs, PersonFactory(level=2), PersonFactory(level=8, department="Legal"), "ELSEWHERE-WORRY")
    return mine, also_mine, theirs


def test_the_concerns_page_filters_by_a_programme_the_manager_manages(cast: Cast, two_programmes) -> None:  # type: ignore[no-untyped-def]
    mine, _, theirs = two_programmes
    client = signed_in(cast.programme_manager)
    url = reverse("relationships:concerns")
    everything = client.get(url, {"show": "all"}).content.decode()
    assert "FLUENCY-WORRY" in everything and "LEADERS-WORRY" in everything and "ELSEWHERE-WORRY" not in everything
    # The filter offers her programmes with concerns, never another manager's.
    assert f'<option value="{mine.pk}"' in everything and f'<option value="{theirs.pk}"' not in everything

    one = client.get(url, {"show": "all", "programme": mine.pk}).content.decode()
    assert "FLUENCY-WORRY" in one and "LEADERS-WORRY" not in one
    assert f'<option value="{mine.pk}" selected>' in one
    entry = AuditEntry.objects.filter(action="concerns.view").latest("pk")
    assert "Digital fluency" in entry.target_label and entry.detail["concerns"] == [
        concern.pk for concern in Concern.objects.filter(relationship__programme=mine)
    ]
    # Another manager's programme is not a filter she can use: she sees her own, as without one.
    other = client.get(url, {"show": "all", "programme": theirs.pk}).content.decode()
    assert "ELSEWHERE-WORRY" not in other and "FLUENCY-WORRY" in other and "LEADERS-WORRY" in other
    assert client.get(url, {"programme": "not-a-number"}).status_code == 200


def test_the_concerns_selectors_never_reach_a_programme_not_managed(cast: Cast, two_programmes) -> None:  # type: ignore[no-untyped-def]
    mine, also_mine, theirs = two_programmes
    assert not concerns_for_managers(cast.programme_manager, programme_id=theirs.pk).exists()
    assert [c.text for c in concerns_for_managers(cast.programme_manager, programme_id=mine.pk)] == ["FLUENCY-WORRY"]
    assert list(concern_programmes(cast.programme_manager)) == [mine, also_mine]
    assert list(concern_programmes(cast.admin)) == [mine, theirs, also_mine]
    assert not concern_programmes(cast.ana_user).exists() and not concern_programmes(cast.outsider).exists()


@pytest.fixture
def crowded(cast: Cast) -> Programme:
    programme = ProgrammeFactory(
        name="Digital fluency", state=ProgrammeState.ENROLLING, managers=[cast.programme_manager]
    )
    for number in range(60):
        EnrolmentFactory(
            programme=programme,
            role="mentee",
            person=PersonFactory(name=f"Person {number:02}", employee_id=f"E{number:03}"),
        )
    EnrolmentFactory(programme=programme, role="mentor", person=PersonFactory(name="Zoë Okafor", employee_id="ZK-77"))
    return programme


def test_enrolments_are_found_by_name_or_employee_id_and_paged(cast: Cast, crowded: Programme) -> None:
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:enrolments", args=[crowded.pk])
    first = client.get(url).content.decode()
    assert "Page 1 of 2" in first and "Zoë Okafor" not in first
    found = client.get(url, {"q": "okafor"}).content.decode()
    assert "Zoë Okafor" in found and "Person 00" not in found and 'value="okafor"' in found
    by_id = client.get(url, {"q": "zk-7"}).content.decode()
    assert "Zoë Okafor" in by_id and "Person 01" not in by_id
    # Paging keeps the search: 60 people named "Person", 50 on the first page, 10 on the second.
    second = client.get(url, {"q": "Person", "page": 2}).content.decode()
    assert "Person 59" in second and "Person 00" not in second and "q=Person" in second
    nobody = client.get(url, {"q": "nobody like this"}).content.decode()
    assert "Nobody matches" in nobody
    assert client.get(url, {"q": "x" * 5000}).status_code == 200


def test_the_enrolments_selector_shows_nothing_to_who_may_not_manage(cast: Cast, crowded: Programme) -> None:
    assert programme_enrolments(cast.programme_manager, crowded, search="E00").count() == 10
    assert programme_enrolments(cast.admin, crowded, search="zk").count() == 1
    assert not programme_enrolments(cast.ana_user, crowded).exists()
    assert not programme_enrolments(cast.outsider, crowded, search="Person").exists()
    response = signed_in(cast.outsider).get(reverse("programmes:enrolments", args=[crowded.pk]), {"q": "Person"})
    assert response.status_code == 404 and b"Person 00" not in response.content
