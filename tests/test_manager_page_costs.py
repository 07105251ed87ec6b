"""What the managers' pages cost at 100,000 people, pinned: queries that do not grow with the data,
counts not taken twice, check-in figures built once per new answer, pages read by id in the list's order.

The figures themselves are tested with each page; these tests fail when one of the fixes that keep
the pages cheap is undone while the page still looks right.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import (
    OPERATOR,
    EnrolmentFactory,
    MeetingFactory,
    PersonFactory,
    ProgrammeFactory,
    RelationshipFactory,
)
from tests.matchruns.test_board import managed
from tests.people.test_views import signed_in
from twofold.accounts.tokens import issue_token
from twofold.matchruns.services import match_run_start
from twofold.people.models import Person
from twofold.people.selectors import departments_of_everyone, directory_filter_options
from twofold.programmes.models import EnrolmentRole, EnrolmentStatus
from twofold.programmes.selectors import programme_enrolments
from twofold.relationships.aggregates import check_in_scores
from twofold.relationships.models import CheckIn, CheckInPoint, RelationshipState


def _answer(relationship, satisfaction: int) -> CheckIn:  # type: ignore[no-untyped-def]
    return CheckIn.objects.create(
        relationship=relationship,
        person=relationship.mentor,
        point=CheckInPoint.FIT,
        satisfaction=satisfaction,
        psychological_safety=3,
        progress=3,
        submitted_at=timezone.now(),
    )


@pytest.mark.django_db(transaction=True)
def test_check_in_figures_are_built_again_only_when_a_check_in_is_added(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    programme = ProgrammeFactory()
    pairs = [RelationshipFactory(programme=programme, state=RelationshipState.ACTIVE) for _ in range(5)]
    for pair in pairs[:4]:
        _answer(pair, 4)
    first = check_in_scores([programme.pk])[programme.pk]
    assert first.answered == 4 and not first.overall["satisfaction"].shown
    with django_assert_num_queries(1):  # the newest check-in's id, and the figures from the cache
        assert check_in_scores([programme.pk])[programme.pk] == first
    _answer(pairs[4], 2)  # the fifth answer of the cell completes a batch: an average appears
    with django_assert_num_queries(2):
        second = check_in_scores([programme.pk])[programme.pk]
    assert second.answered == 5 and second.overall["satisfaction"].shown
    # The very figures a fresh computation gives (inside a transaction nothing is reused).
    with transaction.atomic(), CaptureQueriesContext(connection) as fresh_queries:
        assert check_in_scores([programme.pk])[programme.pk] == second
    assert len(fresh_queries.captured_queries) == 1  # the batches, no look-up of the newest id


def test_inside_a_transaction_check_in_figures_are_always_built_afresh(db, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory()
    pair = RelationshipFactory(programme=programme, state=RelationshipState.ACTIVE)
    _answer(pair, 4)
    assert check_in_scores([programme.pk])[programme.pk].answered == 1
    CheckIn.objects.filter(relationship=pair).delete()  # ids are not a stamp here: a rollback reuses them
    with django_assert_num_queries(1):
        assert check_in_scores([programme.pk])[programme.pk].answered == 0


def _health_queries(cast: Cast, size: int) -> tuple[int, str]:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    long_ago = timezone.now() - timedelta(days=90)
    for _ in range(size):
        pair = RelationshipFactory(programme=programme, state=RelationshipState.ACTIVE, proposed_at=long_ago)
        MeetingFactory(relationship=pair, starts_at=long_ago + timedelta(days=1))
        _answer(pair, 4)
    client = signed_in(cast.programme_manager)
    url = reverse("relationships:programme_health", args=[programme.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(f"{url}?page=2").content.decode()
    return len(captured.captured_queries), page


def test_the_health_page_counts_the_pairs_behind_once_and_pages_them(cast: Cast) -> None:
    small, _ = _health_queries(cast, 1)
    large, page = _health_queries(cast, 30)
    # The session with its account and its permissions, programme, one pass over the pairs (states,
    # overdue, idle), open concerns, the check-in batches, a page of ids, its pairs: no COUNT of the
    # pairs behind.
    assert small == large == 7
    # Page 2 of the 30 pairs behind holds the last 5: the paginator took the health figures' count.
    assert page.count("Idle</span>") == 5 and "Page 2 of 2" in " ".join(page.split())


def test_the_enrolments_page_counts_its_list_from_the_pool_without_a_search(cast: Cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    for index in range(53):
        EnrolmentFactory(programme=programme, person=PersonFactory(name=f"Mentor {index:02}"))
    for status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.INVITED, EnrolmentStatus.WITHDRAWN):
        EnrolmentFactory(programme=programme, role=EnrolmentRole.MENTEE, status=status)
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:enrolments", args=[programme.pk])
    for role in ("", "mentor", "mentee", "nobody"):
        for status in ("", "active", "invited", "declined", "unheard-of"):
            listed = programme_enrolments(cast.programme_manager, programme, role=role, status=status)
            for number in (1, 2):
                page = client.get(url, {"role": role, "status": status, "page": number}).context["page"]
                assert page.paginator.count == listed.count(), (role, status)
                # The page read one role at a time holds the rows of the list's own order.
                expected = list(listed.values_list("pk", flat=True)[(number - 1) * 50 : number * 50])
                if page.number == number:
                    assert [enrolment.pk for enrolment in page.object_list] == expected, (role, status, number)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page": "2"})
    # One count, the pool's by role and status: rows counted (COUNT(*), which the index of
    # programme, role and status answers alone), from the enrolments' own table; the list not counted again.
    counts = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"]]
    assert len(counts) == 1 and "COUNT(*)" in counts[0] and "GROUP BY" in counts[0] and "JOIN" not in counts[0]
    assert len(captured.captured_queries) <= 6
    # Page 2 of 56 in the list's order (mentees first, then mentors by name): the last six mentors.
    names = [row.person.name for row in response.context["page"].object_list]
    assert names == [f"Mentor {index:02}" for index in range(47, 53)]
    # The rows drawn are those, in that order.
    page = response.content.decode()
    assert [page.index(f">Mentor {index:02}</a>") for index in range(47, 53)] == sorted(
        page.index(f">Mentor {index:02}</a>") for index in range(47, 53)
    )
    # A search is counted by the database.
    response = client.get(url, {"q": "Mentor 1"})
    assert response.context["page"].paginator.count == 10


def test_the_directory_pages_by_id_in_its_order(cast: Cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for index in range(60):
        # Two people per name: the employee id breaks the tie, as the directory's order says.
        PersonFactory(name=f"Zz Same {index // 2:02}", employee_id=f"ZZ{59 - index:03}")
    client = signed_in(cast.programme_manager)
    directory_filter_options()  # cached for five minutes: the bound is the page's own queries
    with django_assert_max_num_queries(7):
        response = client.get(reverse("people:directory"), {"q": "Same", "page": "2"})
    employee_ids = dict(Person.objects.values_list("pk", "employee_id"))
    shown = [(row.name, employee_ids[row.pk]) for row in response.context["page"].object_list]
    assert len(shown) == 10 and shown == sorted(shown)
    assert shown[0] == ("Zz Same 25", "ZZ008")


def test_the_departments_offered_are_everyone_s_read_one_per_department(cast: Cast) -> None:
    PersonFactory(department="Zulu Works", active=False)  # a leaver's department stays on offer
    PersonFactory(department="")
    PersonFactory(department="Alpha")
    PersonFactory(department="Alpha")
    expected = list(
        Person.objects.exclude(department="").order_by("department").values_list("department", flat=True).distinct()
    )
    assert "Zulu Works" in expected and "" not in expected
    assert departments_of_everyone() == expected


def test_the_api_lists_people_from_their_own_columns_alone(cast: Cast) -> None:
    user = cast.programme_manager
    _, raw = issue_token(actor=user, user=user, name="pages", scopes=["people:read"], kind="personal")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with CaptureQueriesContext(connection) as captured:
        items = client.get("/api/v1/people", {"limit": 200}).json()["items"]
    listing = [query["sql"] for query in captured.captured_queries if '"people_person"."employee_id"' in query["sql"]]
    # One query, without the managers joined in nor columns an item does not show.
    assert len(listing) == 1 and "JOIN" not in listing[0] and "tree_path" not in listing[0]
    ana = next(item for item in items if item["id"] == cast.ana.pk)
    assert ana == {
        "id": cast.ana.pk,
        "employee_id": cast.ana.employee_id,
        "name": cast.ana.name,
        "email": cast.ana.email,
        "title": cast.ana.title,
        "level": cast.ana.level,
        "department": cast.ana.department,
        "location": cast.ana.location,
        "manager_id": cast.ana.manager_id,
        "active": True,
        "high_potential": cast.ana.high_potential,  # a programme manager sees the talent flag
    }


def test_the_review_board_counts_its_pairs_without_joining_the_people(cast: Cast) -> None:
    programme = managed(cast, mentees=("vp_tech", "vp_sales", "ceo"))
    run = match_run_start(actor=OPERATOR, programme=programme)
    client = signed_in(cast.programme_manager)
    url = reverse("matchruns:board", args=[programme.pk, run.pk])
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    counts = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"]]
    # The proposals and the people without a partner: both counted from their own table alone.
    assert len([sql for sql in counts if "programmes_proposal" in sql or "programmes_unmatched" in sql]) >= 2
    assert not any("people_person" in sql for sql in counts)
    assert f"Proposed pairs ({run.proposals.count()})" in page
    assert f"Without a partner ({run.unmatched.count()})" in page
