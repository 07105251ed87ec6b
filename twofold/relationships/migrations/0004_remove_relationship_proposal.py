# The proposal a relationship came from is now recorded on the proposal (matchruns 0002 copied the
# links): relationships no longer point up at match runs.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('relationships', '0003_last_met_at'),
        ('matchruns', '0002_proposal_outcome'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='relationship',
            name='proposal',
        ),
    ]
