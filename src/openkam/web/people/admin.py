from django.contrib import admin

from openkam.web.people.models import (
    Assignment,
    ChampionAppointment,
    Person,
    ProgrammeRules,
    RuleException,
    SponsorVisit,
)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "person_id", "role", "function", "executive_level", "email", "user"]
    list_filter = ["role", "function", "executive_level", "full_time_kam"]
    search_fields = ["name", "person_id", "email"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the organisation's services (rules, history, audit): the
    admin shows them, the pages and API change them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["account", "role", "person", "start", "end", "source"]
    list_filter = ["role", "source"]
    search_fields = ["account__account_id", "person__name"]


@admin.register(RuleException)
class RuleExceptionAdmin(ReadOnlyAdmin):
    list_display = ["person", "rule", "account", "active", "created"]
    list_filter = ["rule", "active"]


@admin.register(ProgrammeRules)
class ProgrammeRulesAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "version", "updated"]


@admin.register(ChampionAppointment)
class ChampionAppointmentAdmin(ReadOnlyAdmin):
    list_display = ["person", "since", "until", "reports_to"]


@admin.register(SponsorVisit)
class SponsorVisitAdmin(ReadOnlyAdmin):
    list_display = ["date", "account", "sponsor", "kind"]
    list_filter = ["kind"]
