"""The content types of the former ``insights`` app's models follow them to their new apps,
so the audit trail's events about them (and any permission on them) keep their object."""

from django.db import migrations

#: model -> the app it moved to
MOVED = {
    "computation": "core",
    "accountperiodfigures": "profitability",
    "poolperiodfigures": "profitability",
    "profitabilitysettings": "profitability",
    "accountvalue": "lifetime_value",
    "clvsettings": "lifetime_value",
}


def forwards(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, app in MOVED.items():
        if content_type.objects.using(db).filter(app_label=app, model=model).exists():
            continue  # already there (a database made after the move)
        content_type.objects.using(db).filter(app_label="insights", model=model).update(
            app_label=app
        )


def backwards(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, app in MOVED.items():
        content_type.objects.using(db).filter(app_label=app, model=model).update(
            app_label="insights"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_computation"),
        ("profitability", "0001_initial"),
        ("lifetime_value", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
