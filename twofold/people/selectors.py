"""Reads of the people directory, each in a fixed number of queries whatever the size."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from twofold.people.hris_presets import PERSON_FIELDS
from twofold.people.models import CareerEvent, Delegation, Person, PersonCount, PersonSkill, SelfIdentification
from twofold.people.tree import path_ids, path_is_above, subtree_q
from twofold.site_links import id_paths

EXPORT_COLUMNS = [name for name in PERSON_FIELDS if name != "birth_date"]
RESTRICTED_COLUMNS = ("gender", "ethnicity", "birth_year", "disability")


@dataclass(frozen=True)
class DirectoryFilters:
    search: str = ""
    department: str = ""
    location: str = ""
    level: int | None = None
    high_potential: bool | None = None
    include_inactive: bool = False


def person_directory(filters: DirectoryFilters) -> QuerySet[Person]:
    """People matching the directory's search box and filters, manager joined in."""
    people = Person.objects.select_related("manager")
    if not filters.include_inactive:
        people = people.filter(active=True)
    if filters.search:
        for word in filters.search.split()[:5]:
            people = people.filter(
                Q(name__icontains=word)
                | Q(email__icontains=word)
                | Q(title__icontains=word)
                | Q(employee_id__iexact=word)
            )
    if filters.department:
        people = people.filter(department=filters.department)
    if filters.location:
        people = people.filter(location=filters.location)
    if filters.level is not None:
        people = people.filter(level=filters.level)
    if filters.high_potential is not None:
        people = people.filter(high_potential=filters.high_potential)
    return people.order_by("name", "employee_id")


def directory_count(filters: DirectoryFilters) -> int | None:
    """How many people :func:`person_directory` lists for ``filters`` when they filter nothing but
    leavers, read from the count PostgreSQL keeps (:class:`PersonCount`) instead of counting 100,000
    rows; None when they filter more, or on another database (the caller counts the rows then)."""
    if connection.vendor != "postgresql" or filters != DirectoryFilters(include_inactive=filters.include_inactive):
        return None
    counts = PersonCount.objects.all() if filters.include_inactive else PersonCount.objects.filter(active=True)
    return int(counts.aggregate(people=Sum("people"))["people"] or 0)


# The columns the directory's page shows of each person and their manager, in DirectoryRow's order.
DIRECTORY_ROW_FIELDS = (
    "pk",
    "name",
    "title",
    "level",
    "department",
    "location",
    "active",
    "high_potential",
    "manager_id",
    "manager__name",
)


@dataclass(frozen=True)
class DirectoryRow:
    """A person as a row of the directory's page, their links written out (a page of 50 people with
    their managers would reverse 100 addresses)."""

    pk: int
    url: str
    name: str
    title: str
    level: int
    department: str
    location: str
    active: bool
    high_potential: bool
    manager_url: str
    manager_name: str


def directory_rows(people: QuerySet[Person], ids: list[int]) -> dict[int, DirectoryRow]:
    """The directory's rows of the people ``ids`` among ``people``, by id: read as tuples of
    :data:`DIRECTORY_ROW_FIELDS` in one query (no model instances for 50 people and their managers)."""
    person_path = id_paths("people:person")
    return {
        pk: DirectoryRow(
            pk=pk,
            url=person_path(pk),
            name=name,
            title=title,
            level=level,
            department=department,
            location=location,
            active=active,
            high_potential=high_potential,
            manager_url="" if manager_id is None else person_path(manager_id),
            manager_name="" if manager_id is None else manager_name,
        )
        for pk, name, title, level, department, location, active, high_potential, manager_id, manager_name in (
            people.filter(pk__in=ids).order_by().values_list(*DIRECTORY_ROW_FIELDS)
        )
    }


@dataclass(frozen=True)
class FilterOptions:
    departments: list[str]
    locations: list[str]
    levels: list[int]


FILTER_OPTIONS_CACHE_KEY = "people:directory-filter-options"


def directory_filter_options() -> FilterOptions:
    """The values the directory's filters offer. Three DISTINCT scans of the whole directory cost
    tens of milliseconds at 100,000 people, so the answer is cached until the next import (or five
    minutes, for changes made in the admin)."""
    return cast(FilterOptions, cache.get_or_set(FILTER_OPTIONS_CACHE_KEY, _filter_options, 300))


def _filter_options() -> FilterOptions:
    active = Person.objects.filter(active=True).order_by()
    return FilterOptions(
        departments=[
            value for value in active.values_list("department", flat=True).distinct().order_by("department") if value
        ],
        locations=[
            value for value in active.values_list("location", flat=True).distinct().order_by("location") if value
        ],
        levels=list(active.values_list("level", flat=True).distinct().order_by("level")),
    )


def departments_of_everyone() -> list[str]:
    """Every department someone in the directory is in (leavers too), in order, blank left out.

    A loose index scan of the (department, level) index: the next department after the last one,
    one index probe per department, instead of a DISTINCT over every person (30 ms at 100,000 people
    on every view of the insights pages, whose department filter offers them).
    """
    table = connection.ops.quote_name(Person._meta.db_table)
    column = connection.ops.quote_name(Person._meta.get_field("department").column)
    sql = (
        f"WITH RECURSIVE departments(name) AS ("
        f"SELECT MIN({column}) FROM {table} WHERE {column} > %s "
        f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > departments.name) "
        f"FROM departments WHERE departments.name IS NOT NULL"
        f") SELECT name FROM departments WHERE name IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [""])
        return [name for (name,) in cursor.fetchall()]


def person_reporting_chain(person: Person) -> list[Person]:
    """Managers of ``person`` from the top of the tree down to their direct manager; one query."""
    above = path_ids(person.tree_path)[:-1]
    return sorted(Person.objects.filter(pk__in=above), key=lambda manager: manager.tree_depth)


def people_below(person: Person) -> QuerySet[Person]:
    """Everyone below ``person`` in the management tree, at any depth; one prefix search."""
    if not person.tree_path:
        return Person.objects.none()
    return Person.objects.filter(subtree_q(person.tree_path)).exclude(pk=person.pk)


def people_share_reporting_chain(first_id: int, second_id: int) -> bool:
    """Is either person above the other in the management tree? One query for both rows."""
    paths = dict(Person.objects.filter(pk__in=[first_id, second_id]).values_list("pk", "tree_path").order_by())
    if len(paths) < 2:
        return False
    first, second = paths[first_id], paths[second_id]
    return path_is_above(first, second) or path_is_above(second, first)


def person_profile(pk: int) -> Person:
    """One person with manager, direct reports and skills loaded (a fixed number of queries)."""
    return (
        Person.objects.select_related("manager")
        .prefetch_related(
            Prefetch("skills", queryset=PersonSkill.objects.select_related("skill").order_by("skill__name")),
            Prefetch("reports", queryset=Person.objects.filter(active=True).order_by("name")),
        )
        .annotate(direct_report_count=Count("reports", filter=Q(reports__active=True)))
        .get(pk=pk)
    )


def person_self_identification(person: Person) -> SelfIdentification | None:
    return SelfIdentification.objects.filter(person=person).first()


def people_export_rows(*, include_restricted: bool = False) -> Iterator[dict[str, Any]]:
    """Everyone as rows in Twofold's own column layout (the one ``import-people`` reads back)."""
    employee_ids = dict(Person.objects.values_list("pk", "employee_id").order_by())
    skills: dict[int, dict[str, list[str]]] = {}
    skill_rows = PersonSkill.objects.values_list(
        "person_id", "skill__name", "proficiency", "can_teach", "wants_to_learn"
    ).order_by("person_id", "skill__name")
    for person_id, name, proficiency, can_teach, wants_to_learn in skill_rows.iterator(chunk_size=5000):
        columns = skills.setdefault(person_id, {"skills_teach": [], "skills_learn": [], "skills": []})
        entry = f"{name}:{proficiency}"
        if can_teach:
            columns["skills_teach"].append(entry)
        if wants_to_learn:
            columns["skills_learn"].append(entry)
        if not can_teach and not wants_to_learn:
            columns["skills"].append(entry)
    attributes: dict[int, dict[str, Any]] = {}
    if include_restricted:
        for person_id, *values in SelfIdentification.objects.values_list("person_id", *RESTRICTED_COLUMNS):
            attributes[person_id] = dict(zip(RESTRICTED_COLUMNS, values, strict=True))
    people = Person.objects.values_list(
        "pk",
        "employee_id",
        "name",
        "email",
        "title",
        "level",
        "department",
        "location",
        "manager_id",
        "hire_date",
        "high_potential",
        "active",
    ).order_by("employee_id")
    empty_skills: dict[str, list[str]] = {"skills_teach": [], "skills_learn": [], "skills": []}
    for (
        pk,
        eid,
        name,
        email,
        title,
        level,
        department,
        location,
        manager_id,
        hire,
        hipo,
        active,
    ) in people.iterator(chunk_size=5000):
        row: dict[str, Any] = {
            "employee_id": eid,
            "name": name,
            "email": email,
            "title": title,
            "level": level,
            "department": department,
            "location": location,
            "manager_id": employee_ids.get(manager_id, "") if manager_id else "",
            "hire_date": hire.isoformat() if hire else "",
            "high_potential": "yes" if hipo else "no",
            "active": "yes" if active else "no",
        }
        for column, entries in skills.get(pk, empty_skills).items():
            row[column] = ";".join(entries)
        if include_restricted:
            values = attributes.get(pk, {})
            for column in RESTRICTED_COLUMNS:
                value = values.get(column)
                row[column] = "" if value is None else value
        yield row


def export_columns(*, include_restricted: bool) -> list[str]:
    return [name for name in EXPORT_COLUMNS if include_restricted or name not in RESTRICTED_COLUMNS]


def demo_refusal() -> str | None:
    """Why the demo may not write into this database, or None when it may.

    The demo (its sign-ins with a published password, roles, made-up promotions and check-ins)
    belongs in an empty directory or one ``twofold demo-org`` generated, never in production mode
    and never beside people who came from anywhere else.
    """
    if settings.PRODUCTION:
        return (
            "Twofold is in production mode (TWOFOLD_PRODUCTION=1), where the demo never runs: it would add "
            "sign-ins with a published password, roles and made-up history to a real organisation."
        )
    real = Person.objects.filter(generated__isnull=True).count()
    if real:
        return (
            f"The directory holds {real:,} {'person' if real == 1 else 'people'} the demo did not generate "
            "(imported or entered by hand), and the demo never adds its sign-ins, roles or made-up history to "
            "a real directory. To try the demo, point DATABASE_URL at an empty database; if this one only ever "
            "held a demo, delete it and run `twofold demo` again."
        )
    return None


def delegate_of(manager: Person) -> Person | None:
    """The colleague ``manager`` named to decide their direct reports' applications, if any."""
    delegation = Delegation.objects.select_related("delegate").filter(manager=manager).first()
    return delegation.delegate if delegation is not None else None


def delegating_to(person: Person) -> list[Person]:
    """The managers who named ``person`` as their delegate."""
    return list(Person.objects.filter(delegation__delegate=person).order_by("name"))


def colleague_by_reference(reference: str) -> Person | None:
    """An active colleague by email (any case) or employee id; None when nobody active matches."""
    reference = reference.strip()
    if not reference:
        return None
    return (
        Person.objects.filter(active=True)
        .filter(Q(email__iexact=reference) | Q(employee_id=reference))
        .order_by("pk")
        .first()
    )


def career_history(person: Person, *, limit: int = 12) -> list[CareerEvent]:
    """A person's latest career events, newest first (shown only to whom may see them:
    :func:`~twofold.accounts.permissions.can_see_career_history`)."""
    return list(CareerEvent.objects.filter(person=person).order_by("-effective_date", "kind")[:limit])
