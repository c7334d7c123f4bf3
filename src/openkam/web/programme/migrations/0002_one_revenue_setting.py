"""The most weight on revenue is the scorecards' setting now (``scorecards.0003`` kept the
value set by hand)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0001_rollout"),
        ("scorecards", "0003_one_revenue_setting"),
    ]

    operations = [
        migrations.RemoveField(model_name="readinesssettings", name="max_revenue_weight"),
    ]
