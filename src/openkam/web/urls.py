"""Top-level URLs: each domain app mounts its own."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from openkam.web.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("openkam.web.accounts.urls")),
    path("", include("openkam.web.people.urls")),
    # Profitability and lifetime value keep the addresses of the app that once held both.
    path("insights/", include("openkam.web.profitability.urls")),
    path("insights/", include("openkam.web.lifetime_value.urls")),
    path("insights/runs/<int:pk>/", core_views.run_progress, name="run"),
    path("selection/", include("openkam.web.portfolio.urls")),
    path("plans/", include("openkam.web.planning.urls")),
    path("relationships/", include("openkam.web.relationships.urls")),
    path("operations/", include("openkam.web.operations.urls")),
    path("scorecards/", include("openkam.web.scorecards.urls")),
    path("import/", include("openkam.web.imports.urls")),
    path("programme/", include("openkam.web.programme.urls")),
    path("api/", include("openkam.web.api.urls")),
    path("admin/", admin.site.urls),
]
