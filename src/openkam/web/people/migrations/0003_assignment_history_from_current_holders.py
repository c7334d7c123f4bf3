"""Start the assignment history of databases made before it existed: every account's
current KAM and sponsor get an open ``Assignment`` row from the day the account was
created (the earliest date we know), so ``Account.kam``/``sponsor`` and the history agree."""

from django.db import migrations


def forwards(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    Assignment = apps.get_model("people", "Assignment")
    open_rows = set(
        Assignment.objects.filter(end__isnull=True).values_list("account_id", "role")
    )
    rows = []
    for pk, created, kam, sponsor in Account.objects.exclude(
        kam__isnull=True, sponsor__isnull=True
    ).values_list("pk", "created", "kam_id", "sponsor_id"):
        for role, person in (("kam", kam), ("sponsor", sponsor)):
            if person is not None and (pk, role) not in open_rows:
                rows.append(
                    Assignment(
                        account_id=pk,
                        role=role,
                        person_id=person,
                        start=created.date(),
                        reason="Held when the assignment history began",
                        source="migration",
                    )
                )
    Assignment.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_organisation")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
