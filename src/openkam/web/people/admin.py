from django.contrib import admin

from openkam.web.core.permissions import may_grant_roles
from openkam.web.people.models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "person_id", "role", "email", "user"]
    list_filter = ["role"]
    search_fields = ["name", "person_id", "email"]

    def get_readonly_fields(self, request, obj=None):
        # Only administrators give or change roles (see core.permissions).
        fields = list(super().get_readonly_fields(request, obj))
        return fields if may_grant_roles(request.user) else [*fields, "role"]
