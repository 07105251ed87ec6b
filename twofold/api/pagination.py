"""Cursor pagination: ``?limit=N&cursor=…``, answered with ``items`` and ``next_cursor``.

The cursor is opaque to clients (URL-safe base64 of the last row's position); a page continues
strictly after it (keyset pagination), so a page never repeats or skips a row when rows are added
while a client pages through. Lists are ordered by id, or, where an operation offers sorts, by the
sort's keys with the id last (:func:`paginate_sorted`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from ninja import Schema
from pydantic import Field

from twofold.api.problems import ApiProblem
from twofold.relationships.pairs_list import sort_ordering

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


class PageQuery(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1–200).")
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the previous page.")


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


def _encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise ApiProblem(400, "The cursor is not one this API gave out.", code="invalid_cursor") from None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
        raise ApiProblem(400, "The cursor is not one this API gave out.", code="invalid_cursor")
    return after


def paginate(
    queryset: QuerySet[Any], page: PageQuery, present: Callable[[Sequence[Any]], list[Any]] | None = None
) -> dict[str, Any]:
    """One page of ``queryset`` in id order; ``present`` turns the page's rows into output items."""
    rows = queryset.order_by("pk")
    if page.cursor:
        rows = rows.filter(pk__gt=_decode(page.cursor))
    chosen = list(rows[: page.limit + 1])
    more = len(chosen) > page.limit
    chosen = chosen[: page.limit]
    items = present(chosen) if present else chosen
    return {"items": items, "next_cursor": _encode(chosen[-1].pk) if more and chosen else None}


def paginate_list(items: Sequence[Any], page: PageQuery, key: Callable[[Any], int]) -> dict[str, Any]:
    """One page of a list a selector built (small by nature: one person's relationships), in ``key`` order."""
    ordered = sorted(items, key=key)
    if page.cursor:
        after = _decode(page.cursor)
        ordered = [item for item in ordered if key(item) > after]
    chosen = ordered[: page.limit]
    more = len(ordered) > page.limit
    return {"items": chosen, "next_cursor": _encode(key(chosen[-1])) if more and chosen else None}


# --- sorted lists ---------------------------------------------------------------------------------
# Keys are field paths (``mentor__name``), ``-`` for descending, the last one the primary key, ordered
# by relationships' one rule (sort_ordering: an empty value, NULL, counts as the greatest, on every
# database), which the pairs page orders by too.


def _field(model: type[Model], path: str) -> Any:
    *hops, name = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model  # type: ignore[assignment]
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _value_of(row: Any, path: str) -> Any:
    for hop in path.split("__"):
        row = getattr(row, hop)
    return row


def _after(keys: tuple[str, ...], values: list[Any]) -> Q:
    """The rows strictly after the row whose keys are ``values``, in ``sort_ordering(keys)``."""
    after = Q(pk__in=[])
    same = Q()
    for key, value in zip(keys, values, strict=True):
        name = key.lstrip("-")
        if key.startswith("-"):
            beyond = Q(**{f"{name}__isnull": False}) if value is None else Q(**{f"{name}__lt": value})
        else:
            beyond = Q(pk__in=[]) if value is None else Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True})
        after |= same & beyond
        same &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return after


def _sorted_cursor(sort: str, values: list[Any]) -> str:
    plain = [value.isoformat() if hasattr(value, "isoformat") else value for value in values]
    raw = json.dumps({"sort": sort, "after": plain}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _sorted_position(model: type[Model], sort: str, keys: tuple[str, ...], cursor: str) -> list[Any]:
    refused = ApiProblem(400, "The cursor is not one this API gave out for this sort.", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        given, values = decoded["sort"], decoded["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise refused from None
    if given != sort or not isinstance(values, list) or len(values) != len(keys):
        raise refused
    position = []
    for key, value in zip(keys, values, strict=True):
        if isinstance(value, bool) or (value is not None and not isinstance(value, str | int)):
            raise refused
        try:
            position.append(None if value is None else _field(model, key.lstrip("-")).to_python(value))
        except (ValidationError, ValueError, TypeError):
            raise refused from None
    if not isinstance(position[-1], int) or not 0 <= position[-1] < 2**63:
        raise refused
    return position


def paginate_sorted(
    queryset: QuerySet[Any],
    page: PageQuery,
    *,
    sort: str,
    keys: tuple[str, ...],
    present: Callable[[Sequence[Any]], list[Any]] | None = None,
) -> dict[str, Any]:
    """One page of ``queryset`` ordered by ``keys`` (the sort named ``sort``, its last key the primary
    key), continuing after the cursor's row; a cursor given out for another sort is refused (400)."""
    assert keys and keys[-1] in ("pk", "-pk"), "the last key must be the primary key, so positions are unique"
    rows = queryset.order_by(*sort_ordering(keys))
    if page.cursor:
        rows = rows.filter(_after(keys, _sorted_position(queryset.model, sort, keys, page.cursor)))
    chosen = list(rows[: page.limit + 1])
    more = len(chosen) > page.limit
    chosen = chosen[: page.limit]
    items = present(chosen) if present else chosen
    last = [_value_of(chosen[-1], key.lstrip("-")) for key in keys] if more and chosen else None
    return {"items": items, "next_cursor": _sorted_cursor(sort, last) if last is not None else None}
