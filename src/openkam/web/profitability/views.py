"""The Profitability page, its recomputation and the drill-downs behind an account's figures."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Cast
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.html import json_script
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from openkam.engine.activity_records import activity_page, activity_totals
from openkam.engine.profitability import NO_SEGMENT, QUADRANT_LABELS
from openkam.engine.profitability.periods import label_bounds, previous_label
from openkam.web.accounts.models import Account, Product
from openkam.web.core import runs
from openkam.web.core.concurrency import save_form
from openkam.web.core.derived import data_version, kept, of_run, run_key
from openkam.web.core.kept import Kept
from openkam.web.core.ledger import fingerprint, ledger, table
from openkam.web.core.models import Computation
from openkam.web.core.roles import may_write
from openkam.web.core.views import start_run
from openkam.web.people.models import Person
from openkam.web.profitability.display import rounded_percent
from openkam.web.profitability.exports import mix_rows, profitability_rows, write_csv
from openkam.web.profitability.forms import ProfitabilitySettingsForm
from openkam.web.profitability.matrix_chart import matrix_context
from openkam.web.profitability.models import AccountPeriodFigures, ProfitabilitySettings
from openkam.web.profitability.services import (
    MIX_LABELS,
    MIX_SCOPES,
    SEGMENTINGS,
    mix_accounts,
    pools_in_period,
    portfolio_trend,
    price_cost,
    product_mix_of,
    product_names,
    rate_used,
    recompute_profitability,
    sales_records,
    segments,
    update_settings,
    whale_of_period,
    with_bars,
)
from openkam.web.profitability.services import settings_params as profitability_params

SORTS = {
    "net_contribution": "net_contribution",
    "-net_contribution": "-net_contribution",
    "margin": "contribution_margin_pct",
    "-margin": "-contribution_margin_pct",
    "cts_pct": "cts_pct",
    "-cts_pct": "-cts_pct",
    "net_sales": "net_sales",
    "-net_sales": "-net_sales",
    "account": "account_key",
    "-account": "-account_key",
    "change": "change",
    "-change": "-change",
}


def _years(run: Computation | None) -> list[str]:
    return list(run.summary.get("years", [])) if run else []


@login_required
def profitability(request):
    settings_obj = ProfitabilitySettings.load()
    can_edit_settings = settings_obj.editable_by(request.user)
    form, conflict = ProfitabilitySettingsForm(instance=settings_obj), None
    if request.method == "POST":
        if not can_edit_settings:
            raise PermissionDenied(
                "Only the champion or an admin changes the profitability settings."
            )
        form = ProfitabilitySettingsForm(request.POST, instance=ProfitabilitySettings.load())
        if form.is_valid():
            _, conflict = save_form(
                form, lambda values, version: update_settings(values, version, request.user)
            )
            if conflict is None:
                messages.success(request, "Settings saved; recompute to apply them.")
                return redirect(request.get_full_path())
    run = runs.current(Computation.Kind.PROFITABILITY)
    latest = runs.latest(Computation.Kind.PROFITABILITY)
    # What the page derives from the run is kept per process under the run's identity (a
    # finished run never changes); what also shows data users edit adds its version.
    done = run_key(run)
    years = _years(run)
    year = request.GET.get("year") or (years[-1] if years else None)
    # Within the year, the figures of the whole year, of one quarter or of one month.
    grain = request.GET.get("grain", "year")
    if grain not in ("year", "quarter", "month"):
        grain = "year"
    periods = (
        _of_run(
            done,
            ("periods", grain, year),
            lambda: list(
                AccountPeriodFigures.objects.filter(
                    computation=run, grain=grain, period__startswith=year or "", rolled_up=False
                )
                .order_by("period")
                .values_list("period", flat=True)
                .distinct()
            ),
        )
        if run and grain != "year"
        else []
    )
    period = request.GET.get("period") if request.GET.get("period") in periods else None
    period = period or (periods[-1] if periods else year)
    export = request.GET.get("format") == "csv"
    if export and (run is None or year not in years):
        raise Http404("No profitability figures for this year.")
    rate = rate_used(run)
    context = {
        # Another year or period keeps the table's search, filters and sort and the cards'
        # choices; so does another grouping of a card.
        "keep_filters": _kept(request, "year", "grain", "period"),
        "segment_keep": _kept(request, "by", "year", "grain", "period"),
        "run": run,
        # Every amount of the page is in the run's currency (the reporting currency then).
        "currency": run.currency if run else settings.OPENKAM_REPORTING_CURRENCY,
        "latest": latest,
        "years": years,
        "year": year,
        "grain": grain,
        "periods": periods,
        "period": period,
        "can_recompute": may_write(request.user),
        "can_edit_settings": can_edit_settings,
        "form": form,
        "conflict": conflict,
        "settings": settings_obj,
        "rate_pct": rate * 100 if rate is not None else None,
        "setting_pct": settings_obj.cost_of_capital * 100,
        "rate_pending": rate is not None and rate != settings_obj.cost_of_capital,
    }
    if run is None or year not in years:
        return render(request, "profitability/profitability.html", context)
    if request.GET.get("format") == "mix.csv":
        # The product mix card's download: the card as shown, every row.
        card = _portfolio_mix(request, period)
        name = f"product-mix-{period}-{card['mix_scope']}-{card['mix_by']}.csv"
        return _csv(*mix_rows(card["mix"] or {"rows": []}), name)

    sort = request.GET.get("sort", "-net_contribution")
    if export:
        quadrants = _quadrants(run, done, grain, period)
        rows = _table_rows(request, run, grain, period, sort, quadrants)
        return _csv_response(rows, quadrants, f"profitability-{period}.csv", run.currency)
    accounts = data_version(Account)
    by = request.GET.get("by") if request.GET.get("by") in SEGMENTINGS else "key_status"
    context.update(
        sort=sort,
        segment_by=by,
        previous_period=previous_label(period),
        has_figures=True,
    )
    context.update(
        # The table shows the run's figures, the accounts' names and the filters the query
        # asks for (on the accounts' fields): kept under all of them.
        table=_rendered(
            _tables,
            done,
            ("table", accounts, _query_of(request)),
            lambda: _render_table(request, run, grain, period, year, sort, context),
        ),
    )
    if request.htmx and request.GET.get("partial"):
        return HttpResponse(context["table"])
    # The cards show the run's figures, the accounts' names and segments (and their
    # managers' and sponsors' names), the product mix of the ledger's lines, and forms that
    # carry the query: kept under all of them (the page number shows in the table only).
    people = data_version(Person) if by in ("kam", "sponsor") else None
    sources = (accounts, people, data_version(Product), fingerprint())
    before, after = _rendered(
        _cards,
        done,
        ("cards", sources, _query_of(request, "page", "partial")),
        lambda: _render_cards(request, run, grain, period, year, accounts, context),
    )
    # The matrix chart's points (a point per account) are kept once per period, not in
    # every rendering of the cards around them.
    shown = _matrix_shown(run, done, grain, period, accounts) if after is not None else None
    context.update(
        cards_before=before,
        matrix_json=shown[1] if shown else "",
        cards_after=after or "",
        whale_json=_whale(run, done, grain, period)[1],
    )
    return render(request, "profitability/profitability.html", context)


#: Rendered fragments of the page: the cards (tens of KiB, more with a product mix by
#: product) and the table (tens of KiB), for a few dozen views.
_cards = Kept(32)
_tables = Kept(64)
#: What holds a value per account of a period (the quadrants, the matrix chart's points):
#: a few periods (with 100,000 accounts, each is MBs).
_per_account = Kept(6)


def _of_run(done: tuple | None, key: tuple, make, store=None):
    """``make()``, kept under the run's identity and ``key`` (made afresh for a run that
    has not finished, which never happens to the current run); in ``store``, or with the
    small derived values."""
    return of_run(done, ("profitability", *key), make, store)


def _rendered(store, done: tuple | None, key: tuple, make):
    """A rendered fragment, kept like :func:`_of_run` in one of the fragments' stores."""
    return _of_run(done, key, make, store)


def _quadrants(run, done, grain: str, period: str) -> dict[str, str]:
    """Each placed account's quadrant of the price-cost matrix."""

    def make():
        matrix = price_cost(run, grain, period)
        return {a["account_id"]: a["quadrant"] for a in matrix["accounts"]} if matrix else {}

    return _of_run(done, ("quadrants", grain, period), make, _per_account)


def _query_of(request, *left_out: str) -> tuple:
    """The request's query as a key (order of parameters aside), without ``left_out``."""
    return tuple(sorted((k, tuple(v)) for k, v in request.GET.lists() if k not in left_out))


def _whale(run, done, grain: str, period: str) -> tuple[dict, str]:
    """The period's whale curve without its points (a point per account), and the points
    the chart draws (a few hundred) as the page's JSON."""

    def make():
        whale = whale_of_period(run, grain, period) or {}
        points = _downsample(whale.get("points", []), 400)
        return {k: v for k, v in whale.items() if k != "points"}, json_script(points, "whale-data")

    return _of_run(done, ("whale", grain, period), make)


def _render_table(request, run, grain, period, year, sort, page_context) -> str:
    """The portfolio table: one page of the accounts' figures as the query filters and sorts
    them, with the totals of the filtered view."""
    quadrants = _quadrants(run, run_key(run), grain, period)
    rows = _table_rows(request, run, grain, period, sort, quadrants)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    names = dict(
        Account.objects.filter(account_id__in=[r.account_key for r in page]).values_list(
            "account_id", "name"
        )
    )
    for r in page:
        r.name = names.get(r.account_key, r.account_key)
        r.quadrant = quadrants.get(r.account_key)
        r.quadrant_label = QUADRANT_LABELS.get(r.quadrant, "")
    filtered = any(
        request.GET.get(f, "").strip() for f in ("q", "industry", "region", "key_status")
    )
    filtered = filtered or request.GET.get("quadrant") in QUADRANT_LABELS
    view_totals = rows.aggregate(**_MONEY) if filtered else None
    query = request.GET.copy()
    query.pop("page", None)
    query_without_sort = query.copy()
    query_without_sort.pop("sort", None)
    # The download is the view as shown: same filters and sort, every page.
    csv_query = query.copy()
    csv_query.pop("partial", None)
    for key, value in {"year": year, "grain": grain, "period": period, "sort": sort}.items():
        csv_query[key] = value
    csv_query["format"] = "csv"
    context = {
        **page_context,
        "page": page,
        "view_totals": view_totals,
        "query": query.urlencode(),
        "query_without_sort": query_without_sort.urlencode(),
        "csv_query": csv_query.urlencode(),
    }
    return render_to_string("profitability/_profitability_table.html", context, request)


#: The money of the table's and the cards' totals.
_MONEY = {
    "net_sales": Sum("net_sales"),
    "net_contribution": Sum("net_contribution"),
    "cost_to_serve": Sum("cost_to_serve"),
    "gross_margin": Sum("gross_margin"),
}


def _render_cards(request, run, grain, period, year, accounts, page_context) -> str:
    """The cards above the table (the whole portfolio's figures, charts, segments, product
    mix) and the table's filters."""
    done = run_key(run)
    by = page_context["segment_by"]

    def totals():
        # The cards are the whole portfolio's; the table's filters get their own totals
        # under the table (so both read the same however reached).
        everyone = AccountPeriodFigures.objects.filter(
            computation=run, grain=grain, period=period, rolled_up=False
        )
        return everyone.aggregate(**_MONEY), everyone.filter(net_contribution__lt=0).count()

    sums, losers = _of_run(done, ("totals", grain, period), totals)
    pools, longer_pools = _of_run(done, ("pools", period), lambda: pools_in_period(run, period))
    shown = _matrix_shown(run, done, grain, period, accounts)
    people = data_version(Person) if by in ("kam", "sponsor") else None
    context = {
        **page_context,
        "matrix": shown and shown[0],
        # Where the chart's points go: the page puts them there (see the view).
        "matrix_json": _POINTS_GO_HERE,
        "segments": _of_run(
            done,
            ("segments", grain, period, by, accounts, people),
            lambda: _with_table_links(segments(run, grain, period, by), by, year, grain, period),
        ),
        "trend": _of_run(done, ("trend",), lambda: _trend_chart(portfolio_trend(run, "quarter"))),
        "segmentings": {key: label for key, (label, _) in SEGMENTINGS.items()},
        "totals": sums,
        "losers": losers,
        "pools": pools,
        # Idle capacity and capacity used beyond what a pool cost are reported apart: a net
        # figure would hide the one behind the other.
        "unused_total": sum(max(p["unused"], 0) for p in pools),
        "over_total": -sum(min(p["unused"], 0) for p in pools),
        "longer_pools": longer_pools,
        "whale": _whale(run, done, grain, period)[0],
        "whale_all": run.summary.get("whale") or {},
        "quadrant_labels": QUADRANT_LABELS,
        **kept(("profitability:filters", accounts), _filter_choices),
        **_portfolio_mix(request, period),
    }
    html = render_to_string("profitability/_profitability_cards.html", context, request)
    before, found, after = html.partition(_POINTS_GO_HERE)
    # The parts of the rendered (safe) HTML are as safe as the whole.
    return (mark_safe(before), mark_safe(after)) if found else (html, None)


#: Marks the matrix chart's points in the rendered cards (which are kept without them).
_POINTS_GO_HERE = mark_safe("<!-- the price-cost matrix's points -->")


#: What the cards show of the matrix (the rest is a value per account).
_MATRIX_SHOWN = (
    "classified_net_sales",
    "exact_cost_to_serve_pct",
    "exact_net_price_pct",
    "quadrant_rows",
    "unclassified",
)


def _matrix_shown(run, done, grain: str, period: str, accounts) -> tuple[dict, str] | None:
    """The matrix as the cards show it and its chart's points (with the accounts' names)
    as the page's JSON; None without a matrix."""

    def make():
        matrix = price_cost(run, grain, period)
        if not matrix:
            return None
        shown = matrix_context(matrix)
        summary = {name: shown[name] for name in _MATRIX_SHOWN}
        return summary, json_script(shown["chart"], "price-cost-data")

    return _of_run(done, ("matrix", grain, period, accounts), make, _per_account)


def _filter_choices() -> dict:
    return {
        "industries": list(
            Account.objects.order_by().values_list("industry", flat=True).distinct()
        ),
        "regions": list(Account.objects.order_by().values_list("region", flat=True).distinct()),
    }


#: The portfolio's product mix: by product line or product (buying units belong to one
#: customer each, so they are compared on the account page only).
PORTFOLIO_MIX = ("product_line", "product")


def _portfolio_mix(request, period: str) -> dict:
    """The product mix card of the Profitability page: one period, all accounts, the key
    accounts or the others."""
    mix_by = request.GET.get("mix") if request.GET.get("mix") in PORTFOLIO_MIX else PORTFOLIO_MIX[0]
    scope = request.GET.get("scope") if request.GET.get("scope") in MIX_SCOPES else "all"
    accounts = mix_accounts(scope)
    mix = product_mix_of(period, mix_by, accounts)
    names = product_names() if mix_by == "product" else {}
    with_bars(mix["rows"] if mix else [], names)
    return {
        "mix": mix,
        "mix_by": mix_by,
        "mix_by_label": MIX_LABELS[mix_by],
        "mix_labels": {key: MIX_LABELS[key] for key in PORTFOLIO_MIX},
        "mix_scope": scope,
        "mix_scope_label": MIX_SCOPES[scope],
        "mix_scope_empty": accounts == [],
        "mix_scopes": MIX_SCOPES,
        "mix_keep": _kept(request, "mix", "scope"),
    }


def _kept(request, *replaced: str) -> list[tuple[str, list[str]]]:
    """The page's query as hidden fields of a form that sets ``replaced`` (never the page
    number or the partial-render flag, which belong to one request)."""
    query = request.GET.copy()
    for name in (*replaced, "page", "partial", "format"):
        query.pop(name, None)
    return list(query.lists())


def _table_rows(
    request, run: Computation, grain: str, period: str, sort: str, quadrants: dict[str, str]
):
    """The accounts' figures for one period as the table shows them: searched, filtered by
    the account's industry, region and key status and by its quadrant of the price-cost
    matrix (``quadrants``: account id → quadrant), and sorted."""
    rows = AccountPeriodFigures.objects.filter(
        computation=run, grain=grain, period=period, rolled_up=False
    )
    accounts = Account.objects.all()
    q = request.GET.get("q", "").strip()
    if q:
        accounts = accounts.filter(Q(name__icontains=q) | Q(account_id__icontains=q))
    for field in ("industry", "region", "key_status"):
        if request.GET.get(field):
            accounts = accounts.filter(**{field: request.GET[field]})
    if accounts.query.where:
        rows = rows.filter(account_key__in=accounts.values("account_id"))
    if (quadrant := request.GET.get("quadrant")) in QUADRANT_LABELS:
        rows = rows.filter(account_key__in=[a for a, q in quadrants.items() if q == quadrant])
    # The same account's net contribution in the period before, for the change column.
    before = AccountPeriodFigures.objects.filter(
        computation=run,
        grain=grain,
        period=previous_label(period),
        rolled_up=False,
        account_key=OuterRef("account_key"),
    ).values("net_contribution")[:1]
    rows = rows.annotate(
        # In floating point: SQLite keeps whole decimals as integers and would divide them
        # as integers (26 % for 26.66 %). No ratio over net sales ≤ 0 (see engine money.percent).
        cts_pct=Case(
            When(
                net_sales__gt=0,
                then=Cast("cost_to_serve", FloatField()) * 100.0 / Cast("net_sales", FloatField()),
            ),
            default=None,
            output_field=FloatField(),
        ),
        previous_contribution=Subquery(before),
    ).annotate(
        change=ExpressionWrapper(
            F("net_contribution") - F("previous_contribution"),
            output_field=DecimalField(max_digits=18, decimal_places=2),
        )
    )
    key = SORTS.get(sort, "-net_contribution")
    expr = F(key.lstrip("-"))
    ordered = expr.desc(nulls_last=True) if key.startswith("-") else expr.asc(nulls_last=True)
    return rows.order_by(ordered, "account_key")


def _csv_response(rows, quadrants: dict[str, str], filename: str, currency=None) -> HttpResponse:
    return _csv(*profitability_rows(rows, quadrants, currency), filename)


def _csv(header: list[str], lines: list[list[str]], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte order mark, so that Excel reads the account names as UTF-8 (pandas skips it).
    response.write("\ufeff")
    write_csv(response, header, lines)
    return response


#: Segmentings the portfolio table can filter by: segmenting -> (filter, {label: value}).
_TABLE_FILTERS = {
    "industry": ("industry", None),
    "region": ("region", None),
    "key_status": ("key_status", {label: value for value, label in Account.KeyStatus.choices}),
}


def _with_table_links(groups: list[dict], by: str, year, grain: str, period: str) -> list[dict]:
    """Each segment with the query that lists its accounts in the portfolio table (where
    the table has that filter)."""
    if by not in _TABLE_FILTERS:
        return groups
    name, values = _TABLE_FILTERS[by]
    for group in groups:
        value = group["segment"] if values is None else values.get(group["segment"])
        if value and group["segment"] != NO_SEGMENT:
            query = {"year": year, "grain": grain, "period": period, name: value}
            group["table_query"] = urlencode(query)
    return groups


def _trend_chart(rows: list[dict]) -> dict:
    """The portfolio's quarters as the contribution chart draws them (money as numbers)."""
    return {
        "labels": [r["period"] for r in rows],
        "contribution": [float(r["net_contribution"]) for r in rows],
        # Rounded once from the money, to the decimal the chart's tooltip shows.
        "margin_pct": [rounded_percent(r["net_contribution"], r["net_sales"]) for r in rows],
    }


def _downsample(points: list[dict], n: int) -> list[list[float]]:
    if not points:
        return []
    step = max(1, len(points) // n)
    chosen = points[::step]
    if chosen[-1] is not points[-1]:
        chosen.append(points[-1])
    return [[0.0, 0.0]] + [
        [p["account_share_pct"], p["cumulative_contribution_pct"]] for p in chosen
    ]


@login_required
@require_POST
def recompute(request):
    """Start a recomputation of the profitability figures (with the current settings)."""
    return start_run(
        request,
        Computation.Kind.PROFITABILITY,
        recompute_profitability,
        profitability_params(),
        "profitability:index",
    )


#: Invoice lines per page of the drill-down.
LINES_PER_PAGE = 100


@login_required
def account_lines(request, account_id: str):
    """Drill-down: the invoice lines and rebates behind an account's sales for one period."""
    account = get_object_or_404(Account, account_id=account_id)
    period = request.GET.get("period", "")
    asked = request.GET.get("page", "1")
    page = max(1, int(asked)) if asked.isdigit() else 1
    # From a row of the product mix: only that product line's, product's or unit's lines.
    mix_row = (request.GET["mix"], request.GET.get("key", "")) if request.GET.get("mix") else None

    def page_of_lines(page: int) -> dict:
        return sales_records(
            account.account_id,
            period,
            limit=LINES_PER_PAGE,
            offset=(page - 1) * LINES_PER_PAGE,
            mix_row=mix_row,
        )

    try:
        found = page_of_lines(page)
    except ValueError as exc:  # a malformed period or product-mix dimension
        context = {"account": account, "period": period, "error": str(exc)}
        return render(request, "profitability/account_lines.html", context, status=400)
    totals = found["totals"]
    pages = max(1, -(-totals["lines"] // LINES_PER_PAGE))
    if page > pages:
        # Past the last page (an old link, a hand-made URL): the last page, read at its own
        # offset rather than an empty page beyond the end. The count comes with the first
        # read, so only such a request reads twice.
        page = pages
        found = page_of_lines(page)
    rebates_total = sum((r["amount"] for r in found["rebates"]), Decimal("0.00"))
    if mix_row is None:
        # Down to the waterfall's gross margin (rebates are per account, so only the whole
        # account's lines get there): exact decimals of cents, as the waterfall's.
        zero = Decimal("0.00")
        net_sales = totals.get("invoiced_sales", zero) - rebates_total
        totals = {
            **totals,
            "net_sales": net_sales,
            "gross_margin": net_sales - totals.get("cogs", zero),
        }
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "profitability/account_lines.html",
        {
            "account": account,
            "period": period,
            "mix_row": mix_row and {"by": MIX_LABELS[mix_row[0]], "key": mix_row[1]},
            "query": query.urlencode(),
            **found,
            "totals": totals,
            "rebates_total": rebates_total,
            "page": page,
            "pages": pages,
        },
    )


@login_required
def account_activities(request, account_id: str):
    """Drill-down: the activity records behind one pool's cost for an account and period,
    a page at a time (newest first), with the pool's cost as the waterfall allocates it."""
    account = get_object_or_404(Account, account_id=account_id)
    pool = request.GET.get("pool", "")
    period = request.GET.get("period", "")
    context = {"account": account, "pool": pool, "period": period}
    try:
        start, end = label_bounds(period)
    except ValueError as exc:
        return render(
            request,
            "profitability/account_activities.html",
            {**context, "error": str(exc)},
            status=400,
        )
    asked = request.GET.get("page", "1")
    page = max(1, int(asked)) if asked.isdigit() else 1
    source = ledger()
    activities, pools = table("activities", source), table("cost_pools", source)
    records = []
    totals = {
        "records": 0,
        "quantity": Decimal(0),
        "uncosted": 0,
        "cost": 0.0,
        "allocated": Decimal("0.00"),
        "driver_unit": "",
        "cells": [],
        "rounded_per": None,
    }
    if activities is not None and pools is not None and pool:
        of = (activities, pools, [account.account_id], pool, start, end)
        totals = activity_totals(*of)
        # As many records a page as the invoice lines page has lines; the page asked for is
        # clamped to the pages there are before it is read.
        page = min(page, max(1, -(-totals["records"] // LINES_PER_PAGE)))
        records = activity_page(*of, limit=LINES_PER_PAGE, offset=(page - 1) * LINES_PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "profitability/account_activities.html",
        {
            **context,
            "records": records,
            "totals": totals,
            "page": page,
            "pages": max(1, -(-totals["records"] // LINES_PER_PAGE)),
            "query": query.urlencode(),
        },
    )
