from django.apps import AppConfig


class ProfitabilityConfig(AppConfig):
    name = "openkam.web.profitability"
    label = "profitability"
    verbose_name = "Account profitability"
    nav = [("Profitability", "profitability:index", 20)]
    account_panels = [
        (
            20,
            "profitability/_account_profitability.html",
            "openkam.web.profitability.panels.profitability_panel",
        ),
        (
            20,
            "profitability/_account_mix.html",
            "openkam.web.profitability.panels.product_mix_panel",
        ),
    ]
