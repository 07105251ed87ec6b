"""On PostgreSQL the database itself refuses to change or delete audit entries.

A trigger raises on every UPDATE and DELETE of a row, whoever runs it (Twofold, a psql session, a
script with the application's credentials). TRUNCATE, an owner's deliberate wiping of the whole
table, is not a row change and is left to the database's own privileges. SQLite gets no trigger:
Django empties tables there with DELETE between tests and when flushing, and an SQLite database
is a file whose owner can rewrite it anyway; the model and its queryset refuse changes on both.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
