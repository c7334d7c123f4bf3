from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "openkam.web.programme"
    label = "programme"
    verbose_name = "Programme rollout and review"
    nav = [("Programme", "programme:readiness", 60)]
    account_panels = [
        (15, "programme/_panel.html", "openkam.web.programme.panels.partnership_panel")
    ]

    def ready(self) -> None:
        from openkam.web.programme import signals  # noqa: F401  (connects the receivers)
