"""scim2-server's storage over the people directory: reads through querysets, writes through the
services (:mod:`twofold.scim.services`, and below them the import's).

scim2-server does the protocol (routing, validation, PATCH, ETag preconditions, discovery, error
bodies); this class only answers its five questions (get, search, create, update, delete) for
the acting account.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import CharField, DateTimeField, Exists, F, OuterRef, QuerySet
from django.db.models.functions import Coalesce, Greatest
from scim2_models import (
    ForbiddenException,
    InvalidValueException,
    Meta,
    MutabilityException,
    NotFoundException,
    NotImplementedException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
    UniquenessException,
)
from scim2_server.storage import ScimStorage, SearchPage

from twofold.accounts import permissions
from twofold.people.import_services import ImportNotPermitted
from twofold.people.models import Person
from twofold.people.provisioning import ProvisionConflict, ProvisionedPerson
from twofold.people.tabular import FileRejected
from twofold.people.tree_moves import tree_lock
from twofold.scim.filters import GROUP_COLUMNS, TALENT_COLUMNS, USER_COLUMNS, filter_query, sort_field
from twofold.scim.models import ScimIdentity
from twofold.scim.resources import (
    ENTERPRISE_USER,
    TWOFOLD_USER,
    DepartmentMember,
    EnterpriseUser,
    Group,
    Manager,
    Name,
    TwofoldUser,
    UserResource,
)
from twofold.scim.resources import Email as EmailValue
from twofold.scim.services import ScimNames, scim_user_delete, scim_user_save

# How each field of the directory is named in SCIM, for the messages of a refusal.
LABELS = {
    "employee_id": f"{ENTERPRISE_USER}:employeeNumber",
    "name": "displayName",
    "email": "emails.value",
    "title": "title",
    "level": f"{TWOFOLD_USER}:level",
    "department": f"{ENTERPRISE_USER}:department",
    "manager_id": f"{ENTERPRISE_USER}:manager",
    "high_potential": f"{TWOFOLD_USER}:highPotential",
    "active": "active",
    "user_name": "userName",
    "external_id": "externalId",
    "display_name": "displayName",
    "name_formatted": "name.formatted",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
}


def people() -> QuerySet[Person]:
    """Everyone SCIM shows: the directory, less the people an identity provider deleted."""
    # "Not deleted" as NOT EXISTS rather than a filter on the outer join's nullable side, which
    # PostgreSQL's planner cannot estimate (it then sorts the whole directory for one page).
    deleted = ScimIdentity.objects.filter(person=OuterRef("pk"), deleted_at__isnull=False)
    return (
        # The manager is only named by id (``manager_id``): no join to their row.
        Person.objects.select_related("scim_identity")
        .filter(~Exists(deleted))
        .annotate(
            scim_user_name=Coalesce(F("scim_identity__user_name"), F("email"), output_field=CharField()),
            scim_last_modified=Greatest(
                F("updated_at"),
                Coalesce(F("scim_identity__updated_at"), F("updated_at")),
                output_field=DateTimeField(),
            ),
        )
    )


def version_of(person: Person) -> str:
    moment = getattr(person, "scim_last_modified", None) or person.updated_at
    return f'W/"{int(moment.timestamp() * 1_000_000)}"'


def group_id(department: str) -> str:
    return base64.urlsafe_b64encode(department.encode()).decode().rstrip("=")


def department_of(resource_id: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(resource_id + "=" * (-len(resource_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


class PeopleStorage(ScimStorage):
    """The directory as SCIM Users, and its departments as read-only Groups, for ``actor``."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.sees_talent_flags = permissions.allowed(actor, "people.view_talent_flags")

    @contextmanager
    def operation(self) -> Iterator[None]:
        # One transaction per operation: a refused write leaves nothing behind.
        with transaction.atomic():
            yield

    # -- reads ------------------------------------------------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        if resource_type.name == "Group":
            return self._group(resource_id)
        return self.user_resource(self._person(resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        if len(resource_types) != 1:
            raise NotImplementedException(detail="Search one resource type at a time: /Users or /Groups")
        if resource_types[0].name == "Group":
            return self._search_groups(search_request)
        columns = {**USER_COLUMNS, **(TALENT_COLUMNS if self.sees_talent_flags else {})}
        queryset = people()
        if search_request.filter is not None:
            queryset = queryset.filter(filter_query(search_request.filter.ast, columns))
        order = "pk"
        if search_request.sort_by is not None:
            field = sort_field(str(search_request.sort_by), columns)
            descending = search_request.sort_order == SearchRequest.SortOrder.descending
            order = f"-{field}" if descending else field
        queryset = queryset.order_by(order, "pk")
        if search_request.filter is None:
            # Everyone less those the provider deleted: two plain counts, not one over a join.
            total = Person.objects.count() - ScimIdentity.objects.filter(deleted_at__isnull=False).count()
        else:
            total = queryset.count()
        start = max(search_request.start_index or 1, 1) - 1
        count = search_request.count
        page = queryset[start : start + count] if count is not None else queryset[start:]
        return SearchPage(total=total, resources=[self.user_resource(person) for person in page])

    def _person(self, resource_id: str) -> Person:
        if not resource_id.isdigit() or len(resource_id) > 18:
            raise NotFoundException(detail=f"No User {resource_id!r}")
        person = people().filter(pk=int(resource_id)).first()
        if person is None:
            raise NotFoundException(detail=f"No User {resource_id!r}")
        return person

    def user_resource(self, person: Person) -> Resource[Any]:
        identity: ScimIdentity | None = getattr(person, "scim_identity", None)
        name: Name | None
        display_name: str | None
        external_id: str | None
        if identity is None:
            # Someone the provider has not provisioned (from the HRIS): known by their email.
            user_name, display_name, name, external_id = person.email, person.name, Name(formatted=person.name), None
        else:
            user_name, external_id = identity.user_name, identity.external_id or None
            parts = (identity.name_formatted, identity.given_name, identity.family_name)
            name = (
                Name(formatted=parts[0] or None, given_name=parts[1] or None, family_name=parts[2] or None)
                if any(parts)
                else None
            )
            # The provider's own displayName, unless the directory renamed the person since (an import).
            renamed = identity.derived_name != person.name
            display_name = person.name if renamed else identity.display_name or None
        enterprise = EnterpriseUser(
            employee_number=person.employee_id,
            department=person.department or None,
            manager=Manager(value=str(person.manager_id), ref=_reference(person.manager_id))
            if person.manager_id is not None
            else None,
        )
        twofold = TwofoldUser(
            level=str(person.level), high_potential=person.high_potential if self.sees_talent_flags else None
        )
        # The extensions given by their schema, as the resource is built: setting them afterwards
        # (resource[EnterpriseUser] = …) resolves a path each time, twice the cost of the rest.
        return UserResource(
            id=str(person.pk),
            external_id=external_id,
            user_name=user_name,
            name=name,
            display_name=display_name,
            title=person.title or None,
            active=person.active,
            emails=[EmailValue(value=person.email, type="work")],
            meta=Meta(
                resource_type="User",
                created=person.created_at,
                last_modified=getattr(person, "scim_last_modified", None) or person.updated_at,
                version=version_of(person),
            ),
            **{ENTERPRISE_USER: enterprise, TWOFOLD_USER: twofold},
        )

    # -- writes -----------------------------------------------------------------------------------

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        if resource_type.name == "Group":
            raise MutabilityException(detail="Groups are Twofold's departments, and are read-only")
        person = self._save(resource, current=None)
        return self.user_resource(self._person(str(person.pk)))

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        if resource_type.name == "Group":
            raise MutabilityException(detail="Groups are Twofold's departments, and are read-only")
        current = self._locked(str(resource.id), expected_version)
        person = self._save(resource, current=current)
        return self.user_resource(self._person(str(person.pk)))

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        if resource_type.name == "Group":
            raise MutabilityException(detail="Groups are Twofold's departments, and are read-only")
        current = self._locked(resource_id, expected_version)
        try:
            scim_user_delete(actor=self.actor, person=current)
        except permissions.NotPermitted as refusal:
            raise ForbiddenException(detail=str(refusal)) from None

    def _locked(self, resource_id: str, expected_version: str | None) -> Person:
        """The person, their row locked until the operation ends, still at ``expected_version``."""
        person = self._person(resource_id)
        # The person's row and their managers', from the top down (no table lock): provisioning
        # then adds the new manager's chain (see twofold.people.tree_moves).
        tree_lock(person_ids=[person.pk])
        person = self._person(resource_id)
        if expected_version is not None and version_of(person) != expected_version:
            raise PreconditionFailedException(detail="The User changed since it was read")
        return person

    def _save(self, user: Resource[Any], *, current: Person | None) -> Person:
        resource: Any = user  # a UserResource, which mypy cannot see through scim2-models' generics
        enterprise = resource[EnterpriseUser] or EnterpriseUser(employee_number=None)
        twofold = resource[TwofoldUser] or TwofoldUser(level=None)
        emails = [e for e in resource.emails or [] if e.value]
        work = [e for e in emails if (e.type or "work").lower() == "work"] or emails
        name = resource.name
        names = ScimNames(
            user_name=(resource.user_name or "").strip(),
            external_id=(resource.external_id or "").strip(),
            display_name=(resource.display_name or "").strip(),
            name_formatted=((name.formatted if name else None) or "").strip(),
            given_name=((name.given_name if name else None) or "").strip(),
            family_name=((name.family_name if name else None) or "").strip(),
        )
        provisioned = ProvisionedPerson(
            employee_id=(enterprise.employee_number or "").strip(),
            name="",  # from the names (scim_user_save)
            email=str(work[0].value) if work else "",
            level=twofold.level,
            title=resource.title or "",
            department=enterprise.department or "",
            location=current.location if current is not None else "",
            manager_employee_id=self._manager_employee_id(enterprise.manager),
            high_potential=twofold.high_potential,
            active=resource.active is not False,
            labels=LABELS,
        )
        try:
            return scim_user_save(actor=self.actor, person=provisioned, names=names, current=current)
        except ProvisionConflict as conflict:
            raise UniquenessException(detail=_describe(conflict)) from None
        except IntegrityError:
            # Another request took the same email, employee id or userName in the meantime.
            raise UniquenessException(detail="A unique value was taken by another request at the same time") from None
        except FileRejected as rejected:
            raise InvalidValueException(detail=_describe(rejected)) from None
        except (ImportNotPermitted, permissions.NotPermitted) as refusal:
            raise ForbiddenException(detail=str(refusal)) from None

    def _manager_employee_id(self, manager: Manager | None) -> str | None:
        """The manager's employee id, from their SCIM id (or, failing that, their employee number)."""
        if manager is None:
            return None
        reference = (manager.value or "").strip() or (
            str(manager.ref).rstrip("/").rsplit("/", 1)[-1] if manager.ref else ""
        )
        if not reference:
            return None
        if reference.isdigit() and len(reference) <= 18:
            found = people().filter(pk=int(reference)).values_list("employee_id", flat=True).first()
            if found is not None:
                return found
        # Not a SCIM id: an employee number; the import's check refuses one nobody has.
        return reference

    # -- groups (departments, read-only) ------------------------------------------------------------

    def _group(self, resource_id: str) -> Resource[Any]:
        department = department_of(resource_id)
        if not department or not Person.objects.filter(department=department, active=True).exists():
            raise NotFoundException(detail=f"No Group {resource_id!r}")
        return self._group_resource(department)

    def _group_resource(self, department: str) -> Resource[Any]:
        members = people().filter(department=department, active=True).order_by("name", "pk")
        latest = max((version_of(person) for person in members), default='W/"0"')
        return Group(
            id=group_id(department),
            display_name=department,
            members=[
                DepartmentMember(value=str(person.pk), ref=_reference(person.pk), display=person.name)
                for person in members
            ],
            meta=Meta(resource_type="Group", version=latest),
        )

    def _search_groups(self, search_request: SearchRequest[Any]) -> SearchPage:
        departments = Person.objects.filter(active=True).exclude(department="")
        if search_request.filter is not None:
            departments = departments.filter(filter_query(search_request.filter.ast, GROUP_COLUMNS))
        names = sorted(set(departments.values_list("department", flat=True)))
        if search_request.sort_order == SearchRequest.SortOrder.descending:
            names.reverse()
        start = max(search_request.start_index or 1, 1) - 1
        count = search_request.count
        page = names[start : start + count] if count is not None else names[start:]
        return SearchPage(total=len(names), resources=[self._group_resource(name) for name in page])


def _reference(person_id: int) -> Any:
    """A reference to a User relative to the SCIM root, which scim2-server turns into a URL."""
    return f"Users/{person_id}"


def _describe(rejected: FileRejected) -> str:
    return "; ".join(
        f"{problem.column}: {problem.message}" if problem.column else problem.message for problem in rejected.problems
    )
