"""Plug-in points through which domain apps add to shared pages without editing them.

An app's ``AppConfig`` may declare

- ``nav = [(label, url_name, order)]`` — entries in the side menu;
- ``account_panels = [(order, template, "module.function")]`` — panels on the account page;
  the function takes ``(request, account)`` and returns the template's context (a dict), or
  None to leave the panel out.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.module_loading import import_string


def account_panels(request, account) -> list[dict]:
    """The panels the installed apps add to ``account``'s page, in order."""
    panels = []
    for config in apps.get_app_configs():
        for order, template, provider in getattr(config, "account_panels", ()):
            context = import_string(provider)(request, account)
            if context is not None:
                panels.append({"order": order, "template": template, "context": context})
    panels.sort(key=lambda p: p["order"])
    return panels
