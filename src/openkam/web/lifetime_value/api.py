"""REST endpoints for the stored lifetime values, the model behind them and recomputes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from openkam.web.core.api import ComputationSerializer, CurrentRunMixin, RunRowSerializer, start_run
from openkam.web.core.models import Computation
from openkam.web.lifetime_value.models import AccountValue
from openkam.web.lifetime_value.services import recompute_clv, settings_params


class AccountValueSerializer(RunRowSerializer):
    class Meta:
        model = AccountValue
        fields = [
            "account_id",
            "probability_alive",
            "expected_orders_12m",
            "expected_contribution_12m",
            "clv_contribution",
            "clv_revenue",
            "reason",
            "currency",
        ]


class ClvViewSet(CurrentRunMixin, viewsets.GenericViewSet, mixins.ListModelMixin):
    """Lifetime value per account from the current CLV run (``account_id`` filters)."""

    kind = Computation.Kind.CLV
    serializer_class = AccountValueSerializer
    ordering_fields = ["clv_contribution", "clv_revenue", "probability_alive"]

    def get_queryset(self):
        qs = (
            AccountValue.objects.filter(computation=self.current_run())
            .select_related("computation")
            .order_by("account_key", "pk")
        )
        if account := self.request.query_params.get("account_id"):
            qs = qs.filter(account_key=account)
        return qs

    @extend_schema(responses={200: dict})
    @action(detail=False)
    def diagnostics(self, request):
        """The fitted model, its parameters and the holdout check, with the run's assumptions."""
        run = self._computed_run()
        return Response({"currency": run.currency, **run.summary, "settings": run.params})

    @extend_schema(request=None, responses={202: ComputationSerializer})
    @action(detail=False, methods=["post"])
    def recompute(self, request):
        """Start a CLV recomputation with the current settings."""

        return start_run(request, self.kind, recompute_clv, settings_params())


ROUTES = [("clv", ClvViewSet, "clv")]
