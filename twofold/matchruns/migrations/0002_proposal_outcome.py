# A proposal now records what publishing made of it: the relationship it became, or why it was
# skipped. The link used to run the other way (relationships_relationship.proposal_id), which made
# the lower layer point at the higher one; existing links are copied across before the old column
# is dropped by relationships 0004.

import django.db.models.deletion
from django.db import migrations, models


def copy_links_forward(apps, schema_editor):
    Relationship = apps.get_model('relationships', 'Relationship')
    Proposal = apps.get_model('matchruns', 'Proposal')
    rows = Relationship.objects.filter(proposal__isnull=False).order_by('pk').values_list('pk', 'proposal_id')
    for relationship_id, proposal_id in rows.iterator(chunk_size=2000):
        # The first relationship made from a proposal keeps the link (publishing makes only one).
        Proposal.objects.filter(pk=proposal_id, relationship__isnull=True).update(relationship_id=relationship_id)


def copy_links_back(apps, schema_editor):
    Relationship = apps.get_model('relationships', 'Relationship')
    Proposal = apps.get_model('matchruns', 'Proposal')
    rows = Proposal.objects.filter(relationship__isnull=False).values_list('pk', 'relationship_id')
    for proposal_id, relationship_id in rows.iterator(chunk_size=2000):
        Relationship.objects.filter(pk=relationship_id).update(proposal_id=proposal_id)


class Migration(migrations.Migration):

    dependencies = [
        ('matchruns', '0001_initial'),
        ('relationships', '0003_last_met_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='proposal',
            name='relationship',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='relationships.relationship'),
        ),
        migrations.AddField(
            model_name='proposal',
            name='skipped_reason',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.RunPython(copy_links_forward, copy_links_back),
    ]
