"""The organisation's pages.

The programme's pages live under ``/people/`` and one person's pages under
``/person/<person_id>/``: a person id is anything the organisation uses (``add`` or
``rules`` included), so no id can collide with a page's name. ``/people/<person_id>/``,
the address before, redirects to the person's page.
"""

from django.urls import path
from django.views.generic import RedirectView

from openkam.web.people import views

app_name = "people"
urlpatterns = [
    path("people/", views.person_list, name="list"),
    path("people/add/", views.person_add, name="add"),
    path("people/rules/", views.rules_page, name="rules"),
    path("people/targets/", views.targets_edit, name="targets"),
    path("people/champion/", views.champion_edit, name="champion"),
    path("people/visits/", views.visit_list, name="visits"),
    path("people/visits/add/", views.visit_add, name="visit_add"),
    path("people/assign/<str:account_id>/", views.assign, name="assign"),
    path("person/<str:person_id>/", views.person_detail, name="detail"),
    path("person/<str:person_id>/edit/", views.person_edit, name="edit"),
    path("person/<str:person_id>/assess/", views.assessment_add, name="assess"),
    path("person/<str:person_id>/training/", views.training_add, name="training"),
    # Bookmarks of the earlier addresses (after the programme's pages, which they shadowed).
    path(
        "people/<str:person_id>/",
        RedirectView.as_view(pattern_name="people:detail", permanent=True),
        name="detail_before",
    ),
]
