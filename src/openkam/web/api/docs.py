"""The browsable API docs: Swagger UI without inline script (it passes the Content
Security Policy) and, unless ``OPENKAM_PUBLIC_API_DOCS`` is on, for signed-in users only."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI, its start-up script served as a file (``?script``) rather than inline."""

    def dispatch(self, request, *args, **kwargs):
        public = "rest_framework.permissions.AllowAny" in settings.SPECTACULAR_SETTINGS.get(
            "SERVE_PERMISSIONS", []
        )
        user = getattr(request, "user", None)
        if not public and not (user and user.is_authenticated) and "script" not in request.GET:
            # A person opening the docs is sent to the login page, not shown a 403.
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)
