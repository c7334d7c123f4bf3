from django.urls import path

from openkam.web.profitability import views

app_name = "profitability"
# Mounted under /insights/ (web/urls.py), the addresses the pages have always had.
urlpatterns = [
    path("profitability/", views.profitability, name="index"),
    path("recompute/profitability/", views.recompute, name="recompute"),
    path("accounts/<str:account_id>/activities/", views.account_activities, name="activities"),
    path("accounts/<str:account_id>/lines/", views.account_lines, name="lines"),
]
