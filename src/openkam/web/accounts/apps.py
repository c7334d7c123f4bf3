from django.apps import AppConfig


def _forget_filter_choices(**kwargs) -> None:
    from django.core.cache import cache

    from openkam.web.accounts.views import FILTER_CHOICES_KEY

    cache.delete(FILTER_CHOICES_KEY)


class AccountsConfig(AppConfig):
    name = "openkam.web.accounts"
    label = "accounts"
    nav = [("Accounts", "accounts:list", 10)]

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # The account list caches its filters' choices; an edit shows at once.
        for model in ("accounts.Account", "people.Person"):
            post_save.connect(_forget_filter_choices, sender=model, weak=False)
            post_delete.connect(_forget_filter_choices, sender=model, weak=False)
