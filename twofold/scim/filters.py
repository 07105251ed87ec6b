"""SCIM filters and sort orders (RFC 7644 §3.4.2) as database queries over the people directory.

Only the attributes the directory keeps can be filtered or sorted on; anything else is refused with
``invalidFilter`` rather than answered from a page filtered afterwards (which would make
``totalResults`` and the paging wrong).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from scim2_models import InvalidFilterException
from scim2_models.path.expressions import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from twofold.people.models import Person
from twofold.scim.models import ScimIdentity
from twofold.scim.resources import CORE_GROUP, CORE_USER, ENTERPRISE_USER, TWOFOLD_USER

URNS = (CORE_USER, CORE_GROUP, ENTERPRISE_USER, TWOFOLD_USER)


@dataclass(frozen=True)
class Column:
    """Where an attribute lives in the query: a field (or annotation) and how its values compare."""

    field: str
    # text (case-insensitive), exact (case-sensitive), bool, int, level, datetime, id; email and
    # username compare as text, and "eq" on them is answered from an index (below).
    kind: str = "text"
    optional: bool = True  # may be empty: "pr" tests for a non-empty value


USER_COLUMNS = {
    "id": Column("pk", "id", optional=False),
    "username": Column("scim_user_name", "username", optional=False),
    "externalid": Column("scim_identity__external_id", "exact"),
    "displayname": Column("name", optional=False),
    "name.formatted": Column("name", optional=False),
    "title": Column("title"),
    "active": Column("active", "bool", optional=False),
    "emails": Column("email", "email", optional=False),
    "emails.value": Column("email", "email", optional=False),
    "employeenumber": Column("employee_id", "exact", optional=False),
    "department": Column("department"),
    "manager": Column("manager_id", "id"),
    "manager.value": Column("manager_id", "id"),
    "manager.displayname": Column("manager__name"),
    "level": Column("level", "level", optional=False),
    "meta.created": Column("created_at", "datetime", optional=False),
    "meta.lastmodified": Column("scim_last_modified", "datetime", optional=False),
}
# The high-potential flag is filtered only by those who may see it (the storage adds it).
TALENT_COLUMNS = {"highpotential": Column("high_potential", "bool", optional=False)}
GROUP_COLUMNS = {"displayname": Column("department", optional=False)}


def attribute_key(text: str) -> str:
    """``urn:…:enterprise:2.0:User:employeeNumber`` → ``employeenumber``; ``name.givenName`` → ``name.givenname``."""
    lowered = text.strip().lower()
    for urn in URNS:
        if lowered.startswith(urn.lower() + ":"):
            return lowered[len(urn) + 1 :]
    return lowered


def column_of(text: str, columns: dict[str, Column]) -> Column:
    column = columns.get(attribute_key(text))
    if column is None:
        raise InvalidFilterException(detail=f"Twofold cannot filter or sort on {text!r}")
    return column


def filter_query(node: FilterNode, columns: dict[str, Column], *, prefix: str = "") -> Q:
    """The ``Q`` of a parsed SCIM filter."""
    if isinstance(node, LogicalExpr):
        parts = [filter_query(term, columns, prefix=prefix) for term in node.terms]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if node.op == LogicalOperator.and_ else combined | part
        return combined
    if isinstance(node, Not):
        return ~filter_query(node.expr, columns, prefix=prefix)
    if isinstance(node, ValuePath):
        # emails[type eq "work" and value co "@example.org"]: Twofold keeps one (work) email.
        return filter_query(node.val_filter, columns, prefix=f"{prefix}{node.attr_path}.")
    if isinstance(node, Present):
        column = column_of(prefix + str(node.attr_path), columns)
        if not column.optional:
            return Q()
        if column.kind == "id":
            return Q(**{f"{column.field}__isnull": False})
        return ~Q(**{column.field: ""}) & Q(**{f"{column.field}__isnull": False})
    if isinstance(node, Comparison):
        path = prefix + str(node.attr_path)
        if attribute_key(path) in ("emails.type",):
            return Q() if str(node.value).lower() == "work" else Q(pk__in=[])
        if attribute_key(path) in ("emails.primary",):
            return Q() if node.value is True else Q(pk__in=[])
        return _compare(column_of(path, columns), node.op, node.value)
    raise InvalidFilterException(detail=f"Twofold cannot evaluate the filter {node}")


LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}


def _compare(column: Column, op: CompareOperator, raw: Any) -> Q:
    value = _value(column, raw)
    if value is _NO_MATCH:
        return Q(pk__in=[]) if op != CompareOperator.ne else Q()
    if op == CompareOperator.ne:
        return ~_compare(column, CompareOperator.eq, raw)
    lookup = LOOKUPS[op]
    if column.kind in ("email", "username") and op == CompareOperator.eq and value is not None:
        return _equal_ignoring_case(column, str(value))
    if column.kind in ("bool",) and op != CompareOperator.eq:
        raise InvalidFilterException(detail=f"{op.value} does not compare true and false")
    if column.kind in ("text", "email", "username") and lookup in ("exact", "contains", "startswith", "endswith"):
        lookup = "i" + lookup
    if column.kind in ("int", "level", "id", "datetime", "bool") and lookup in ("contains", "startswith", "endswith"):
        raise InvalidFilterException(detail=f"{op.value} compares text only")
    if value is None:
        return Q(**{f"{column.field}__isnull": True}) if op == CompareOperator.eq else Q(pk__in=[])
    return Q(**{f"{column.field}__{lookup}": value})


def _equal_ignoring_case(column: Column, value: str) -> Q:
    """``eq`` on an email or a userName, the filter an identity provider sends before each write,
    through the indexes on ``lower(email)`` and ``lower(user_name)`` (``iexact`` would compare
    ``upper()`` of the column, which no btree index serves)."""
    wanted = Lower(Value(value))
    if column.kind == "email":
        return Q(Exact(Lower(column.field), wanted))
    # A userName is the identity's, or, for someone the provider has not provisioned, their email.
    # The two lookups run on their own (each on its index) rather than as one OR across a join.
    named = ScimIdentity.objects.filter(Exact(Lower("user_name"), wanted)).values_list("person_id", flat=True)
    by_email = Person.objects.filter(Exact(Lower("email"), wanted), scim_identity__isnull=True).values_list(
        "pk", flat=True
    )
    return Q(pk__in=[*named, *by_email])


_NO_MATCH = object()


def _value(column: Column, raw: Any) -> Any:
    """The filter's value as the column holds it; ``_NO_MATCH`` when no row can hold it."""
    if raw is None:
        return None
    if column.kind in ("id", "level"):
        text = str(raw).strip()
        if column.kind == "level":
            text = text.upper().removeprefix("L")
        return int(text) if text.isdigit() and len(text) < 10 else _NO_MATCH
    if column.kind == "bool":
        if not isinstance(raw, bool):
            raise InvalidFilterException(detail=f"{raw!r} is not true or false")
        return raw
    if column.kind == "datetime":
        try:
            return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidFilterException(detail=f"{raw!r} is not a date and time") from None
    return str(raw)


def sort_field(text: str, columns: dict[str, Column]) -> str:
    return column_of(text, columns).field
