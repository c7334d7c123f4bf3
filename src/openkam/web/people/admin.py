from django.contrib import admin

from openkam.web.people.models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "person_id", "role", "email", "user"]
    list_filter = ["role"]
    search_fields = ["name", "person_id", "email"]
