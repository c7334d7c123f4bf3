from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "openkam.web.portfolio"
    label = "portfolio"
    verbose_name = "Key account selection"
    nav = [("Selection", "portfolio:selection", 15)]
    account_panels = [
        (15, "portfolio/_account_selection.html", "openkam.web.portfolio.panels.selection_panel")
    ]
