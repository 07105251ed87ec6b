"""Every match run has its number, unique within its programme (a separate step from the backfill,
so that PostgreSQL alters the table in a transaction of its own)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("matchruns", "0005_match_run_number")]

    operations = [
        migrations.AlterField(
            model_name="matchrun",
            name="number",
            field=models.PositiveIntegerField(editable=False, help_text="1, 2, 3… within its programme: what people call it."),
        ),
        migrations.AddConstraint(
            model_name="matchrun",
            constraint=models.UniqueConstraint(fields=("programme", "number"), name="match_run_numbered_within_programme"),
        ),
    ]
