"""The lifetime values and their settings, from the former ``insights`` app (tables kept)."""

import django.db.models.deletion
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
            name='ClvSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1)),
                ('updated', models.DateTimeField(auto_now=True)),
                ('model', models.CharField(choices=[('bgnbd', 'BG/NBD'), ('pnbd', 'Pareto/NBD')], default='bgnbd', max_length=10)),
                ('discount_rate', models.DecimalField(decimal_places=4, default=0.1, help_text='annual', max_digits=5)),
                ('horizon_years', models.PositiveSmallIntegerField(default=5)),
                ('time_unit', models.CharField(choices=[('day', 'day'), ('week', 'week'), ('month', 'month')], default='week', max_length=5)),
            ],
            options={
                'verbose_name_plural': 'CLV settings',
                'db_table': 'insights_clvsettings',
            },
        ),
        migrations.CreateModel(
            name='AccountValue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('account_key', models.CharField(db_index=True, max_length=64)),
                ('probability_alive', models.FloatField(null=True)),
                ('expected_orders_12m', models.FloatField(null=True)),
                ('expected_contribution_12m', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('clv_contribution', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('clv_revenue', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('reason', models.CharField(blank=True, max_length=300)),
                ('computation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='values', to='core.computation')),
            ],
            options={
                'db_table': 'insights_accountvalue',
            },
        ),
    ]
