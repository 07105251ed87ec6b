"""Writing many rows at once, on SQLite and PostgreSQL, without a model instance per row.

Django's ``bulk_update`` writes a ``CASE WHEN`` per field and row, which is slow past a few thousand
rows; re-numbering a 100,000-person tree needs something faster. Here each batch is one
``UPDATE … FROM (VALUES …)`` joined on the primary key, which both databases run in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    row_markers = "(" + ", ".join(["%s"] * len(aliases)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params: list[Any] = []
            for row in batch:
                params.append(row[0])
                for field, value in zip(fields, row[1:], strict=True):
                    params.append(field.get_db_prep_value(value, connection, prepared=False))
            sql = (
                f"WITH v({', '.join(aliases)}) AS (VALUES {', '.join([row_markers] * len(batch))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk_column} = {key}"
            )
            cursor.execute(sql, params)
    return len(rows)


def bulk_insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain rows (no model instances, no signals, no returned keys); returns the count.

    Building a model instance per row costs more than the insert itself at 100,000 people and
    600,000 skills; this writes the values straight through: ``COPY`` on PostgreSQL,
    ``executemany`` on SQLite. Values must already be of the columns' Python types.
    """
    meta = model._meta
    fields: list[Any] = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor underneath Django's wrapper
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        # SQLite: convert the types its driver does not (dates, times) as Django would.
        converters = [
            (index, field)
            for index, field in enumerate(fields)
            if field.get_internal_type() in ("DateField", "DateTimeField", "TimeField", "DecimalField")
        ]
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        # The same dates and timestamps recur (one "now" for a whole import): convert each once.
        converted: dict[tuple[int, Any], Any] = {}
        batch: list[list[Any]] = []
        for row in rows:
            values = list(row)
            for index, field in converters:
                key = (index, values[index])
                if key not in converted:
                    converted[key] = field.get_db_prep_value(values[index], connection, prepared=False)
                values[index] = converted[key]
            batch.append(values)
            if len(batch) >= 10_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def allocate_primary_keys(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` new primary keys, so that rows can be inserted already pointing at each other.

    PostgreSQL hands them out from the table's sequence (safe under concurrency). SQLite has a
    single writer: inside the import's transaction nobody else can insert, so the keys after the
    current maximum are ours.
    """
    if count <= 0:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX({quote(meta.pk.column)}), 0) FROM {quote(meta.db_table)}")
        highest = int(cursor.fetchone()[0])
        # AUTOINCREMENT tables never reuse a key, even of a deleted row: start past the sequence too.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
        row = cursor.fetchone()
        start = max(highest, int(row[0]) if row else 0) + 1
        return list(range(start, start + count))
