from django.urls import path

from openkam.web.programme import views

app_name = "programme"
urlpatterns = [
    path("", views.readiness, name="readiness"),
    path("record/", views.record, name="record"),
    path("settings/", views.settings_edit, name="settings"),
    path("champion/", views.champion, name="champion"),
    path("partnerships/", views.partnerships, name="partnerships"),
    path("partnerships/<str:account_id>/", views.partnership, name="partnership"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/open/", views.review_open, name="review_open"),
    path("reviews/<int:year>/", views.review_detail, name="review"),
]
