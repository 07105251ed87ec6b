"""An index on the provider's own id, for ``externalId eq``.

Created only if missing, as its companion ``people.0010_person_email_lower`` is.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scim", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'CREATE INDEX IF NOT EXISTS scim_identity_external_id ON scim_scimidentity ("external_id")',
                    "DROP INDEX IF EXISTS scim_identity_external_id",
                )
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="scimidentity",
                    index=models.Index(fields=["external_id"], name="scim_identity_external_id"),
                )
            ],
        )
    ]
