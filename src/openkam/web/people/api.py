"""REST endpoints for our people."""

from __future__ import annotations

from rest_framework import serializers

from openkam.web.core import audit
from openkam.web.core.api import VersionedModelViewSet, VersionField
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.permissions import require_edit, require_role_change
from openkam.web.people.models import Person


class PersonSerializer(serializers.ModelSerializer):
    version = VersionField()
    username = serializers.CharField(source="user.username", read_only=True, default=None)

    class Meta:
        model = Person
        fields = ["person_id", "name", "email", "role", "title", "active", "username", "version"]


class PersonViewSet(VersionedModelViewSet):
    """Our people. Everyone reads; the champion and admins edit."""

    serializer_class = PersonSerializer
    lookup_field = "person_id"
    lookup_value_regex = "[^/]+"
    queryset = Person.objects.select_related("user").order_by("name", "pk")
    filterset_fields = ["role", "active"]
    search_fields = ["name", "email", "person_id"]

    def perform_create(self, serializer):
        require_role_change(self.request.user, None, serializer.validated_data.get("role"))
        person = serializer.save()
        audit.record("create", person, user=self.request.user, changes=audit.snapshot(person))

    def perform_versioned_update(self, instance, values, version, user):
        require_edit(user, instance)
        require_role_change(user, instance.role, values.get("role"))
        save_versioned(instance, values, version, user=user)

    def perform_destroy(self, instance):
        audit.record("delete", instance, user=self.request.user, changes=audit.snapshot(instance))
        instance.delete()


ROUTES = [("people", PersonViewSet, "person")]
