"""The runs of the analytics engine, from the former ``insights`` app (tables kept)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    # The runs and the figures were the ``insights`` app's until profitability and lifetime
    # value became apps of their own. Its tables are kept (``db_table``): on a database that
    # applied insights 0001-0005 this migration counts as applied and changes nothing; on a
    # new one it creates the table. (A database part-way through insights 0001-0005 first
    # migrates with a release that still has the insights app.)
    replaces = [
        ("insights", "0001_initial"),
        ("insights", "0002_alter_computation_kind"),
        ("insights", "0003_profitability_settings"),
        ("insights", "0004_figures_account_index"),
        ("insights", "0005_run_currency"),
    ]


    dependencies = [
        ('core', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Computation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('profitability', 'Account profitability'), ('clv', 'Customer lifetime value'), ('selection', 'Key account selection review')], max_length=20)),
                ('status', models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('done', 'done'), ('failed', 'failed')], default='queued', max_length=10)),
                ('stage', models.CharField(blank=True, max_length=200)),
                ('progress', models.FloatField(default=0.0, help_text='0 to 1')),
                ('params', models.JSONField(blank=True, default=dict)),
                ('currency', models.CharField(default='EUR', max_length=3)),
                ('summary', models.JSONField(blank=True, default=dict)),
                ('warnings', models.JSONField(blank=True, default=list)),
                ('error', models.TextField(blank=True)),
                ('is_current', models.BooleanField(default=False)),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('started', models.DateTimeField(blank=True, null=True)),
                ('finished', models.DateTimeField(blank=True, null=True)),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'insights_computation',
                'ordering': ['-created', '-id'],
                'indexes': [models.Index(fields=['kind', 'is_current'], name='insights_co_kind_b5dfc8_idx')],
            },
        ),
    ]
