from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openkam.web.core"
    label = "core"
    verbose_name = "OpenKAM core"
    nav = [("Home", "home", 0)]
