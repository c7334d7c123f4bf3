from django.urls import path

from openkam.web.imports import views

app_name = "imports"
urlpatterns = [path("", views.upload, name="upload")]
