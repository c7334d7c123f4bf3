from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openkam.web.core"
    label = "core"
    verbose_name = "OpenKAM core"
    nav = [("Home", "home", 0)]

    def ready(self):
        from openkam.web.core import signals  # noqa: F401  (connects the handlers)
