from django.urls import path

from openkam.web.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("contacts/<str:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("<str:account_id>/", views.account_detail, name="detail"),
    path("<str:account_id>/edit/", views.account_edit, name="edit"),
    path("<str:account_id>/contacts/add/", views.contact_create, name="contact_add"),
]
