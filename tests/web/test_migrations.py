"""A model change never lands without its migration."""

from django.core.management import call_command


def test_no_missing_migrations(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


#: The migrations of the app that held profitability and lifetime value until they became
#: apps of their own (core 0002, profitability 0001 and lifetime_value 0001 replace them).
INSIGHTS = [
    "0001_initial",
    "0002_alter_computation_kind",
    "0003_profitability_settings",
    "0004_figures_account_index",
    "0005_run_currency",
]


def test_a_database_made_with_the_insights_app_keeps_its_tables(db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.recorder import MigrationRecorder

    # Given a database whose history is that of before the split: insights 0001-0005
    # applied, none of the migrations that replace them.
    recorder = MigrationRecorder(connection)
    recorder.migration_qs.filter(app__in=["profitability", "lifetime_value", "insights"]).delete()
    # (core's migrations from 0002 on came with or after the split.)
    recorder.migration_qs.filter(app="core", name__gte="0002").delete()
    for name in INSIGHTS:
        recorder.record_applied("insights", name)
    # When it migrates: its history is consistent, and the new apps' first migrations
    # count as applied (they would create tables it has); only the content types move.
    executor = MigrationExecutor(connection)
    executor.loader.check_consistent_history(connection)
    plan = [
        (m.app_label, m.name)
        for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())
    ]
    assert ("core", "0003_insights_content_types") in plan
    replacing = {
        ("core", "0002_computation"),
        ("profitability", "0001_initial"),
        ("lifetime_value", "0001_initial"),
    }
    assert not replacing & set(plan)
    # Later migrations of the new apps (e.g. an index added since) apply as usual.
    assert all(
        name > "0003" if app == "core" else name > "0001"
        for app, name in plan
        if app in ("core", "profitability", "lifetime_value")
        and name != "0003_insights_content_types"
    )


def test_the_moved_models_take_their_content_types_along(db):
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from openkam.web.core.models import AuditEvent

    # Given an audit event about the CLV settings recorded when they were insights'.
    ContentType.objects.filter(app_label="lifetime_value", model="clvsettings").delete()
    old = ContentType.objects.create(app_label="insights", model="clvsettings")
    event = AuditEvent.objects.create(action="update", content_type=old, object_pk="1")
    # When the content types move (core 0003), the event points at the model where it lives.
    move = import_module("openkam.web.core.migrations.0003_insights_content_types")
    move.forwards(apps, SimpleNamespace(connection=connection))
    ContentType.objects.clear_cache()
    event.refresh_from_db()
    assert (event.content_type.app_label, event.content_type.model) == (
        "lifetime_value",
        "clvsettings",
    )
    assert event.content_type.model_class().__name__ == "ClvSettings"
