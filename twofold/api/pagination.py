"""Cursor pagination: ``?limit=N&cursor=…``, answered with ``items`` and ``next_cursor``.

The cursor is opaque to clients (URL-safe base64 of the last row's id, and of the sort it belongs
to); a page continues strictly after that row (keyset pagination), so a page never repeats or skips
a row when rows are added while a client pages through. Lists are ordered by id, or, where an
operation offers sorts, by the sort's keys with the id last (:func:`paginate_sorted`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, Generic, TypeVar

from django.db.models import Q, QuerySet
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
    refused = ApiProblem(400, "The cursor is not one this API gave out.", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise refused from None
    # A sorted list's cursor (with its "sort") does not continue the id order.
    if not isinstance(decoded, dict) or decoded.keys() != {"after"}:
        raise refused
    after = decoded["after"]
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
        raise refused
    return after


def cursor_after(page: PageQuery) -> int | None:
    """The id ``page`` continues after; None for the first page (400 for a cursor this API did not give out)."""
    return _decode(page.cursor) if page.cursor else None


def page_rows(queryset: QuerySet[Any], after: int | None, limit: int) -> QuerySet[Any]:
    """What a page of ``limit`` rows of ``queryset`` after id ``after`` (None: from the first) reads:
    its rows in id order, one more than ``limit`` to tell whether another page follows."""
    rows = queryset.order_by("pk")
    if after is not None:
        rows = rows.filter(pk__gt=after)
    return rows[: limit + 1]


def page_of(
    rows: Sequence[Any],
    page: PageQuery,
    present: Callable[[Sequence[Any]], list[Any]] | None = None,
    *,
    pk_of: Callable[[Any], int] = attrgetter("pk"),
) -> dict[str, Any]:
    """The answer for the ``rows`` :func:`page_rows` read for ``page``; ``present`` turns the page's
    rows into output items; ``pk_of`` reads a row's id (``row["id"]`` for a ``values()`` queryset's dicts)."""
    more = len(rows) > page.limit
    chosen = rows[: page.limit]
    items = present(chosen) if present else chosen
    return {"items": items, "next_cursor": _encode(pk_of(chosen[-1])) if more and chosen else None}


def paginate(
    queryset: QuerySet[Any],
    page: PageQuery,
    present: Callable[[Sequence[Any]], list[Any]] | None = None,
    *,
    pk_of: Callable[[Any], int] = attrgetter("pk"),
) -> dict[str, Any]:
    """One page of ``queryset`` in id order (see :func:`page_of`)."""
    return page_of(list(page_rows(queryset, cursor_after(page), page.limit)), page, present, pk_of=pk_of)


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


def _after(keys: tuple[str, ...], values: Sequence[Any]) -> Q:
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


# A sorted list's cursor names the sort and the last row's primary key, nothing of the row itself:
# no name or date travels in URLs and access logs, and no value a client could tamper with reaches
# the database. The server reads the row's keys again to continue after it.


def _sorted_cursor(sort: str, last_pk: int) -> str:
    raw = json.dumps({"sort": sort, "after": last_pk}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _sorted_cursor_row(sort: str, cursor: str) -> int:
    refused = ApiProblem(400, "The cursor is not one this API gave out for this sort.", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise refused from None
    if not isinstance(decoded, dict) or decoded.keys() != {"sort", "after"} or decoded["sort"] != sort:
        raise refused
    after = decoded["after"]
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
        raise refused
    return after


def paginate_sorted(
    queryset: QuerySet[Any],
    page: PageQuery,
    *,
    sort: str,
    keys: tuple[str, ...],
    visible: QuerySet[Any],
    present: Callable[[Sequence[Any]], list[Any]] | None = None,
) -> dict[str, Any]:
    """One page of ``queryset`` ordered by ``keys`` (the sort named ``sort``: field paths of the model,
    its last key the primary key), continuing after the cursor's row, whose keys are read again from
    ``visible`` (every row the caller may see, whatever the filters). A cursor given out for another
    sort, or whose row is gone or out of the caller's sight, is refused (400).

    Rows added while a client pages are neither repeated nor skipped; a row whose keys change between
    two pages moves with them (it may be seen twice, or not at all)."""
    assert keys and keys[-1] in ("pk", "-pk"), "the last key must be the primary key, so positions are unique"
    rows = queryset.order_by(*sort_ordering(keys))
    if page.cursor:
        after = _sorted_cursor_row(sort, page.cursor)
        position = visible.filter(pk=after).values_list(*(key.lstrip("-") for key in keys)).first()
        if position is None:
            raise ApiProblem(
                400,
                "The row this cursor continues after no longer exists or is not yours to see; "
                "start again from the first page.",
                code="invalid_cursor",
            )
        rows = rows.filter(_after(keys, position))
    chosen = list(rows[: page.limit + 1])
    more = len(chosen) > page.limit
    chosen = chosen[: page.limit]
    items = present(chosen) if present else chosen
    return {"items": items, "next_cursor": _sorted_cursor(sort, chosen[-1].pk) if more and chosen else None}
