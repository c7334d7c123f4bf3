from django.urls import path

from openkam.web.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.index, name="index"),
    path("service/", views.service, name="service"),
    path("allocation/", views.allocation, name="allocation"),
    path("allocation/export.<str:fmt>", views.allocation_export, name="allocation_export"),
    path("commitments/new/", views.commitment_create, name="commitment_create"),
    path("commitments/<str:commitment_id>/", views.commitment_detail, name="commitment"),
    path("commitments/<str:commitment_id>/edit/", views.commitment_edit, name="commitment_edit"),
    path(
        "commitments/<str:commitment_id>/delete/",
        views.commitment_delete,
        name="commitment_delete",
    ),
]
