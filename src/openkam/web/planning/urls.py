from django.urls import path

from openkam.web.planning import views

app_name = "planning"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("shared/<str:token>/", views.shared_plan, name="shared"),
    path("<str:account_id>/", views.plan_view, name="plan"),
    path("<str:account_id>/start/", views.plan_start, name="start"),
    path("<str:account_id>/edit/", views.plan_edit, name="edit"),
    path("<str:account_id>/review/", views.plan_review, name="review"),
    path("<str:account_id>/sharing/", views.plan_sharing, name="sharing"),
    path("<str:account_id>/sharing/preview/", views.plan_sharing_preview, name="sharing_preview"),
    path("<str:account_id>/versions/", views.plan_history, name="history"),
    path("<str:account_id>/compare/", views.plan_compare, name="compare"),
    path("<str:account_id>/versions/<int:number>/sign/", views.plan_sign, name="sign"),
    path("<str:account_id>/export.<str:fmt>", views.plan_export, name="export"),
    path("<str:account_id>/<str:kind>/add/", views.part_add, name="part_add"),
    path("<str:account_id>/<str:kind>/<int:pk>/edit/", views.part_edit, name="part_edit"),
    path("<str:account_id>/<str:kind>/<int:pk>/delete/", views.part_delete, name="part_delete"),
]
