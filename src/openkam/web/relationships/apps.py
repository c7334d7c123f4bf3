from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "openkam.web.relationships"
    label = "relationships"
    verbose_name = "Relationship maps"
    nav = []
    account_panels = []
