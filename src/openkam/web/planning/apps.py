from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "openkam.web.planning"
    label = "planning"
    verbose_name = "Account plans"
    nav = [("Plans", "planning:overview", 40)]
    account_panels = [(20, "planning/_panel.html", "openkam.web.planning.panels.plan_panel")]
