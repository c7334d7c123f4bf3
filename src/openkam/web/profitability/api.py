"""REST endpoints for the stored profitability figures, their settings and recomputes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from openkam.engine.profitability import periods
from openkam.web.accounts.models import Account
from openkam.web.core.api import (
    ComputationSerializer,
    CurrentRunMixin,
    RunRowSerializer,
    VersionField,
    conflict_response,
    required_version,
    start_run,
)
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.models import Computation
from openkam.web.profitability.models import (
    AccountPeriodFigures,
    PoolPeriodFigures,
    ProfitabilitySettings,
)
from openkam.web.profitability.services import (
    MIX_LABELS,
    MIX_SCOPES,
    SEGMENTINGS,
    mix_accounts,
    portfolio_trend,
    price_cost,
    product_mix_of,
    recompute_profitability,
    sales_records,
    segments,
    settings_params,
    update_settings,
    whale_of_period,
)


class FiguresSerializer(RunRowSerializer):
    class Meta:
        model = AccountPeriodFigures
        fields = [
            "account_id",
            "grain",
            "period",
            "rolled_up",
            "gross_sales",
            "discounts",
            "invoiced_sales",
            "rebates",
            "net_sales",
            "cogs",
            "gross_margin",
            "cost_to_serve",
            "cost_by_pool",
            "net_contribution",
            "contribution_margin_pct",
            "currency",
        ]


class PoolSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(
        source="computation.currency",
        read_only=True,
        help_text="ISO 4217 code of every amount of the row (the run's reporting currency).",
    )

    class Meta:
        model = PoolPeriodFigures
        fields = ["pool", "period", "cost", "allocated", "unused", "extra", "currency"]


class ProfitabilitySettingsSerializer(serializers.ModelSerializer):
    version = VersionField(
        help_text="The version your change is based on (optimistic locking); required to "
        "change the settings."
    )

    class Meta:
        model = ProfitabilitySettings
        fields = ["cost_of_capital", "version"]
        extra_kwargs = {
            "cost_of_capital": {
                # PUT replaces the settings, so it must state the rate; PATCH may leave it out.
                "required": True,
                "error_messages": {
                    "required": "Required with PUT: the annual cost of capital as a fraction, "
                    "0 ≤ rate < 1 (0.08 is 8 % a year); PATCH changes only what it sends."
                },
                "help_text": "Annual cost of capital as a fraction (0.08 is 8 % a year), "
                "0 ≤ rate < 1; prices the credit of payment terms from the next recompute on.",
            }
        }


#: The grains of the stored figures, finest last.
GRAINS = ("year", "quarter", "month")
#: What a period label may look like, for the error messages.
PERIOD_FORMS = "use 2024, 2024-Q1 or 2024-01"

#: The query parameters that choose one stored period (see ``ProfitabilityViewSet._period``).
_PERIOD_PARAMETERS = [
    OpenApiParameter(
        "grain",
        str,
        enum=GRAINS,
        description="year, quarter or month; default: the grain of ``period``, else year.",
    ),
    OpenApiParameter(
        "period",
        str,
        description="2024, 2024-Q1 or 2024-01; default: the latest period of the grain in "
        "the current run.",
    ),
]
_PERIOD_RESPONSES = {
    200: dict,
    400: OpenApiResponse(description="A malformed grain or period, or the two disagree."),
    404: OpenApiResponse(description="No figures for the period."),
}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "grain",
                str,
                enum=GRAINS,
                description="year, quarter or month; default: the grain of ``period``, else "
                "year. 400 when it disagrees with ``period``.",
            ),
            OpenApiParameter(
                "period", str, description="One period: 2024, 2024-Q1 or 2024-01 (default all)."
            ),
            OpenApiParameter(
                "rolled_up",
                bool,
                description="true: parents including their subsidiaries; false: each account "
                "alone (default both).",
            ),
            OpenApiParameter("account_id", str, description="Only this account's rows."),
        ],
        responses={
            200: FiguresSerializer(many=True),
            400: OpenApiResponse(description="A malformed or contradictory filter."),
        },
    )
)
class ProfitabilityViewSet(CurrentRunMixin, viewsets.GenericViewSet, mixins.ListModelMixin):
    """The P&L waterfall per account and period from the current profitability run.

    Filters: ``grain`` (year|quarter|month; default the grain of ``period``, else year),
    ``period`` (e.g. 2024, 2024-Q1, 2024-01), ``account_id``, ``rolled_up`` (true for
    parents including subsidiaries).
    """

    kind = Computation.Kind.PROFITABILITY
    serializer_class = FiguresSerializer
    # The filters are applied (and checked) by ``get_queryset``; no free-text search.
    filter_backends = [OrderingFilter]
    ordering_fields = ["net_contribution", "net_sales", "contribution_margin_pct", "cost_to_serve"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return AccountPeriodFigures.objects.none()
        qs = (
            AccountPeriodFigures.objects.filter(computation=self.current_run())
            .select_related("computation")
            .order_by("account_key", "period", "pk")
        )
        if self.action != "list":
            return qs
        params = self.request.query_params
        grain, period = _grain_and_period(params)
        qs = qs.filter(grain=grain or "year")
        if period:
            qs = qs.filter(period=period)
        rolled_up = params.get("rolled_up", "").strip().lower()
        if rolled_up:
            if rolled_up not in _BOOLEANS:
                raise ValidationError({"rolled_up": f"{params['rolled_up']!r}: use true or false."})
            qs = qs.filter(rolled_up=_BOOLEANS[rolled_up])
        if account := params.get("account_id"):
            qs = qs.filter(account_key=account)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "grain",
                str,
                enum=GRAINS,
                description="year, quarter or month; default: the grain of ``period``. Alone: "
                "the curve of the latest period of that grain.",
            ),
            OpenApiParameter(
                "period",
                str,
                description="2024, 2024-Q1 or 2024-01: the curve of that period; without it "
                "and ``grain``, the curve over all years of the run.",
            ),
        ],
        responses={
            200: dict,
            400: OpenApiResponse(description="A malformed grain or period."),
            404: OpenApiResponse(description="No figures for the period."),
        },
    )
    @action(detail=False)
    def whale(self, request):
        """The whale curve: accounts sorted by net contribution, cumulative share of the total
        (over all years, or of one ``period``)."""
        params = request.query_params
        if not params.get("period", "").strip() and not params.get("grain", "").strip():
            run = self._computed_run()
            return Response({"currency": run.currency, **run.summary.get("whale", {})})
        run, grain, period = self._period(request)
        curve = whale_of_period(run, grain, period)
        if curve is None:
            return _no_figures(grain, period)
        return Response({"currency": run.currency, "grain": grain, "period": period, **curve})

    @extend_schema(
        parameters=_PERIOD_PARAMETERS,
        responses=_PERIOD_RESPONSES,
    )
    @action(detail=False)
    def matrix(self, request):
        """The customer profitability matrix of one period: each account's net price
        realisation (net sales in % of gross sales) against its cost to serve in % of net
        sales, split at the portfolio's own ratios into carriage trade, passive, bargain
        basement and aggressive (Shapiro et al. 1987); with the quadrants' totals."""
        run, grain, period = self._period(request)
        matrix = price_cost(run, grain, period)
        if matrix is None:
            return _no_figures(grain, period)
        return Response({"currency": run.currency, "grain": grain, "period": period, **matrix})

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "by",
                str,
                description=f"How to group the accounts: {', '.join(SEGMENTINGS)} "
                "(default key_status).",
            ),
            *_PERIOD_PARAMETERS,
        ],
        responses=_PERIOD_RESPONSES,
    )
    @action(detail=False)
    def segments(self, request):
        """Profitability per segment of accounts for one period (key accounts and the rest,
        industry, region, key account manager or executive sponsor): accounts, accounts
        losing money, net sales, gross margin, cost to serve and net contribution added up,
        with the cost to serve in % of net sales and the contribution margin of the sums."""
        by = request.query_params.get("by", "key_status")
        if by not in SEGMENTINGS:
            raise ValidationError({"by": f"{by!r}: use one of {', '.join(SEGMENTINGS)}."})
        run, grain, period = self._period(request)
        groups = segments(run, grain, period, by)
        if not groups:
            return _no_figures(grain, period)
        return Response(
            {
                "currency": run.currency,
                "by": by,
                "grain": grain,
                "period": period,
                "segments": groups,
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "by",
                str,
                description="product_line (default), product or business_unit (the "
                "customer's buying unit; meaningful with account_id).",
            ),
            OpenApiParameter(
                "period",
                str,
                description="2025, 2025-Q1 or 2025-01 (default: the latest year of the current "
                "profitability run).",
            ),
            OpenApiParameter("account_id", str, description="Only this account's own lines."),
            OpenApiParameter(
                "scope",
                str,
                description=f"Without account_id: {', '.join(MIX_SCOPES)} (default all).",
            ),
        ],
        responses={200: dict, 404: OpenApiResponse(description="No invoices in the ledger.")},
    )
    @action(detail=False)
    def mix(self, request):
        """The product mix of one period: per product line, product or buying unit the
        gross sales, discounts, invoiced sales, cost of goods and invoice margin (invoiced −
        cost of goods, before rebates; each summed exactly and rounded once to the cent, as
        numbers), the distinct buying accounts, and the share of sales, discount rate and
        invoice margin % (null over a base ≤ 0); of one account or of all (or the key /
        other) accounts. Read from the ledger: rebates and the cost to serve are per
        account, so the mix stops before them. 404 when the period has no lines."""
        params = request.query_params
        by = params.get("by", "product_line")
        if by not in MIX_LABELS:
            raise ValidationError({"by": f"{by!r}: use one of {', '.join(MIX_LABELS)}."})
        scope = params.get("scope", "all")
        if scope not in MIX_SCOPES:
            raise ValidationError({"scope": f"{scope!r}: use one of {', '.join(MIX_SCOPES)}."})
        account_id = params.get("account_id")
        if account_id is not None:
            get_object_or_404(Account, account_id=account_id)
        period = params.get("period")
        if not period:
            run = self.current_run()
            years = run.summary.get("years") if run else None
            if not years:
                raise ValidationError({"period": "give a period: no profitability run yet."})
            period = years[-1]
        _parsed_period(period)
        try:
            ids = [account_id] if account_id else mix_accounts(scope)
            found = product_mix_of(period, by, ids)
        except ValueError as exc:
            raise ValidationError({"period": str(exc)}) from exc
        if found is None:
            return Response(
                {"detail": "no invoice lines in the ledger"}, status=status.HTTP_404_NOT_FOUND
            )
        if not found["rows"]:
            # As the other reports answer a period without figures.
            whose = f"of {account_id} " if account_id else f"of the {scope} accounts "
            return Response(
                {"detail": f"no invoice lines {whose}in {period}"},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(
            {
                # Read from the ledger now: in the reporting currency.
                "currency": settings.OPENKAM_REPORTING_CURRENCY,
                "period": period,
                "account_id": account_id,
                "scope": None if account_id else scope,
                **found,
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("grain", str, description="quarter (default), month or year."),
        ],
        responses={200: dict},
    )
    @action(detail=False)
    def trend(self, request):
        """The portfolio per period: every account's own figures (never the roll-ups) added
        up: net sales, cost to serve, net contribution and its margin, oldest first."""
        run, grain = self._computed_run(), _grain(request, "quarter")
        periods = [_decimals_as_text(row) for row in portfolio_trend(run, grain)]
        return Response({"currency": run.currency, "grain": grain, "periods": periods})

    def _period(self, request) -> tuple[Computation, str, str]:
        """The current run and the grain and period asked for: the grain defaults to that of
        the period, else year; the period to the latest of the grain in the run (a 404 when
        the run has none)."""
        grain, period = _grain_and_period(request.query_params)
        run, grain = self._computed_run(), grain or "year"
        if period is None:
            period = (
                AccountPeriodFigures.objects.filter(computation=run, grain=grain)
                .order_by("-period")
                .values_list("period", flat=True)
                .first()
            )
            if period is None:
                raise NotFound(f"no {grain} figures in the current run")
        return run, grain, period

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "year",
                str,
                description="A year, e.g. 2024: only the pool periods that overlap it (a pool "
                "period reaching into the next year is listed under both).",
            ),
        ],
        responses={
            200: PoolSerializer(many=True),
            400: OpenApiResponse(description="``year`` is not a 4-digit year."),
        },
    )
    @action(detail=False, filter_backends=[], pagination_class=None)
    def pools(self, request):
        """Each cost pool's cost, allocated cost and unused capacity per pool period
        (``year=2024`` keeps the pool periods that overlap 2024)."""
        rows = (
            PoolPeriodFigures.objects.filter(computation=self.current_run())
            .select_related("computation")
            .order_by("pool", "period")
        )
        if year := request.query_params.get("year", "").strip():
            if not (len(year) == 4 and year.isascii() and year.isdigit() and year != "0000"):
                raise ValidationError({"year": f"{year!r}: give a 4-digit year, e.g. 2024."})
            first, last = periods.label_bounds(year)
            rows = [
                row
                for row in rows
                if (span := periods.span_bounds(row.period))[0] <= last and span[1] >= first
            ]
        return Response(PoolSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("account_id", str, required=True, description="The account."),
            OpenApiParameter("period", str, required=True, description="2024, 2024-Q1 or 2024-01."),
            OpenApiParameter(
                "mix",
                str,
                description="With key: only the lines of one row of the product mix "
                "(product_line, product or business_unit); then no rebates are listed.",
            ),
            OpenApiParameter("key", str, description="The row of the mix, e.g. Sealants."),
            OpenApiParameter("offset", int, description="Lines to skip (newest first)."),
            OpenApiParameter("limit", int, description="Lines to return (at most 1,000)."),
        ],
        responses={
            200: dict,
            400: OpenApiResponse(description="A missing or malformed parameter."),
            404: OpenApiResponse(description="No such account."),
        },
    )
    @action(detail=False)
    def lines(self, request):
        """The drill-down behind an account's sales in a period: its invoice lines (newest
        first, one page), their exact totals over the whole period, and its rebates."""
        params = request.query_params
        if not params.get("account_id"):
            raise ValidationError({"account_id": "Required: the account, e.g. account_id=A1."})
        if not params.get("period", "").strip():
            raise ValidationError({"period": f"Required: {PERIOD_FORMS}."})
        period, _ = _parsed_period(params["period"])
        offset = max(0, _whole_number(params, "offset", 0))
        limit = min(1000, max(1, _whole_number(params, "limit", 100)))
        account = get_object_or_404(Account, account_id=params["account_id"])
        try:
            mix_row = (params["mix"], params.get("key", "")) if params.get("mix") else None
            found = sales_records(
                account.account_id,
                period,
                limit=limit,
                offset=offset,
                mix_row=mix_row,
            )
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(
            {
                "currency": settings.OPENKAM_REPORTING_CURRENCY,
                "account_id": account.account_id,
                "period": params["period"],
                # Exact decimals as strings, as every money figure of the API.
                "totals": _decimals_as_text(found["totals"]),
                "lines": [_decimals_as_text(r) for r in found["lines"]],
                "rebates": [_decimals_as_text(r) for r in found["rebates"]],
            }
        )

    @extend_schema(request=None, responses={202: ComputationSerializer})
    @action(detail=False, methods=["post"])
    def recompute(self, request):
        """Start a recomputation in the background with the current settings (recorded in
        the run's ``params``); poll ``/api/runs/{id}/`` for progress."""
        return start_run(request, self.kind, recompute_profitability, settings_params())

    @extend_schema(methods=["GET"], responses={200: ProfitabilitySettingsSerializer})
    @extend_schema(
        methods=["PUT", "PATCH"],
        request=ProfitabilitySettingsSerializer,
        responses={
            200: ProfitabilitySettingsSerializer,
            400: OpenApiResponse(description="Invalid values, or no ``version``."),
            403: OpenApiResponse(description="Only the champion or an admin."),
            409: OpenApiResponse(
                description="Someone changed the settings since ``version``: the version "
                "now stored, where the two differ, and the ``current`` settings."
            ),
        },
    )
    @action(
        detail=False,
        methods=["get", "put", "patch"],
        url_path="settings",
        serializer_class=ProfitabilitySettingsSerializer,
        filter_backends=[],
    )
    def profitability_settings(self, request):
        """The assumptions behind the figures: the annual cost of capital that prices the
        credit of payment terms. Anyone signed in reads them; the champion or an admin
        changes them, stating the ``version`` they read. A change applies from the next
        recompute."""
        current = ProfitabilitySettings.load()
        if request.method == "GET":
            return Response(ProfitabilitySettingsSerializer(current).data)
        if not current.editable_by(request.user):
            raise PermissionDenied("Only the champion or an admin changes these settings.")
        serializer = ProfitabilitySettingsSerializer(
            current, data=request.data, partial=request.method == "PATCH"
        )
        serializer.is_valid(raise_exception=True)
        version = required_version(request.data)
        values = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        try:
            update_settings(values, version, request.user)
        except ConcurrentEditError as exc:
            saved = ProfitabilitySettingsSerializer(ProfitabilitySettings.load()).data
            return conflict_response(exc, current=saved)
        return Response(ProfitabilitySettingsSerializer(ProfitabilitySettings.load()).data)


def _grain(request, default: str) -> str:
    grain = request.query_params.get("grain", default)
    if grain not in ("year", "quarter", "month"):
        raise ValidationError({"grain": f"{grain!r}: use year, quarter or month."})
    return grain


#: The values ``rolled_up`` accepts (any case), as the filter forms send them.
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


def _parsed_period(text: str) -> tuple[str, str]:
    """The label (as stored) and the grain of a period label; a 400 for anything else,
    including a year the calendar lacks (0000)."""
    try:
        key, grain = periods.parse_label(text)
        periods.bounds(key, grain)
    except ValueError:
        raise ValidationError({"period": f"{text!r} is not a period: {PERIOD_FORMS}."}) from None
    return periods.label(key, grain), grain


def _grain_and_period(params) -> tuple[str | None, str | None]:
    """The grain and the period a query asks for, checked; None where not given. Without
    ``grain`` the grain is that of ``period``; a 400 when both are given and disagree."""
    grain = params.get("grain", "").strip() or None
    if grain is not None and grain not in GRAINS:
        raise ValidationError({"grain": f"{grain!r}: use year, quarter or month."})
    text = params.get("period", "").strip()
    if not text:
        return grain, None
    period, of_period = _parsed_period(text)
    if grain is not None and grain != of_period:
        raise ValidationError(
            {
                "grain": f"{grain!r} does not match period {period!r}, which is a "
                f"{of_period}: give grain={of_period} or leave grain out."
            }
        )
    return of_period, period


def _whole_number(params, name: str, default: int) -> int:
    """A query parameter that must be a whole number; a 400 naming it otherwise."""
    text = params.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.removeprefix("-").isdigit()):
        raise ValidationError({name: f"{text!r}: give a whole number, e.g. {name}={default}."})
    return int(text)


def _no_figures(grain: str, period: str) -> Response:
    return Response(
        {"detail": f"no {grain} figures for period {period!r} in the current run"},
        status=status.HTTP_404_NOT_FOUND,
    )


def _decimals_as_text(row: dict) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}


ROUTES = [("profitability", ProfitabilityViewSet, "profitability")]
