# Match runs, proposals and unmatched records move here from the programmes app. The tables stay
# where they are (programmes_matchrun, programmes_proposal, programmes_unmatched): this migration
# only tells Django's model state that this app owns them now; the database is not touched.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('programmes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='MatchRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('ready', 'Ready for review'), ('failed', 'Failed'), ('publishing', 'Being published'), ('published', 'Published'), ('superseded', 'Superseded')], default='queued', max_length=20)),
                        ('progress', models.PositiveSmallIntegerField(default=0, help_text='Per cent done, while running.')),
                        ('progress_note', models.CharField(blank=True, max_length=200)),
                        ('parameters', models.JSONField(blank=True, default=dict)),
                        ('statistics', models.JSONField(blank=True, default=dict)),
                        ('fairness', models.JSONField(blank=True, default=dict, help_text='Per-group targets and results.')),
                        ('error', models.TextField(blank=True)),
                        ('total_score', models.FloatField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('published_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('programme', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='match_runs', to='programmes.programme')),
                    ],
                    options={
                        'db_table': 'programmes_matchrun',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Proposal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('score', models.FloatField(default=0)),
                        ('breakdown', models.JSONField(blank=True, default=dict)),
                        ('locked', models.BooleanField(default=False, help_text='Kept as it is when the run is re-run.')),
                        ('origin', models.CharField(choices=[('engine', 'Matched by the engine'), ('swap', 'Made by a swap'), ('kept', 'Kept from before')], default='engine', max_length=20)),
                        ('mentee', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='programmes.enrolment')),
                        ('mentor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='programmes.enrolment')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='proposals', to='matchruns.matchrun')),
                    ],
                    options={
                        'db_table': 'programmes_proposal',
                        'ordering': ['-score', 'pk'],
                        'constraints': [models.UniqueConstraint(fields=('run', 'mentee'), name='proposal_mentee_once_per_run')],
                    },
                ),
                migrations.CreateModel(
                    name='Unmatched',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason_code', models.CharField(max_length=40)),
                        ('reason', models.CharField(max_length=300)),
                        ('enrolment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='programmes.enrolment')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='unmatched', to='matchruns.matchrun')),
                    ],
                    options={
                        'db_table': 'programmes_unmatched',
                        'ordering': ['reason_code', 'pk'],
                        'constraints': [models.UniqueConstraint(fields=('run', 'enrolment'), name='unmatched_once_per_run')],
                    },
                ),
            ],
        ),
    ]
