"""The count of active and inactive people, kept by PostgreSQL (see ``PersonCount``).

Statement triggers with transition tables: one upsert of at most two rows per statement, however
many people it writes (an import's COPY of 100,000 people adds 100,000 once). An UPDATE changes the
count only when it moves people between active and inactive. A TRUNCATE of the people table
empties the count. SQLite gets no triggers and no count: the directory counts its rows there.
"""

from django.db import migrations, models

CREATE = """
CREATE FUNCTION people_person_count_inserted() RETURNS trigger AS $$
BEGIN
    INSERT INTO people_personcount (active, people)
        SELECT active, count(*) FROM inserted GROUP BY active ORDER BY active
    ON CONFLICT (active) DO UPDATE SET people = people_personcount.people + EXCLUDED.people;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION people_person_count_deleted() RETURNS trigger AS $$
BEGIN
    INSERT INTO people_personcount (active, people)
        SELECT active, -count(*) FROM deleted GROUP BY active ORDER BY active
    ON CONFLICT (active) DO UPDATE SET people = people_personcount.people + EXCLUDED.people;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION people_person_count_updated() RETURNS trigger AS $$
BEGIN
    INSERT INTO people_personcount (active, people)
        SELECT active, sum(change) FROM (
            SELECT active, 1 AS change FROM updated
            UNION ALL
            SELECT active, -1 AS change FROM outdated
        ) AS changes GROUP BY active HAVING sum(change) <> 0 ORDER BY active
    ON CONFLICT (active) DO UPDATE SET people = people_personcount.people + EXCLUDED.people;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION people_person_count_truncated() RETURNS trigger AS $$
BEGIN
    DELETE FROM people_personcount;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER people_person_count_inserted AFTER INSERT ON people_person
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION people_person_count_inserted();
CREATE TRIGGER people_person_count_deleted AFTER DELETE ON people_person
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION people_person_count_deleted();
CREATE TRIGGER people_person_count_updated AFTER UPDATE ON people_person
    REFERENCING OLD TABLE AS outdated NEW TABLE AS updated
    FOR EACH STATEMENT EXECUTE FUNCTION people_person_count_updated();
CREATE TRIGGER people_person_count_truncated AFTER TRUNCATE ON people_person
    FOR EACH STATEMENT EXECUTE FUNCTION people_person_count_truncated();
LOCK TABLE people_person IN SHARE MODE;
INSERT INTO people_personcount (active, people) SELECT active, count(*) FROM people_person GROUP BY active;
"""

DROP = """
DROP TRIGGER IF EXISTS people_person_count_inserted ON people_person;
DROP TRIGGER IF EXISTS people_person_count_deleted ON people_person;
DROP TRIGGER IF EXISTS people_person_count_updated ON people_person;
DROP TRIGGER IF EXISTS people_person_count_truncated ON people_person;
DROP FUNCTION IF EXISTS people_person_count_inserted();
DROP FUNCTION IF EXISTS people_person_count_deleted();
DROP FUNCTION IF EXISTS people_person_count_updated();
DROP FUNCTION IF EXISTS people_person_count_truncated();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("people", "0012_person_directory_order")]

    operations = [
        migrations.CreateModel(
            name="PersonCount",
            fields=[
                ("active", models.BooleanField(primary_key=True, serialize=False)),
                ("people", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
