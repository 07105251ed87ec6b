"""The SCIM resources Twofold serves, and what it declares about them (``/Schemas``,
``/ResourceTypes``, ``/ServiceProviderConfig``).

The User schema Twofold publishes holds only the attributes the people directory keeps: an
attribute published is an attribute stored, so an identity provider (and scim2-tester) never
writes a value that silently disappears. Attributes a provider sends beyond these are ignored, as
Okta and Entra ID expect.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    External,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

from twofold.people.models import MAX_LEVEL, MIN_LEVEL

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TWOFOLD_USER = "urn:ietf:params:scim:schemas:extension:twofold:2.0:User"
MAX_RESULTS = 200


class Name(ComplexAttribute):
    formatted: str | None = None
    """The full name; Twofold keeps one name per person, and answers with it here."""

    family_name: str | None = None
    given_name: str | None = None


class Email(ComplexAttribute):
    value: Annotated[str | None, Required.true] = None
    """The person's work email: Twofold keeps one (the primary one, when several are sent)."""

    type: str | None = Field(None, examples=["work"])


class User(Resource[Any]):
    """A person in the directory."""

    __schema__ = URN(CORE_USER)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The identity provider's sign-in name; the email of a person it has not provisioned."""

    name: Name | None = None
    display_name: str | None = None
    """The person's name (from displayName, else name.formatted, else given and family name)."""

    title: str | None = None
    active: Annotated[bool | None, Required.true] = None
    """False: the person has left the organisation (never deleted). True again: they are back."""

    emails: Annotated[list[Email] | None, Required.true] = None

    Name: ClassVar[type[ComplexAttribute]] = Name
    Emails: ClassVar[type[ComplexAttribute]] = Email


class Manager(ComplexAttribute):
    value: Annotated[str | None, CaseExact.true] = None
    """The SCIM id of the manager (an employee number is accepted as well)."""

    ref: Annotated[Reference["User"] | None, CaseExact.true] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )


class EnterpriseUser(Extension):
    __schema__ = URN(ENTERPRISE_USER)

    employee_number: Annotated[str | None, Required.true, Uniqueness.server, CaseExact.true] = None
    """The employee id: how the HRIS import knows the person."""

    department: str | None = None
    manager: Manager | None = None
    """The person's manager; one from their own reporting line (a cycle) is refused."""

    Manager: ClassVar[type[ComplexAttribute]] = Manager


class TwofoldUser(Extension):
    """What Twofold's programmes need beyond the enterprise schema."""

    __schema__ = URN(TWOFOLD_USER)

    # A string, as the import reads it ("4" or "L4"): identity providers hold job levels as text,
    # and SCIM gives canonical values to strings only.
    level: Annotated[str | None, Required.true] = Field(
        None, examples=[str(level) for level in range(MIN_LEVEL, MAX_LEVEL + 1)]
    )
    """The job level, a whole number from 1 (most junior) to 30 (e.g. "4" or "L4"); reverse
    mentoring pairs across levels."""

    # Required, as the level is: a provider that leaves it out would otherwise clear a flag set
    # by a talent review each time it writes the User.
    high_potential: Annotated[bool | None, Required.true] = None
    """The high-potential flag (a talent-review judgement): set to true only by the tokens of
    programme managers and org admins, and shown only to them."""


class DepartmentMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.read_only] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None


class Group(Resource[Any]):
    """A department of the directory, with its active people as members. Read-only: departments
    come from the people's ``department`` attribute (the HRIS or the User resources)."""

    __schema__ = URN(CORE_GROUP)

    display_name: Annotated[str | None, Mutability.read_only, Required.true] = None
    members: Annotated[list[DepartmentMember] | None, Mutability.read_only] = None

    Members: ClassVar[type[ComplexAttribute]] = DepartmentMember


UserResource = User[EnterpriseUser | TwofoldUser]  # type: ignore[type-arg]

BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="Twofold access token",
    description="A Twofold service token with the scim scope: twofold token create USERNAME --scope scim",
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
    primary=True,
)

CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=True),
    etag=ETag(supported=True),
    authentication_schemes=[BEARER],
)

USER_TYPE = ResourceType.model_validate(
    {
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "People in the directory",
        "schema": CORE_USER,
        "schemaExtensions": [
            {"schema": ENTERPRISE_USER, "required": True},
            {"schema": TWOFOLD_USER, "required": True},
        ],
    }
)

GROUP_TYPE = ResourceType.model_validate(
    {
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Departments of the directory (read-only)",
        "schema": CORE_GROUP,
    }
)

POLICY = ScimPolicy(
    # Okta and Entra ID send the attributes they hold (phone numbers, addresses…): Twofold keeps
    # none of those, and says so in its schema.
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
)

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, TwofoldUser, Group],
    resource_types=[USER_TYPE, GROUP_TYPE],
    config=CONFIG,
    policy=POLICY,
)
