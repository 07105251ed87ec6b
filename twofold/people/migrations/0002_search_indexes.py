"""Trigram indexes for the directory's search box, on PostgreSQL only.

Searching 100,000 names, emails and titles for a fragment ("lee") scans the whole table without
them. pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. Where the
database user may not, the indexes are skipped with a warning; search still works, only slower.
SQLite needs nothing: its scan of a local file is fast enough at this size.
"""

from __future__ import annotations

import logging

from django.db import migrations, transaction
from django.db.utils import DatabaseError

logger = logging.getLogger(__name__)

INDEXES = (
    "CREATE INDEX IF NOT EXISTS person_name_trgm ON people_person USING gin ((upper(name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS person_email_trgm ON people_person USING gin ((upper(email::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS person_title_trgm ON people_person USING gin ((upper(title::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS person_employee_id_upper ON people_person ((upper(employee_id::text)))",
)


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        logger.warning("pg_trgm is not available (%s); directory search will scan the table", error)
        return
    for statement in INDEXES:
        schema_editor.execute(statement)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("person_name_trgm", "person_email_trgm", "person_title_trgm", "person_employee_id_upper"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
