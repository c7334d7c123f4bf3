from django.urls import path

from openkam.web.scorecards import views

app_name = "scorecards"
urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("weights/", views.weights_view, name="weights"),
    path("record/", views.record_view, name="record"),
    path("snapshots/", views.snapshots_view, name="snapshots"),
    path("<str:person_id>/", views.detail, name="detail"),
    path("<str:person_id>/export.<str:fmt>", views.export, name="export"),
]
