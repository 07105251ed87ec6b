# Match runs, proposals and unmatched records now belong to the matchruns app (its 0001 took them
# over, tables and all). Only Django's model state changes here; the tables stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0001_initial'),
        ('matchruns', '0002_proposal_outcome'),
        ('relationships', '0004_remove_relationship_proposal'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='Unmatched'),
                migrations.DeleteModel(name='Proposal'),
                migrations.DeleteModel(name='MatchRun'),
            ],
        ),
    ]
