"""A page of a long, sorted list, read as its ids first and then its rows.

Sorting a large list for one page sorts every row it holds; sorting narrow rows (the ids and the
sort keys, from an index where one covers them) and then reading the page's rows in full, joined
to whatever the page shows, costs far less than joining and sorting every row before the LIMIT
(the directory, a programme's enrolments, the pairs behind on meetings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def page_by_ids(
    queryset: QuerySet[Any],
    per_page: int,
    number: Any,
    *,
    count: int | None = None,
    ids: Sequence[int] | None = None,
    read: Callable[[list[int]], Mapping[int, Any]] | None = None,
) -> Page:
    """Page ``number`` of ``queryset`` (in its order; a bad number gives the nearest page, as
    ``Paginator.get_page`` does), its rows read in full in a second query.

    ``count``: the number of rows, when the caller has already counted them (the paginator does not
    count them again). ``ids``: the list's ids in its order, when the caller reads them in a cheaper
    way than ``queryset`` would (sliced, as the paginator slices them). A row gone between the two
    queries is left out of the page. ``read``: the page's rows by id, when the caller reads them in
    another shape than ``queryset``'s model instances (``queryset.in_bulk`` otherwise).
    """
    paginator = Paginator(queryset.values_list("pk", flat=True) if ids is None else ids, per_page)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(number)
    ids = list(page.object_list)
    rows = queryset.in_bulk(ids) if read is None else read(ids)
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page
