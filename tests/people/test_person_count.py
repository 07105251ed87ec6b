"""The count of active and inactive people that PostgreSQL keeps (``PersonCount``) is the count of
the rows, after every kind of write, and the directory's unfiltered pages show it."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.factories import PersonFactory, grant
from twofold.people.bulk import bulk_insert_rows
from twofold.people.models import Person, PersonCount
from twofold.people.selectors import DirectoryFilters, directory_count, person_directory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the count is kept by PostgreSQL triggers"),
]


def kept() -> dict[bool, int]:
    return {row.active: row.people for row in PersonCount.objects.all() if row.people}


def counted() -> dict[bool, int]:
    return {
        active: Person.objects.filter(active=active).count()
        for active in (False, True)
        if Person.objects.filter(active=active).exists()
    }


def test_every_kind_of_write_keeps_the_count() -> None:
    people = [PersonFactory() for _ in range(3)] + [PersonFactory(active=False)]
    assert kept() == counted() == {True: 3, False: 1}
    Person.objects.bulk_create(
        [
            Person(employee_id=f"B{index}", name=f"Bulk {index}", email=f"b{index}@example.org", level=3)
            for index in range(5)
        ]
    )
    assert kept() == counted() == {True: 8, False: 1}
    copied = [
        Person(employee_id=f"C{active}", name="Copied", email=f"c{active}@example.org", level=3, active=active)
        for active in (False, True)
    ]
    for person in copied:
        person.created_at = person.updated_at = timezone.now()
    fields = [field.attname for field in Person._meta.concrete_fields if not field.primary_key]
    bulk_insert_rows(Person, fields, [[getattr(person, name) for name in fields] for person in copied])  # COPY
    assert kept() == counted() == {True: 9, False: 2}
    Person.objects.filter(name__startswith="Bulk").update(active=False)  # moves five
    Person.objects.filter(active=False).update(title="Former")  # moves nobody
    assert kept() == counted() == {True: 4, False: 7}
    people[0].active = False
    people[0].save()
    people[1].delete()
    Person.objects.filter(name="Copied").delete()
    assert kept() == counted() == {True: 1, False: 7}
    with transaction.atomic():
        sid = transaction.savepoint()
        Person.objects.update(active=True)
        assert kept() == counted() == {True: 8}
        transaction.savepoint_rollback(sid)
    assert kept() == counted() == {True: 1, False: 7}
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        cursor.execute("TRUNCATE people_person CASCADE")
    assert kept() == counted() == {}
    PersonFactory()
    assert kept() == counted() == {True: 1}


def test_the_count_is_the_directorys_count_only_when_nothing_but_leavers_is_filtered() -> None:
    PersonFactory(department="Sales")
    PersonFactory(active=False)
    for filters in (DirectoryFilters(), DirectoryFilters(include_inactive=True)):
        assert directory_count(filters) == person_directory(filters).count()
    for filters in (DirectoryFilters(search="x"), DirectoryFilters(department="Sales"), DirectoryFilters(level=3)):
        assert directory_count(filters) is None


def test_the_directory_shows_the_kept_count(cast, django_assert_max_num_queries) -> None:
    for index in range(60):
        PersonFactory(name=f"Extra {index}", active=index % 7 != 0)
    grant(cast.programme_manager, "people.import_people")  # who may list leavers
    client = Client()
    assert client.login(request=HttpRequest(), username=cast.programme_manager.username, password=PASSWORD)
    for query, people in (
        ({}, Person.objects.filter(active=True)),
        ({"inactive": "yes"}, Person.objects.all()),
        ({"q": "Extra"}, Person.objects.filter(active=True, name__startswith="Extra")),
    ):
        with django_assert_max_num_queries(9):
            page = client.get(reverse("people:directory"), query).content.decode()
        shown = re.search(r"([0-9]+) (?:active )?people match", page)
        assert shown is not None and int(shown.group(1)) == people.count()
        pages = -(-people.count() // 50)
        assert f"Page 1 of {pages}<" in page or pages == 1


def test_a_dump_loaded_over_counted_people_keeps_one_row_a_value(tmp_path) -> None:
    """``dumpdata`` writes the count's rows too; loaded into a database whose triggers counted the
    same people as they went in, they take the place of those rows rather than failing beside them."""
    from django.core.management import call_command

    PersonFactory()
    PersonFactory(active=False)
    dump = tmp_path / "people.json"
    call_command("dumpdata", "people", output=str(dump))
    Person.objects.all().delete()
    call_command("loaddata", str(dump), verbosity=0)
    assert kept() == counted() == {False: 1, True: 1}
    assert PersonCount.objects.count() == 2
