from django.urls import path

from openkam.web.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("add/", views.person_add, name="add"),
    path("rules/", views.rules_page, name="rules"),
    path("targets/", views.targets_edit, name="targets"),
    path("champion/", views.champion_edit, name="champion"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/add/", views.visit_add, name="visit_add"),
    path("assign/<str:account_id>/", views.assign, name="assign"),
    path("<str:person_id>/", views.person_detail, name="detail"),
    path("<str:person_id>/edit/", views.person_edit, name="edit"),
    path("<str:person_id>/assess/", views.assessment_add, name="assess"),
    path("<str:person_id>/training/", views.training_add, name="training"),
]
