"""People and skills: the directory as its page shows it; a person's manager and skills."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import BaseModel, ConfigDict, Field

from twofold.accounts import permissions
from twofold.accounts.kept_queries import KeptQuery
from twofold.api.auth import caller
from twofold.api.pagination import DEFAULT_LIMIT, Page, PageQuery, cursor_after, page_of, page_rows, paginate
from twofold.api.problems import Problem
from twofold.api.routers.schemas import ERRORS, Id, Level
from twofold.people.models import Person, Skill
from twofold.people.selectors import DirectoryFilters, person_directory, person_profile
from twofold.people.services import SkillChoice, person_set_manager, person_skills_set

router = Router()


# A plain pydantic model, not a ninja Schema: the items are dicts (_present), which a Schema would
# wrap one by one to read them as objects, at a quarter of a page's cost. The OpenAPI document is the
# same (a docstring here would become the schema's description).
class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    employee_id: str
    name: str
    email: str
    title: str
    level: int
    department: str
    location: str
    manager_id: int | None
    active: bool
    high_potential: bool | None = Field(description="Only for programme managers and org admins; null otherwise.")


class PersonSkillOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    skill_id: int
    name: str
    proficiency: int
    can_teach: bool
    wants_to_learn: bool


class PersonDetailOut(PersonOut):
    skills: list[PersonSkillOut]


class SkillOut(Schema):
    id: int
    name: str
    category: str
    description: str


class PeopleFilters(PageQuery):
    q: str = Field("", max_length=100, description="Words in the name, email or title, or an employee id.")
    department: str = Field("", max_length=120)
    location: str = Field("", max_length=120)
    level: Level | None = None
    high_potential: bool | None = Field(None, description="Honoured for programme managers and org admins only.")
    include_inactive: bool = Field(False, description="Honoured only for those who may list leavers.")


class ManagerIn(Schema):
    manager_id: Id | None = Field(description="The new manager's id; null for none.")


class SkillIn(Schema):
    skill_id: Id
    proficiency: int = Field(ge=0, le=4)
    can_teach: bool = False
    wants_to_learn: bool = False


class SkillsIn(Schema):
    skills: list[SkillIn] = Field(max_length=200)


# What a person's item shows besides the talent flag (read from the row, not from objects built for it).
PERSON_OUT_FIELDS = tuple(name for name in PersonOut.model_fields if name != "high_potential")


def _present(people: list[Person], *, talent_flags: bool) -> list[dict[str, Any]]:
    """The items of ``people``; the response's schema checks them once, on the way out."""
    return [
        {
            **{name: getattr(person, name) for name in PERSON_OUT_FIELDS},
            "high_potential": person.high_potential if talent_flags else None,
        }
        for person in people
    ]


def _present_rows(rows: Sequence[dict[str, Any]], *, talent_flags: bool) -> list[dict[str, Any]]:
    """The items of a page read as dicts of an item's fields (``values()``, no model instances);
    the talent flag blanked for whoever may not see it, as :func:`_present` does."""
    items = list(rows)
    if not talent_flags:
        for item in items:
            item["high_potential"] = None
    return items


def _directory_items(filters: DirectoryFilters) -> QuerySet[Person]:
    """The directory's people for ``filters`` as the API reads them: only the columns an item shows,
    as dicts: no manager joined in (an item names its manager by id), no model instances built."""
    return person_directory(filters).select_related(None).values(*PERSON_OUT_FIELDS, "high_potential")


def _first_page() -> QuerySet[Person]:
    """What a page of the default size of the unfiltered directory reads, from the start."""
    return page_rows(_directory_items(DirectoryFilters()), None, DEFAULT_LIMIT)


def _page_after(after: int) -> QuerySet[Person]:
    """What a page of the default size of the unfiltered directory reads after id ``after``."""
    return page_rows(_directory_items(DirectoryFilters()), after, DEFAULT_LIMIT)


# Most API calls page through the whole directory (the load mix's clients do): those two reads are
# built by the ORM once per process and database, each call binding its cursor's id; any filter or
# another limit makes another SQL, which the ORM builds each time.
FIRST_PAGE = KeptQuery(Person, _first_page, parameters=(), samples=lambda: ((), ()))
PAGE_AFTER = KeptQuery(Person, _page_after, parameters=("id",), samples=lambda: ((7,), (9,)))


def _directory_page(filters: DirectoryFilters, page: PageQuery) -> list[dict[str, Any]]:
    """The rows of ``page`` of the directory for ``filters``, as :func:`page_rows` reads them."""
    after = cursor_after(page)
    if filters == DirectoryFilters() and page.limit == DEFAULT_LIMIT:
        return FIRST_PAGE.dicts() if after is None else PAGE_AFTER.dicts(after)
    return list(page_rows(_directory_items(filters), after, page.limit))


def _visible_person(user: Any, pk: int) -> Person:
    """Person ``pk`` if ``user`` may see them; 404 alike for an unknown id (the person page's rule)."""
    found = Person.objects.filter(pk=pk).first()
    if found is None or not permissions.allowed(user, "people.view", found):
        raise Http404("No such person.")
    return found


def _detail(user: Any, pk: int) -> dict[str, Any]:
    person = person_profile(pk)
    out = _present([person], talent_flags=permissions.allowed(user, "people.view_talent_flags"))[0]
    out["skills"] = [
        {
            "skill_id": held.skill_id,
            "name": held.skill.name,
            "proficiency": held.proficiency,
            "can_teach": held.can_teach,
            "wants_to_learn": held.wants_to_learn,
        }
        for held in person.skills.all()
    ]
    return out


@router.get("/people", response={200: Page[PersonOut], **ERRORS}, operation_id="people_list")
def people_list(request: HttpRequest, filters: Query[PeopleFilters]) -> Any:
    """The directory, filtered as on its page. Scope `people:read`."""
    user = caller(request, "people:read")
    permissions.authorize(user, "directory.view")
    talent_flags = permissions.allowed(user, "people.view_talent_flags")
    directory = DirectoryFilters(
        search=filters.q.strip(),
        department=filters.department.strip(),
        location=filters.location.strip(),
        level=filters.level,
        high_potential=filters.high_potential if talent_flags else None,
        # Asked only when leavers are asked for: the rule reads the account's grants (a query).
        include_inactive=filters.include_inactive and permissions.allowed(user, "people.list_leavers"),
    )
    rows = _directory_page(directory, filters)
    return page_of(rows, filters, lambda rows: _present_rows(rows, talent_flags=talent_flags), pk_of=itemgetter("id"))


@router.get("/people/{int:person_id}", response={200: PersonDetailOut, **ERRORS}, operation_id="people_read")
def people_read(request: HttpRequest, person_id: int) -> Any:
    """One person, with their skills. Scope `people:read`."""
    user = caller(request, "people:read")
    _visible_person(user, person_id)
    return _detail(user, person_id)


@router.put(
    "/people/{int:person_id}/manager",
    response={200: PersonDetailOut, **ERRORS, 503: Problem},
    operation_id="people_set_manager",
)
def people_set_manager(request: HttpRequest, person_id: int, payload: ManagerIn) -> Any:
    """Give a person a new manager (org admins and whoever may import people). Scope `people:write`.
    503 (with Retry-After) when concurrent changes to the same reporting chain kept it from being
    made: nothing was changed; send it again."""
    user = caller(request, "people:write")
    person = _visible_person(user, person_id)
    manager = None
    if payload.manager_id is not None:
        manager = _visible_person(user, payload.manager_id)
    person_set_manager(actor=user, person=person, manager=manager)
    return _detail(user, person_id)


@router.put(
    "/people/{int:person_id}/skills", response={200: PersonDetailOut, **ERRORS}, operation_id="people_set_skills"
)
def people_set_skills(request: HttpRequest, person_id: int, payload: SkillsIn) -> Any:
    """Replace a person's skills (their own profile: the person themselves). Scope `people:write`."""
    user = caller(request, "people:write")
    person = _visible_person(user, person_id)
    person_skills_set(
        actor=user,
        person=person,
        choices=[
            SkillChoice(
                skill_id=choice.skill_id,
                proficiency=choice.proficiency,
                can_teach=choice.can_teach,
                wants_to_learn=choice.wants_to_learn,
            )
            for choice in payload.skills
        ],
    )
    return _detail(user, person_id)


@router.get("/skills", response={200: Page[SkillOut], **ERRORS}, operation_id="skills_list")
def skills_list(request: HttpRequest, page: Query[PageQuery]) -> Any:
    """The skills catalogue. Scope `people:read`."""
    user = caller(request, "people:read")
    permissions.authorize(user, "directory.view")
    return paginate(Skill.objects.all(), page)
