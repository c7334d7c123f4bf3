"""API building blocks shared by the domain apps."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from openkam.web.core import runs
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.models import Computation
from openkam.web.core.roles import may_write


class VersionedModelViewSet(viewsets.ModelViewSet):
    """Updates must state the ``version`` they were based on; a stale one answers 409.

    Subclasses implement ``perform_versioned_update(instance, values, version, user)``
    by calling their domain service.
    """

    def perform_update(self, serializer):
        version = required_version(self.request.data)
        values = dict(serializer.validated_data)
        values.pop("version", None)
        self.perform_versioned_update(serializer.instance, values, version, self.request.user)
        serializer.instance.refresh_from_db()

    def handle_exception(self, exc):
        if isinstance(exc, ConcurrentEditError):
            return conflict_response(exc)
        return super().handle_exception(exc)


@contextmanager
def model_errors_as_400():
    """A model's own validation (unique rows, choices) fails a request with 400, not 500."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError(detail) from exc


def required_version(data) -> int:
    """The ``version`` an update states it was based on; 400 when missing or not a number."""
    version = data.get("version") if hasattr(data, "get") else None
    if version is None:
        raise ValidationError({"version": "Required: the version your change is based on."})
    try:
        number = int(version)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationError({"version": "Must be an integer."}) from exc
    if not 0 <= number < 2**31:
        raise ValidationError({"version": "Must be a version number (0 or more)."})
    return number


def conflict_response(exc: ConcurrentEditError, **extra) -> Response:
    """The 409 answer to an update based on a stale version: the version now stored and
    where the two differ (``extra`` adds keys, e.g. the current values)."""
    return Response(
        {
            "detail": str(exc),
            "current_version": exc.current,
            "conflicts": {k: {"theirs": t, "yours": m} for k, (t, m) in exc.conflicts.items()},
            **extra,
        },
        status=status.HTTP_409_CONFLICT,
    )


class RunRowSerializer(serializers.ModelSerializer):
    """A result row a run stored for an account: its account and the run's currency."""

    account_id = serializers.CharField(source="account_key")
    currency = serializers.CharField(
        source="computation.currency",
        read_only=True,
        help_text="ISO 4217 code of every amount of the row (the run's reporting currency).",
    )


class VersionField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**31 - 1)
        kwargs.setdefault("help_text", "The version your update is based on (optimistic locking).")
        super().__init__(**kwargs)


class SingleObjectSchema(AutoSchema):
    """The OpenAPI schema of a viewset whose ``list`` answers one object (a report), not an
    array or a page: drf-spectacular takes every ``list`` for one otherwise."""

    def _is_list_view(self, serializer=None) -> bool:
        if getattr(self.view, "action", None) == "list":
            return False
        return super()._is_list_view(serializer)

    def get_operation_id(self) -> str:
        # Still the collection's operation (``…_list``), not a second ``…_retrieve``.
        operation_id = super().get_operation_id()
        if getattr(self.view, "action", None) == "list" and operation_id.endswith("_retrieve"):
            operation_id = operation_id.removesuffix("_retrieve") + "_list"
        return operation_id


# --- runs of the analytics engine -----------------------------------------------------------


class ComputationSerializer(serializers.ModelSerializer):
    ledger_changed = serializers.BooleanField(
        read_only=True,
        help_text="Records were imported into the ledger after this run read it: "
        "recompute to include them.",
    )

    class Meta:
        model = Computation
        fields = [
            "id",
            "kind",
            "status",
            "stage",
            "progress",
            "params",
            "warnings",
            "error",
            "is_current",
            "created",
            "started",
            "finished",
            "ledger_changed",
            "currency",
        ]


class CurrentRunMixin:
    """A viewset over the results of the current run of ``kind``."""

    kind: str = ""

    def current_run(self):
        return runs.current(self.kind)

    def _computed_run(self) -> Computation:
        """The current run, or a 404 when nothing has been computed yet."""
        run = self.current_run()
        if run is None:
            raise NotFound("not computed yet")
        return run


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    """Recomputations and their progress."""

    serializer_class = ComputationSerializer
    queryset = Computation.objects.all()
    filterset_fields = ["kind", "status", "is_current"]


def start_run(request, kind, task, params):
    """Queue a recomputation from the API: 202 with the run, 409 when one is under way."""
    if not may_write(request.user):
        raise PermissionDenied("Viewers cannot start recomputations.")
    try:
        run = runs.request(kind, params, request.user, task)
    except runs.AlreadyRunning as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    run.refresh_from_db()
    return Response(ComputationSerializer(run).data, status=status.HTTP_202_ACCEPTED)


ROUTES = [("runs", RunViewSet, "run")]
