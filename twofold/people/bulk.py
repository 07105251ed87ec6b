"""Updating many rows at once with one statement per batch, on SQLite and PostgreSQL.

Django's ``bulk_update`` writes a ``CASE WHEN`` per field and row, which is slow past a few thousand
rows; re-numbering a 100,000-person tree needs something faster. Here each batch is one
``UPDATE … FROM (VALUES …)`` joined on the primary key, which both databases run in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def bulk_update_columns(model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Set ``field_names`` from ``rows`` of ``(pk, value, value, …)``; returns the rows given."""
    if not rows:
        return 0
    meta = model._meta
    fields: list[Any] = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = quote(meta.pk.column)
    aliases = ["pk", *(f"c{index}" for index in range(len(fields)))]
    postgres = connection.vendor == "postgresql"

    def source(alias: str, field: Any) -> str:
        # PostgreSQL types VALUES columns from their parameters, so cast to the column's type;
        # SQLite stores what it is given and a cast would turn dates into numbers.
        return f"CAST(v.{alias} AS {field.cast_db_type(connection)})" if postgres else f"v.{alias}"

    assignments = ", ".join(
        f"{quote(field.column)} = {source(alias, field)}" for alias, field in zip(aliases[1:], fields, strict=True)
    )
    key = "CAST(v.pk AS bigint)" if postgres else "v.pk"
    batch_size = max(1, 30000 // len(aliases))
    placeholder = "(" + ", ".join(["%s"] * len(aliases)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params: list[Any] = []
            for row in batch:
                params.append(row[0])
                for field, value in zip(fields, row[1:], strict=True):
                    params.append(field.get_db_prep_value(value, connection, prepared=False))
            sql = (
                f"WITH v({', '.join(aliases)}) AS (VALUES {', '.join([placeholder] * len(batch))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk_column} = {key}"
            )
            cursor.execute(sql, params)
    return len(rows)
