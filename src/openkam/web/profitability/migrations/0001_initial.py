"""The profitability figures and settings, from the former ``insights`` app (tables kept)."""

import django.db.models.deletion
import openkam.web.profitability.models
from decimal import Decimal
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


    initial = True

    dependencies = [
        ('core', '0002_computation'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProfitabilitySettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1)),
                ('updated', models.DateTimeField(auto_now=True)),
                ('cost_of_capital', models.DecimalField(decimal_places=4, default=Decimal('0.08'), help_text='annual, as a fraction', max_digits=5, validators=[openkam.web.profitability.models.validate_annual_rate])),
            ],
            options={
                'verbose_name_plural': 'profitability settings',
                'db_table': 'insights_profitabilitysettings',
            },
        ),
        migrations.CreateModel(
            name='PoolPeriodFigures',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grain', models.CharField(default='year', max_length=7)),
                ('pool', models.CharField(max_length=100)),
                ('period', models.CharField(max_length=30)),
                ('cost', models.DecimalField(decimal_places=2, max_digits=18)),
                ('allocated', models.DecimalField(decimal_places=2, max_digits=18)),
                ('unused', models.DecimalField(decimal_places=2, max_digits=18)),
                ('extra', models.JSONField(blank=True, default=dict)),
                ('computation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pools', to='core.computation')),
            ],
            options={
                'db_table': 'insights_poolperiodfigures',
            },
        ),
        migrations.CreateModel(
            name='AccountPeriodFigures',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('account_key', models.CharField(db_index=True, max_length=64)),
                ('grain', models.CharField(default='year', max_length=7)),
                ('period', models.CharField(db_index=True, max_length=10)),
                ('rolled_up', models.BooleanField(default=False)),
                ('gross_sales', models.DecimalField(decimal_places=2, max_digits=18)),
                ('discounts', models.DecimalField(decimal_places=2, max_digits=18)),
                ('invoiced_sales', models.DecimalField(decimal_places=2, max_digits=18)),
                ('rebates', models.DecimalField(decimal_places=2, max_digits=18)),
                ('net_sales', models.DecimalField(decimal_places=2, max_digits=18)),
                ('cogs', models.DecimalField(decimal_places=2, max_digits=18)),
                ('gross_margin', models.DecimalField(decimal_places=2, max_digits=18)),
                ('cost_to_serve', models.DecimalField(decimal_places=2, max_digits=18)),
                ('cost_by_pool', models.JSONField(default=dict)),
                ('net_contribution', models.DecimalField(decimal_places=2, max_digits=18)),
                ('contribution_margin_pct', models.FloatField(null=True)),
                ('computation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='figures', to='core.computation')),
            ],
            options={
                'db_table': 'insights_accountperiodfigures',
                'indexes': [models.Index(fields=['computation', 'grain', 'period', 'rolled_up'], name='insights_ac_computa_f78b04_idx'), models.Index(fields=['computation', 'account_key', 'grain', 'period'], name='insights_ac_computa_1b3b3e_idx')],
            },
        ),
    ]
