from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "openkam.web.people"
    label = "people"
    nav = [("People", "people:list", 80)]
    #: One person's pages (``/person/<id>/``) are under the People entry.
    nav_paths = {"people:list": ["/person/"]}
    account_panels = [
        (15, "people/_account_panel.html", "openkam.web.people.panels.organisation_panel")
    ]
