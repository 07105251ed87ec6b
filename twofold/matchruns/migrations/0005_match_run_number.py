"""Match runs are numbered 1, 2, 3… within their programme; existing runs numbered in creation order."""

from django.db import migrations, models


def number_existing_runs(apps, schema_editor):
    MatchRun = apps.get_model("matchruns", "MatchRun")
    numbers: dict[int, int] = {}
    for run in MatchRun.objects.order_by("programme_id", "created_at", "pk").only("pk", "programme_id"):
        numbers[run.programme_id] = numbers.get(run.programme_id, 0) + 1
        MatchRun.objects.filter(pk=run.pk).update(number=numbers[run.programme_id])


class Migration(migrations.Migration):
    dependencies = [("matchruns", "0004_one_run_under_way")]

    operations = [
        migrations.AddField(
            model_name="matchrun",
            name="number",
            field=models.PositiveIntegerField(null=True, help_text="1, 2, 3… within its programme: what people call it."),
        ),
        migrations.RunPython(number_existing_runs, migrations.RunPython.noop),
    ]
