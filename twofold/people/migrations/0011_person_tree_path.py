"""The management tree as materialized paths (``tree_path``) instead of nested-set intervals.

A move rewrote every interval between the old place and the new one; a path changes only for the
person moved and those below them. The paths of existing people are computed here in one recursive
query; the interval columns, which nothing reads any more, are dropped. Going back re-adds them
empty: ``people_tree_rebuild`` of that older version numbers them again.
"""

from django.db import migrations, models

PATHS = """
WITH RECURSIVE walk (id, path, depth) AS (
    SELECT id, '/' || CAST(id AS TEXT) || '/', 0 FROM people_person WHERE manager_id IS NULL
    UNION ALL
    SELECT child.id, walk.path || CAST(child.id AS TEXT) || '/', walk.depth + 1
    FROM people_person AS child JOIN walk ON child.manager_id = walk.id
)
UPDATE people_person SET tree_path = walk.path, tree_depth = walk.depth FROM walk WHERE people_person.id = walk.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_person_email_lower"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="tree_path",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunSQL(PATHS, migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="person", name="person_tree_left"),
        migrations.RemoveField(model_name="person", name="tree_left"),
        migrations.RemoveField(model_name="person", name="tree_right"),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["tree_path"], name="person_tree_path", opclasses=["text_pattern_ops"]),
        ),
    ]
