from django.urls import path

from openkam.web.portfolio import views

app_name = "portfolio"
urlpatterns = [
    path("", views.selection, name="selection"),
    path("run/", views.run_review, name="run"),
    path("criteria/", views.criteria, name="criteria"),
    path("criteria/file/", views.criteria_file, name="criteria_file"),
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/compare/", views.review_compare, name="compare"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/apply/", views.apply_review, name="apply"),
    path("reviews/<int:pk>/matrix/", views.review_matrix, name="matrix"),
    path("reviews/<int:pk>/rows/<str:account_id>/", views.review_row, name="row"),
    path("accounts/<str:account_id>/", views.scores, name="scores"),
    path("accounts/<str:account_id>/override/", views.override_add, name="override"),
    path("overrides/<int:pk>/withdraw/", views.override_withdraw, name="withdraw"),
]
