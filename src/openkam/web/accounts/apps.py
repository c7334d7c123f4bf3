from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openkam.web.accounts"
    label = "accounts"
    nav = [("Accounts", "accounts:list", 10)]
