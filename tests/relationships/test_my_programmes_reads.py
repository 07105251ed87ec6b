"""The reads of "My programmes" kept as the session read is: the ORM's SQL built once per process,
each read binding its values and making the objects the ORM makes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import EnrolmentFactory, ProgrammeFactory, RelationshipFactory
from tests.people.test_views import signed_in
from twofold.accounts.kept_queries import KeptQuery
from twofold.programmes.models import EnrolmentRole, EnrolmentStatus, ProgrammeKind
from twofold.programmes.selectors import ENROLMENTS_LISTED, enrolments_listed
from twofold.relationships.calendar import FEED_READ, calendar_feed_for
from twofold.relationships.models import Agreement, RelationshipState
from twofold.relationships.selectors.person import RELATIONSHIPS_OF_PERSON


def loaded(instance: Model, depth: int = 2) -> dict[str, Any]:
    """What an object holds without asking the database: its loaded columns (with their types), the
    fields it defers, and the same of each related object cached on it (None too), ``depth`` deep
    (a reverse one-to-one caches its way back)."""
    related = instance._state.fields_cache
    return {
        "model": type(instance),
        "columns": {
            name: (value, type(value), getattr(value, "tzinfo", None))
            for name, value in vars(instance).items()
            if name != "_state"
        },
        "deferred": instance.get_deferred_fields(),
        "db": (instance._state.db, instance._state.adding),
        "related": {
            name: loaded(other, depth - 1) if other is not None and depth else other is None
            for name, other in related.items()
        },
    }


def the_same_as_the_orms(kept: KeptQuery[Any], *values: Any) -> list[Any]:
    """The kept read's SQL is the ORM's and its objects are the ORM's, field for field."""
    orm_sql, orm_params = kept.compiler_of_orm(DEFAULT_DB_ALIAS, values).as_sql()
    assert kept.compiled(DEFAULT_DB_ALIAS).sql == orm_sql
    assert kept.params(connection, values) == list(orm_params)
    with CaptureQueriesContext(connection) as queries:
        read = kept.objects(*values)
        orm = list(kept.queryset(*values))
    assert len(queries) == 2 and queries[0]["sql"] == queries[1]["sql"]
    assert [loaded(one) for one in read] == [loaded(one) for one in orm]
    return read


@pytest.fixture
def busy(cast: Cast) -> Cast:
    """Ana in pairs on both sides, one with an agreement, and enrolments of every kind the page draws."""
    as_mentor = RelationshipFactory(
        programme=ProgrammeFactory(name="<b>&\"'"), mentor_enrolment__person=cast.ana, state=RelationshipState.ACTIVE
    )
    Agreement.objects.update_or_create(relationship=as_mentor, defaults={"goals": "Lead <i>&", "cadence_days": 21})
    as_mentee = RelationshipFactory(mentee_enrolment__person=cast.ana, state=RelationshipState.PROPOSED)
    Agreement.objects.filter(relationship=as_mentee).delete()
    EnrolmentFactory(
        programme=ProgrammeFactory(name="Nominating"),
        person=cast.ana,
        role=EnrolmentRole.MENTEE,
        status=EnrolmentStatus.INVITED,
        nominated_by=cast.vp_sales,
        goals="Grow",
    )
    EnrolmentFactory(programme=ProgrammeFactory(), person=cast.ana, status=EnrolmentStatus.WAITLISTED)
    return cast


def test_the_kept_reads_of_my_programmes_are_the_orms(busy: Cast) -> None:
    ana = busy.ana.pk
    enrolments = the_same_as_the_orms(ENROLMENTS_LISTED, ana)
    assert len(enrolments) == 4 and any(e.nominated_by is not None for e in enrolments)
    pairs = the_same_as_the_orms(RELATIONSHIPS_OF_PERSON, ana, ana)
    assert len(pairs) == 2
    assert sorted(pair._state.fields_cache["agreement"] is None for pair in pairs) == [False, True]
    calendar_feed_for(busy.ana)  # created on the first visit
    (feed,) = the_same_as_the_orms(FEED_READ, ana)
    assert calendar_feed_for(busy.ana).token == feed.token
    # Nobody's rows but the person's: another person reads none of Ana's.
    assert the_same_as_the_orms(ENROLMENTS_LISTED, busy.ben.pk) == []
    assert the_same_as_the_orms(RELATIONSHIPS_OF_PERSON, busy.ben.pk, busy.ben.pk) == []


def test_the_kept_reads_bind_each_persons_values(busy: Cast) -> None:
    """Kept with one person's values, the SQL reads another's rows, never the first person's."""
    assert len(enrolments_listed(busy.ana)) == 4
    assert enrolments_listed(busy.ben) == [] and enrolments_listed(busy.ana)[0].person_id == busy.ana.pk
    first = calendar_feed_for(busy.ana)
    assert calendar_feed_for(busy.ben).person_id == busy.ben.pk
    assert calendar_feed_for(busy.ana).token == first.token != calendar_feed_for(busy.ben).token


def test_my_programmes_reads_its_rows_in_a_fixed_number_of_queries(busy: Cast, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    # Programmes open to her, one of each kind: the offers read no column left unread.
    ProgrammeFactory(name="Open <i>", description="All <welcome> & more")
    ProgrammeFactory(name="Sponsored", kind=ProgrammeKind.SPONSORSHIP)
    client = signed_in(busy.ana_user)
    client.get(reverse("relationships:mine"))  # the calendar feed is created on the first visit
    with django_assert_num_queries(8):
        page = client.get(reverse("relationships:mine")).content.decode()
    assert "&lt;b&gt;&amp;&quot;&#x27;" in page and page.count('href="/relationships/') == 2
    assert "<strong>Open &lt;i&gt;</strong>" in page and "All &lt;welcome&gt; &amp; more" in page
    assert "<strong>Sponsored</strong> · Sponsorship" in page
