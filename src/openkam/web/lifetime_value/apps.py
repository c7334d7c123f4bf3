from django.apps import AppConfig


class LifetimeValueConfig(AppConfig):
    name = "openkam.web.lifetime_value"
    label = "lifetime_value"
    verbose_name = "Customer lifetime value"
    nav = [("Lifetime value", "lifetime_value:index", 30)]
    account_panels = [
        (
            30,
            "lifetime_value/_account_clv.html",
            "openkam.web.lifetime_value.panels.clv_panel",
        ),
    ]
