"""Template context shared by every page: the navigation the domain apps plug into."""

from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from openkam.web.core.roles import Role, role_of, runs_programme


def navigation(request):
    """Menu entries declared by the apps (``AppConfig.nav``: ``[(label, url_name, order)]``;
    ``AppConfig.nav_paths``: ``{url_name: [path prefix, ...]}`` of other pages an entry
    stands for)."""
    items = []
    for config in apps.get_app_configs():
        for label, url_name, order in getattr(config, "nav", ()):
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            also = tuple(getattr(config, "nav_paths", {}).get(url_name, ()))
            items.append({"label": label, "url": url, "order": order, "also": also})
    items.sort(key=lambda item: item["order"])
    path = request.path
    for item in items:
        prefixes = (item["url"], *item.pop("also"))
        item["active"] = item["url"] != "/" and path.startswith(prefixes) or path == item["url"]
    user = getattr(request, "user", None)
    role = role_of(user) if user else None
    return {
        "nav_items": items,
        "user_role": Role(role).label if role else None,
        "user_runs_programme": runs_programme(user) if user else False,
    }


def reporting_currency(request):
    """``reporting_currency``: the ISO 4217 code every amount on the pages is in, unless a
    page shows a run computed in another (its ``currency``)."""
    from django.conf import settings

    code = settings.OPENKAM_REPORTING_CURRENCY
    # ``currency`` is the default of the money filters; a page of stored figures sets its own.
    return {"reporting_currency": code, "currency": code}
