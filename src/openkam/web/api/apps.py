from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "openkam.web.api"
    label = "api"
