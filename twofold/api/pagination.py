"""Cursor pagination: ``?limit=N&cursor=…``, answered with ``items`` and ``next_cursor``.

The cursor is opaque to clients (URL-safe base64 of the last id seen); lists are ordered by id, so
a page never repeats or skips a row when rows are added while a client pages through.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

from twofold.api.problems import ApiProblem

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
