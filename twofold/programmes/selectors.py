"""Reads for programmes and enrolments, each in a bounded number of queries."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from twofold.accounts import permissions
from twofold.accounts.kept_queries import KeptQuery
from twofold.people.models import Person
from twofold.people.selectors import DirectoryFilters, person_directory
from twofold.programmes.eligibility import (
    OPEN_STATUSES,
    TAKING_APPLICATIONS,
    ApplicationFacts,
    Candidate,
    EligibilityRules,
    application_problem,
    invitation_problem,
)
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme
from twofold.site_links import id_paths

# Statuses that hold a place in a pool or may come to (eligibility's one list).
OPEN_ENROLMENT = tuple(EnrolmentStatus(status) for status in OPEN_STATUSES)


def programme_pool_counts(programme: Programme) -> dict[str, dict[str, int]]:
    """Enrolments by role and status, in one grouped query. Counting rows (``COUNT(*)``), not ids,
    lets PostgreSQL answer from the ``enrolment_pool`` index alone (programme, role, status): 25
    pages of it for a programme of 24,000 enrolments, where counting ids read 414 pages of the table."""
    counts: dict[str, dict[str, int]] = {
        role: dict.fromkeys(EnrolmentStatus.values, 0) for role in EnrolmentRole.values
    }
    rows = Enrolment.objects.filter(programme=programme).values("role", "status").annotate(n=Count("*")).order_by()
    for row in rows:
        counts[row["role"]][row["status"]] = row["n"]
    return counts


def pool_count(pool: dict[str, dict[str, int]], *, role: str = "", status: str = "") -> int:
    """How many of :func:`programme_pool_counts`' enrolments have ``role`` and ``status``: the
    count of :func:`programme_enrolments` without a search (a blank or unknown role or status
    narrows nothing there, and here)."""
    return sum(
        n
        for row_role, by_status in pool.items()
        if role not in EnrolmentRole.values or row_role == role
        for row_status, n in by_status.items()
        if status not in EnrolmentStatus.values or row_status == status
    )


class EnrolmentIdsByRole(Sequence[int]):
    """The ids of :func:`programme_enrolments` (role, then name), a slice read one role at a time.

    With the role fixed, the database walks the directory's names in order and stops at the page
    (1 ms for the first page of 24,000 enrolments), where the two roles together make it join and
    sort every enrolment (100 ms). ``counts``: how many enrolments of each role the list holds
    (:func:`pool_count`); role values are lower-case words, in the same order in Python and in
    any collation.
    """

    def __init__(self, enrolments: QuerySet[Enrolment], counts: dict[str, int]) -> None:
        self.enrolments, self.counts = enrolments, counts

    def __len__(self) -> int:
        return sum(self.counts.values())

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, int):
            if index < 0:  # read as a slice, -1 would give nothing and -2 the last row
                raise IndexError(f"enrolment ids are read from the front, not at {index}")
            return self[index : index + 1][0]
        start, stop, _ = index.indices(len(self))
        ids: list[int] = []
        before = 0  # enrolments of the roles before this one
        for role in sorted(self.counts):
            low, high = max(start - before, 0), min(stop - before, self.counts[role])
            if low < high:
                ids += self.enrolments.filter(role=role).values_list("pk", flat=True)[low:high]
            before += self.counts[role]
        return ids


def programmes_visible_to(user: Any) -> QuerySet[Programme]:
    """The programmes ``user`` manages (every one for an org admin), narrowed by the one rule of
    :func:`twofold.accounts.permissions.manageable_programmes`."""
    programmes = Programme.objects.annotate(
        mentor_count=Count("enrolments", filter=Q(enrolments__role=EnrolmentRole.MENTOR, enrolments__status="active")),
        mentee_count=Count("enrolments", filter=Q(enrolments__role=EnrolmentRole.MENTEE, enrolments__status="active")),
    ).order_by("-created_at")
    return permissions.manageable_programmes(user, programmes)


def _programmes(fields: tuple[str, ...]) -> QuerySet[Programme]:
    return Programme.objects.only(*fields) if fields else Programme.objects.all()


@functools.cache
def _managed_programme_reads(fields: tuple[str, ...]) -> dict[str, KeptQuery[Programme]]:
    """The read of one programme its manager opens, by :func:`~twofold.accounts.permissions.programme_reach`
    (an org admin's by its id alone, a programme manager's by theirs too): its SQL depends on the
    code alone (the columns ``fields`` a call site names), so kept once per process for each."""
    return {
        permissions.ALL_PROGRAMMES: KeptQuery(
            Programme,
            lambda pk: _programmes(fields).filter(pk=pk)[:1],
            parameters=("id",),
            samples=lambda: ((1,), (2,)),
        ),
        permissions.OWN_PROGRAMMES: KeptQuery(
            Programme,
            lambda user_id, pk: permissions.programmes_managed_by(user_id, _programmes(fields)).filter(pk=pk)[:1],
            parameters=("managers", "id"),
            samples=lambda: ((1, 2), (3, 4)),
        ),
    }


def managed_programme(user: Any, pk: int, *, fields: tuple[str, ...] = ()) -> Programme | None:
    """The programme ``pk`` if ``user`` manages it (as
    :func:`~twofold.accounts.permissions.manageable_programmes` narrows them), else None, whether it
    exists or not: one query (none for a user who manages nothing), its SQL built once per process.
    ``fields``: only those columns."""
    reach = permissions.programme_reach(user)
    if reach is None:
        return None
    read = _managed_programme_reads(fields)[reach]
    return read.first(pk) if reach == permissions.ALL_PROGRAMMES else read.first(user.pk, pk)


# What an offer shows (name, kind, description) and what deciding it reads: EligibilityRules.of and
# the application's facts. A test holds that the offers cost no query more.
OFFER_FIELDS = (
    "name",
    "kind",
    "description",
    "state",
    "invite_only",
    "mentor_min_level",
    "mentor_max_level",
    "mentee_min_level",
    "mentee_max_level",
    "min_level_gap",
    "max_level_gap",
    "requires_high_potential",
)


def programmes_open_to(person: Any) -> list[tuple[Programme, list[tuple[str, str]]]]:
    """The programmes ``person`` may apply to of their own accord, with the roles they may take: those
    :func:`~twofold.programmes.eligibility.application_problem` lets through, the rule
    ``enrolment_apply`` applies. Invite-only programmes are never among them. One query."""
    # What the rules and the offer read, no more: a third of the columns to compile and convert.
    return _offers(person, Programme.objects.only(*OFFER_FIELDS))


def open_enrolment_in(person: Any, programme_id: int) -> Enrolment | None:
    """``person``'s open enrolment (invited, applied, active…) in programme ``programme_id``, with
    its programme, or None: what applying answers first (the application page and the API alike).
    One query."""
    # programme__pk, not programme_id: the key's own lookup matches nothing for an id too large for
    # the column (an address's), where the relation's overflows SQLite's integer.
    return (
        Enrolment.objects.filter(programme__pk=programme_id, person=person, status__in=OPEN_ENROLMENT)
        .select_related("programme")
        .first()
    )


def programme_open_to(person: Any, pk: int) -> tuple[Programme, list[tuple[str, str]]] | None:
    """Programme ``pk`` with the roles ``person`` may take in it, if it is among
    :func:`programmes_open_to`'s (None otherwise), read whole: applying reads more of it than the
    offer shows. One query."""
    offers = _offers(person, Programme.objects.filter(pk=pk))
    return offers[0] if offers else None


def _offers(person: Any, programmes: QuerySet[Programme]) -> list[tuple[Programme, list[tuple[str, str]]]]:
    mine = Enrolment.objects.filter(programme=OuterRef("pk"), person=person).values("status")[:1]
    programmes = programmes.filter(state__in=TAKING_APPLICATIONS).annotate(previous_status=Subquery(mine))
    candidate = Candidate.of(person)
    offers: list[tuple[Programme, list[tuple[str, str]]]] = []
    for programme in programmes.order_by("name"):
        rules = EligibilityRules.of(programme)
        facts = ApplicationFacts(
            state=programme.state,
            invite_only=programme.invite_only,
            previous_status=programme.previous_status,
        )
        roles = [
            (role, (programme.mentor_label if role == EnrolmentRole.MENTOR else programme.mentee_label).capitalize())
            for role in EnrolmentRole.values
            if application_problem(rules, candidate, role, facts) is None
        ]
        if roles:
            offers.append((programme, roles))
    return offers


def enrolments_of(person: Any) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(person=person).select_related("programme", "nominated_by").order_by("-created_at")


# Columns of an enrolment that a participant's own list ("My programmes") never reads: those of matching.
_LISTED_UNREAD = (
    "capacity",
    "seats_taken",
    "availability",
    "aspiration",
    "invited_by_id",
    "approved_by_id",
    "approved_at",
    "updated_at",
)


def enrolments_listed_for(person: Any) -> QuerySet[Enrolment]:
    """:func:`enrolments_of`, reading what a participant's own list shows and the choosing rule
    reads: not the columns of matching, and of the nominator only the name."""
    nominator_unread = [
        f"nominated_by__{field.attname}"
        for field in Person._meta.concrete_fields
        if field.attname not in ("id", "name")
    ]
    return enrolments_of(person).defer(*_LISTED_UNREAD, *nominator_unread)


# The participant's own list is read on every visit to "My programmes", always in the same shape.
ENROLMENTS_LISTED = KeptQuery(
    Enrolment,
    enrolments_listed_for,
    parameters=("person",),
    samples=lambda: ((1,), (2,)),
)


def enrolments_listed(person: Person) -> list[Enrolment]:
    """:func:`enrolments_listed_for`'s rows, its SQL built once per process."""
    return ENROLMENTS_LISTED.objects(person.pk)


APPROVAL_FIELDS = (
    "role",
    "status",
    "goals",
    "created_at",
    "person__name",
    "person__manager_id",
    "person__manager__name",
    "programme__name",
    "programme__kind",
)


def approvals_awaiting(user: Any) -> list[Enrolment]:
    """Applications waiting for ``user`` to decide: their direct reports', and those of the managers
    who named them as delegate (:func:`~twofold.accounts.permissions.applications_to_decide`)."""
    waiting = Enrolment.objects.filter(status=EnrolmentStatus.PENDING_APPROVAL)
    return list(
        permissions.applications_to_decide(user, waiting)
        .select_related("person__manager", "programme")
        # What the list shows, no more: a third of the columns, and as much less to compile and convert.
        .only(*APPROVAL_FIELDS)
        .order_by("created_at")[:100]
    )


def application_to_decide(user: Any, pk: int) -> Enrolment | None:
    """Enrolment ``pk`` if ``user`` decides it, in one query: None alike for an id that does not exist
    and for someone else's team's application."""
    return permissions.applications_to_decide(user, Enrolment.objects.select_related("person")).filter(pk=pk).first()


@dataclass
class InviteFilter:
    """Who to invite: level range, departments, locations, and optionally only high potential."""

    min_level: int | None = None
    max_level: int | None = None
    departments: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    high_potential_only: bool = False

    def queryset(self) -> QuerySet[Person]:
        people = Person.objects.filter(active=True)
        if self.min_level is not None:
            people = people.filter(level__gte=self.min_level)
        if self.max_level is not None:
            people = people.filter(level__lte=self.max_level)
        if self.departments:
            people = people.filter(department__in=self.departments)
        if self.locations:
            people = people.filter(location__in=self.locations)
        if self.high_potential_only:
            people = people.filter(high_potential=True)
        return people


@dataclass
class InvitePreview:
    """Who an invitation by filter would reach: ``invited`` (in the order they would be invited) and
    ``excluded`` with the reason each is left out, by the rule the invitation service applies
    (:func:`~twofold.programmes.eligibility.invitation_problem`)."""

    invited: list[Person] = field(default_factory=list)
    excluded: list[tuple[Person, str, str]] = field(default_factory=list)  # person, code, message

    @property
    def matched(self) -> int:
        return len(self.invited) + len(self.excluded)

    def excluded_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, code, _ in self.excluded:
            counts[code] = counts.get(code, 0) + 1
        return counts


def invite_preview(programme: Programme, role: str, where: InviteFilter) -> InvitePreview:
    """What :func:`~twofold.programmes.enrolment_services.enrolment_invite_by_filter` would do now with the same
    filter, without writing anything: two queries however many people the filter selects."""
    open_status = dict(
        Enrolment.objects.filter(programme=programme, status__in=OPEN_ENROLMENT).values_list("person_id", "status")
    )
    rules = EligibilityRules.of(programme)
    preview = InvitePreview()
    for person in where.queryset().order_by("employee_id"):
        refusal = invitation_problem(rules, Candidate.of(person), role, previous_status=open_status.get(person.pk))
        if refusal is None:
            preview.invited.append(person)
        else:
            preview.excluded.append((person, refusal.code, refusal.message))
    return preview


@dataclass(frozen=True)
class AddCandidate:
    """A person found on the "add directly" page, with why each role is closed to them (None: open)."""

    person: Person
    mentor_problem: str | None
    mentee_problem: str | None


ENROLMENT_SEARCH_MAX = 100


def programme_enrolments(
    user: Any, programme: Programme, *, role: str = "", status: str = "", search: str = ""
) -> QuerySet[Enrolment]:
    """The enrolments of ``programme`` its managers see, by role and name: none for anyone who may
    not manage it (:func:`~twofold.accounts.permissions.manageable_programmes` decides). Optionally
    only one role or status, and only those whose name contains ``search`` or whose employee id
    starts with it (case aside); an unknown role or status narrows nothing."""
    enrolments = Enrolment.objects.filter(
        programme__in=permissions.manageable_programmes(user, Programme.objects.filter(pk=programme.pk))
    ).select_related("person", "nominated_by")
    if role in EnrolmentRole.values:
        enrolments = enrolments.filter(role=role)
    if status in EnrolmentStatus.values:
        enrolments = enrolments.filter(status=status)
    search = " ".join(search.split())[:ENROLMENT_SEARCH_MAX]
    if search:
        enrolments = enrolments.filter(Q(person__name__icontains=search) | Q(person__employee_id__istartswith=search))
    return enrolments.order_by("role", "person__name", "pk")


# The columns the enrolments page shows of each row (with its person and who nominated them).
ENROLMENT_ROW_FIELDS = (
    "pk",
    "role",
    "status",
    "status_reason",
    "seats_taken",
    "capacity",
    "person__name",
    "person__level",
    "person__department",
    "nominated_by__name",
)


@dataclass(frozen=True)
class EnrolmentRow:
    """One row of a programme's enrolments page, its words written out (role, status, seats, note)."""

    pk: int
    person_id: int
    url: str
    name: str
    role: str
    status: str
    level: int
    department: str
    seats: str
    note: str


def enrolment_rows(programme: Programme, enrolments: Iterable[Enrolment]) -> list[EnrolmentRow]:
    """The rows of the enrolments page for ``enrolments`` (read with :data:`ENROLMENT_ROW_FIELDS`)."""
    person_path = id_paths("people:person")
    role_titles = programme.role_titles
    statuses = dict(EnrolmentStatus.choices)
    rows = []
    for enrolment in enrolments:
        person, mentor = enrolment.person, enrolment.role == EnrolmentRole.MENTOR
        nominated = f"Nominated by {enrolment.nominated_by.name}" if enrolment.nominated_by else ""
        rows.append(
            EnrolmentRow(
                pk=enrolment.pk,
                person_id=enrolment.person_id,
                url=person_path(enrolment.person_id),
                name=person.name,
                role=role_titles[enrolment.role],
                status=str(statuses.get(enrolment.status, enrolment.status)),
                level=person.level,
                department=person.department,
                seats=f"{enrolment.seats_taken} / {enrolment.capacity}" if mentor else "—",
                note=nominated + enrolment.status_reason,
            )
        )
    return rows


def add_candidates(programme: Programme, search: str, *, limit: int = 20) -> list[AddCandidate]:
    """Up to ``limit`` active people the search finds (the directory's search: name, email, title,
    employee id), each with the invitation rule's verdict on each role. Three queries."""
    if not search.strip():
        return []
    people = list(person_directory(DirectoryFilters(search=search))[:limit])
    open_status = dict(
        Enrolment.objects.filter(programme=programme, status__in=OPEN_ENROLMENT, person__in=people).values_list(
            "person_id", "status"
        )
    )
    rules = EligibilityRules.of(programme)
    found = []
    for person in people:
        verdicts = [
            invitation_problem(rules, Candidate.of(person), role, previous_status=open_status.get(person.pk))
            for role in (EnrolmentRole.MENTOR, EnrolmentRole.MENTEE)
        ]
        found.append(
            AddCandidate(
                person=person,
                mentor_problem=verdicts[0].message if verdicts[0] else None,
                mentee_problem=verdicts[1].message if verdicts[1] else None,
            )
        )
    return found
