from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "openkam.web.planning"
    label = "planning"
    verbose_name = "Account plans"
    nav = []
    account_panels = []
