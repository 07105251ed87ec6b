# A relationship keeps the weights its score was computed with, so that "why you were matched"
# shows the figures the review board showed. Relationships published from a match run get their
# run's weights in matchruns 0003.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('relationships', '0005_relationship_withdrawn'),
    ]

    operations = [
        migrations.AddField(
            model_name='relationship',
            name='weights',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
