"""One setting for the most weight on revenue.

The readiness check's ``ReadinessSettings.max_revenue_weight`` (a share, 0.20 by default)
and the scorecards' ``revenue_warning_share`` (a percent, 10 by default) said the same thing;
the scorecards' setting stays (the weights page, where the weights it bounds are set) and
``programme.0002`` removes the other. The value kept: the scorecards' when the champion saved
it; else the readiness threshold when the champion changed that from its default (it was
then the only one set by hand). When both were set, the scorecards' wins: it is the one the
champion saw beside the weights.
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models

READINESS_DEFAULT = Decimal("0.20")
SCORECARDS_DEFAULT = 10


def keep_the_value_set(apps, schema_editor):
    Readiness = apps.get_model("programme", "ReadinessSettings")
    Weights = apps.get_model("scorecards", "ScorecardWeights")
    readiness = Readiness.objects.order_by("pk").first()
    if readiness is None or readiness.max_revenue_weight == READINESS_DEFAULT:
        return
    weights = Weights.objects.order_by("pk").first()
    if weights is not None and weights.revenue_warning_share != SCORECARDS_DEFAULT:
        return
    if weights is None:
        weights = Weights()
    weights.revenue_warning_share = int(round(readiness.max_revenue_weight * 100))
    weights.save()


class Migration(migrations.Migration):
    dependencies = [
        ("scorecards", "0002_weight_of_operations_commitments"),
        ("programme", "0001_rollout"),
    ]

    operations = [
        migrations.AlterField(
            model_name="scorecardweights",
            name="revenue_warning_share",
            field=models.PositiveSmallIntegerField(
                default=10,
                help_text="Above this share on net sales the weights carry the seeds' warning "
                "and the readiness check's step 6 is not met (judge KAMs on contribution and "
                "lifetime value, not top-line revenue).",
                validators=[django.core.validators.MaxValueValidator(100)],
                verbose_name="most weight on revenue (%)",
            ),
        ),
        migrations.RunPython(keep_the_value_set, migrations.RunPython.noop),
    ]
