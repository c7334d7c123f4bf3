from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "openkam.web.operations"
    label = "operations"
    verbose_name = "Operations commitments"
    nav = [("Operations", "operations:index", 50)]
    account_panels = [
        (30, "operations/_panel.html", "openkam.web.operations.panels.commitments_panel")
    ]

    def ready(self):
        # The commitments marked for the customer join the mutual plan's allow-list.
        from openkam.web.operations.mutual import register_section

        register_section()
