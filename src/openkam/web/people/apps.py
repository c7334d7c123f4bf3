from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "openkam.web.people"
    label = "people"
    nav = [("People", "people:list", 80)]
