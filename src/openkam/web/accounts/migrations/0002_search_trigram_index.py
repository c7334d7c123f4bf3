"""Trigram indexes for the account search on PostgreSQL (nothing on other databases).

The account list's search is ``name`` or ``account_id`` *contains* the text, which Django
writes ``UPPER(col::text) LIKE UPPER('%…%')``: no B-tree index helps, so with 100,000
accounts every search read the whole table (~600 ms). A GIN index of the same expression
with ``pg_trgm``'s operator class answers it from the index. ``pg_trgm`` ships with
PostgreSQL and is a trusted extension (the database owner may create it); where it cannot
be created the migration says so and leaves the search as it was (correct, slower).
"""

from django.db import migrations, transaction

INDEXES = {
    "accounts_account_name_trgm": "name",
    "accounts_account_id_trgm": "account_id",
}


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # noqa: BLE001 - any refusal: the search works without it
        print(f"\n  pg_trgm not available ({exc}); the account search runs without its index")
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_account "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
