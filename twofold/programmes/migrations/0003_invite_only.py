# Programmes get the invite-only (confidential) setting. Existing programmes that ask for high
# potential become invite-only: listed under "Programmes you can join" only to flagged people, they
# told each of them that they are flagged. The others stay open to applications, as they were.

from django.db import migrations, models


def existing_high_potential_programmes_invite_only(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    Programme.objects.filter(requires_high_potential=True).update(invite_only=True)


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0002_match_runs_move_out'),
    ]

    operations = [
        migrations.AddField(
            model_name='programme',
            name='invite_only',
            field=models.BooleanField(db_default=False, default=False, help_text='Not listed under “Programmes you can join”, to anyone: people join only when you invite them or a senior leader nominates them. Needed when the programme asks for high potential, so that seeing it listed does not tell anyone they are flagged.', verbose_name='invite-only (confidential)'),
        ),
        migrations.RunPython(existing_high_potential_programmes_invite_only, migrations.RunPython.noop),
    ]
