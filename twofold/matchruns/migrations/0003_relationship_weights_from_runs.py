# Relationships published before they stored their weights get those of the match run that scored
# them (kept in the run's statistics), so they are explained with the figures the board showed.

from django.db import migrations


def copy_run_weights(apps, schema_editor):
    Relationship = apps.get_model('relationships', 'Relationship')
    Proposal = apps.get_model('matchruns', 'Proposal')
    rows = Proposal.objects.filter(relationship__isnull=False).values_list('relationship_id', 'run__statistics')
    for relationship_id, statistics in rows.iterator(chunk_size=2000):
        weights = (statistics or {}).get('weights') or {}
        if weights:
            Relationship.objects.filter(pk=relationship_id, weights={}).update(weights=weights)


class Migration(migrations.Migration):

    dependencies = [
        ('matchruns', '0002_proposal_outcome'),
        ('relationships', '0006_relationship_weights'),
    ]

    operations = [migrations.RunPython(copy_run_weights, migrations.RunPython.noop)]
