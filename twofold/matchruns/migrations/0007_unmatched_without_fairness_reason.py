"""Runs made before the engine stopped singling people out for the fairness minimums stored a reason
that said which group someone is not in; they now read as anyone else without a seat."""

from django.db import migrations

NEUTRAL = "capacity exhausted: every eligible partner's seats were taken"


def neutral_reasons(apps, schema_editor):
    Unmatched = apps.get_model("matchruns", "Unmatched")
    Unmatched.objects.filter(reason_code="fairness_quota").update(reason_code="capacity_exhausted", reason=NEUTRAL)


class Migration(migrations.Migration):
    dependencies = [("matchruns", "0006_match_run_number_required")]

    operations = [migrations.RunPython(neutral_reasons, migrations.RunPython.noop)]
