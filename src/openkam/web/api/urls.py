"""The REST API: one router for every domain, its OpenAPI schema and browsable docs.

Each domain app lists its endpoints in ``<app>/api.py`` as ``ROUTES = [(prefix, viewset,
basename)]``; they are all mounted here.
"""

from importlib import import_module

from django.apps import apps
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from openkam.web.api.docs import ApiDocsView
from openkam.web.api.token import ObtainExpiringToken

app_name = "api"

router = DefaultRouter()
for config in apps.get_app_configs():
    if not config.name.startswith("openkam.web."):
        continue
    try:
        module = import_module(f"{config.name}.api")
    except ModuleNotFoundError as exc:
        if exc.name != f"{config.name}.api":
            raise
        continue
    for prefix, viewset, basename in getattr(module, "ROUTES", ()):
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    path("token/", ObtainExpiringToken.as_view(), name="token"),
    path("", include(router.urls)),
]
