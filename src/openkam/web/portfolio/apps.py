from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "openkam.web.portfolio"
    label = "portfolio"
    verbose_name = "Key account selection"
    nav = []
    account_panels = []
