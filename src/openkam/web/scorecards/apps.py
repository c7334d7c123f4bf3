from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "openkam.web.scorecards"
    label = "scorecards"
    verbose_name = "Scorecards"
    nav = [("Scorecards", "scorecards:index", 65)]
