from django.urls import path

from openkam.web.insights import views

app_name = "insights"
urlpatterns = [
    path("profitability/", views.profitability, name="profitability"),
    path("clv/", views.clv, name="clv"),
    path("runs/<int:pk>/", views.run_progress, name="run"),
    path("recompute/<str:kind>/", views.recompute, name="recompute"),
    path("accounts/<str:account_id>/activities/", views.account_activities, name="activities"),
    path("accounts/<str:account_id>/lines/", views.account_lines, name="lines"),
]
