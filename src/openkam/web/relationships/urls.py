from django.urls import path

from openkam.web.relationships import views

app_name = "relationships"
urlpatterns = [
    path("", views.index, name="index"),
    path("contact/<str:contact_id>/", views.contact_panel, name="contact"),
    path("contact/<str:contact_id>/profile/", views.profile_save, name="profile"),
    path("contact/<str:contact_id>/relationships/", views.relationship_add, name="rel_add"),
    path("contact/<str:contact_id>/dotted/", views.dotted_add, name="dotted_add"),
    path("relationship/<int:pk>/delete/", views.relationship_delete, name="rel_delete"),
    path("<str:account_id>/", views.map_view, name="map"),
    path("<str:account_id>/contacts/add/", views.contact_add, name="contact_add"),
]
