from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "openkam.web.imports"
    label = "imports"
    verbose_name = "Data import"
    nav = [("Import data", "imports:upload", 90)]
