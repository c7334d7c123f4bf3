from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "openkam.web.insights"
    label = "insights"
    verbose_name = "Profitability and lifetime value"
    nav = [("Profitability", "insights:profitability", 20), ("Lifetime value", "insights:clv", 30)]
    account_panels = [
        (
            20,
            "insights/_account_profitability.html",
            "openkam.web.insights.panels.profitability_panel",
        ),
        (20, "insights/_account_mix.html", "openkam.web.insights.panels.product_mix_panel"),
        (30, "insights/_account_clv.html", "openkam.web.insights.panels.clv_panel"),
    ]
