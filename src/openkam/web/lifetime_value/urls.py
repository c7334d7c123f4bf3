from django.urls import path

from openkam.web.lifetime_value import views

app_name = "lifetime_value"
# Mounted under /insights/ (web/urls.py), the addresses the pages have always had.
urlpatterns = [
    path("clv/", views.clv, name="index"),
    path("recompute/clv/", views.recompute, name="recompute"),
]
