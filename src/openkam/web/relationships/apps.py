from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "openkam.web.relationships"
    label = "relationships"
    verbose_name = "Relationship maps"
    nav = [("Relationships", "relationships:index", 45)]
    account_panels = [
        (25, "relationships/_panel.html", "openkam.web.relationships.panels.coverage_panel")
    ]
