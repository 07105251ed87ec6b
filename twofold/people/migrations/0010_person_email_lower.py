"""An index on lower(email), for an identity provider's ``emails.value eq`` and ``userName eq``.

Created only if missing: databases built before this migration was renumbered (from 0009) hold it
already under the same name.
"""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0009_import_kind_relationships"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'CREATE INDEX IF NOT EXISTS person_email_lower ON people_person (LOWER("email"))',
                    "DROP INDEX IF EXISTS person_email_lower",
                )
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="person",
                    index=models.Index(django.db.models.functions.text.Lower("email"), name="person_email_lower"),
                )
            ],
        )
    ]
