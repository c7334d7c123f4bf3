"""Account profitability in the web app: its assumptions, recompute in the background,
store, read.

The numbers come from ``openkam.engine.profitability``; this module gives it the account
hierarchy from the database, stores the result rows, and answers the pages and the API.

The assumptions today are one: the annual cost of capital that prices the credit of payment
terms (invoiced amount × cost of capital × days outstanding / 365). The champion or an admin
changes it; a recompute applies it, and the run keeps the rate it used in ``params``.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal
from pathlib import Path

import narwhals as nw
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django_tasks import task

from openkam.engine.ledger import Ledger
from openkam.engine.profitability import (
    CREDIT_POOL,
    DEFAULT_COST_OF_CAPITAL,
    MONEY_LINES,
    ProfitabilityResult,
    compute_profitability_grains,
    matrix_to_dict,
    pools_to_dicts,
    price_cost_matrix,
    segment_totals,
    table_to_dicts,
    whale_curve,
    whale_curve_of,
    whale_to_dict,
)
from openkam.engine.profitability.mix import lines_of_row, mix_to_dict, product_mix
from openkam.engine.profitability.money import to_cents
from openkam.engine.profitability.periods import label_bounds, span_bounds
from openkam.engine.profitability.price_cost import INPUT_COLUMNS
from openkam.engine.profitability.report import cost_by_pool_per_row
from openkam.engine.profitability.segments import SEGMENT_SUMS
from openkam.engine.sales import invoice_lines_between, rebates_between
from openkam.web.accounts.models import Account, Product
from openkam.web.core.bulk import bulk_insert
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.kept import ACCOUNTS_KEPT, Kept
from openkam.web.core.ledger import (
    account_lines,
    fingerprint,
    identity,
    invoices_by_account,
    money_table,
    write_invoices_by_account,
)
from openkam.web.core.ledger import (
    ledger as web_ledger,
)
from openkam.web.core.models import Computation
from openkam.web.core.request_memo import once
from openkam.web.core.runs import run_with_tracking
from openkam.web.profitability.models import (
    AccountPeriodFigures,
    PoolPeriodFigures,
    ProfitabilitySettings,
)

log = logging.getLogger(__name__)

GRAINS = ("year", "quarter", "month")

#: The rate is stored, recorded and compared with four decimals (0.0800 is 8 % a year).
RATE_PLACES = Decimal("0.0001")


def update_settings(values: dict, version: int | None, user) -> dict:
    """Change the profitability assumptions (champion/admin; the caller checks the role).

    Returns the recorded changes; raises ``ConcurrentEditError`` if someone saved them since
    ``version``. The change is written to the audit trail.
    """
    values = dict(values)
    if values.get("cost_of_capital") is not None:
        # 0.08 and 0.0800 are the same rate: no spurious change, no new version.
        values["cost_of_capital"] = Decimal(str(values["cost_of_capital"])).quantize(RATE_PLACES)
    return save_versioned(ProfitabilitySettings.load_for_update(), values, version, user=user)


def settings_params() -> dict:
    """The assumptions a profitability run uses, recorded with the run (``run.params``)."""
    rate = Decimal(str(ProfitabilitySettings.load().cost_of_capital)).quantize(RATE_PLACES)
    return {"cost_of_capital": str(rate)}


def rate_used(run: Computation | None) -> Decimal | None:
    """The annual cost of capital a run's figures were computed with (runs from before the
    setting existed used the engine's default)."""
    if run is None:
        return None
    return Decimal(str((run.params or {}).get("cost_of_capital", DEFAULT_COST_OF_CAPITAL)))


def hierarchy() -> pa.Table:
    """Every account with its parent, for roll-ups and for unknown-account checks."""
    rows = Account.objects.values_list("account_id", "parent__account_id")
    ids, parents = zip(*rows, strict=True) if rows else ((), ())
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            "parent_account_id": pa.array(parents, pa.string()),
        }
    )


def ledger() -> Ledger:
    return Ledger(Path(settings.DATA_DIR))


def compute(params: dict, report=None, currency: str | None = None) -> dict:
    """Run the engine for every grain (one pass over the ledger); returns ``{grain:
    ProfitabilityResult}`` and ``"whale"``, the whale curve's report dict; every amount in
    ``currency`` (default: the reporting currency)."""
    tree = hierarchy()
    if report:
        report("aggregating the ledger", 0.0)
    results = compute_profitability_grains(
        ledger(),
        GRAINS,
        accounts=tree["account_id"].to_pylist(),
        hierarchy=tree,
        cost_of_capital=Decimal(str(params.get("cost_of_capital", DEFAULT_COST_OF_CAPITAL))),
        date_from=params.get("from"),
        date_to=params.get("to"),
        # Month sums of ledger files seen before are reused: after an import only the new
        # files are read (openkam.engine.profitability.incremental).
        cache=True,
        currency=currency or settings.OPENKAM_REPORTING_CURRENCY,
    )
    if report:
        report("storing", 0.6)
    return {**results, "whale": whale_to_dict(whale_curve(results["year"]))}


def store(run: Computation, result: dict) -> None:
    """Write the figures of every grain and the pool periods of a :func:`compute` result.

    Rows are read straight from the engine's Arrow tables: the money columns are exact
    ``decimal128(18, 2)`` values, which become the ``Decimal`` amounts stored as they are.
    """
    figures = (row for grain in GRAINS for row in _figure_rows(run.pk, grain, result[grain]))
    # Pools are reported per pool period whatever the grain of the accounts' figures.
    pools = (
        {
            "computation_id": run.pk,
            "grain": "pool",
            "pool": p["pool"],
            "period": p["period"],
            "cost": _dec(p["cost"]),
            "allocated": _dec(p["allocated"]),
            "unused": _dec(p["unused"]),
            "extra": {k: p[k] for k in ("capacity", "used", "utilisation_pct", "driver_unit")},
        }
        for p in pools_to_dicts(result["year"].pools)
    )
    bulk_insert(AccountPeriodFigures, figures)
    bulk_insert(PoolPeriodFigures, pools)


def _figure_rows(run_id: int, grain: str, result: ProfitabilityResult):
    """One ``AccountPeriodFigures`` row (as a dict) per row of the result's waterfall."""
    table = result.waterfall
    by_pool = cost_by_pool_per_row(result.cost_by_pool)
    columns = {
        name: table[name].to_pylist()
        for name in ("scope", "account_id", "period", *MONEY_FIELDS, "contribution_margin_pct")
    }
    for i, (scope, account, period) in enumerate(
        zip(columns["scope"], columns["account_id"], columns["period"], strict=True)
    ):
        yield {
            "computation_id": run_id,
            "account_key": account,
            "grain": grain,
            "period": period,
            "rolled_up": scope == "subtree",
            "cost_by_pool": by_pool.get((scope, account, period), {}),
            "contribution_margin_pct": columns["contribution_margin_pct"][i],
            **{name: columns[name][i] for name in MONEY_FIELDS},
        }


#: The money fields of ``AccountPeriodFigures``: the engine's waterfall lines, by name.
MONEY_FIELDS = MONEY_LINES


def _dec(value: float) -> Decimal:
    # Report values are cents / 100; str() gives the exact two-decimal amount back.
    return Decimal(str(value)).quantize(Decimal("0.01"))


@task()
def recompute_profitability(run_id: int) -> None:
    """Background task: recompute and store every account's profitability."""

    def work(run, report):
        result = compute(run.params, report, run.currency)
        # The account pages' copy of the invoices, ordered by account (see
        # openkam.web.core.ledger.invoices_by_account): written here, off the request path.
        write_invoices_by_account()
        warnings = _unique([w.as_dict() for w in result[g].warnings] for g in GRAINS)
        return result, warnings, _summary(result)

    run_with_tracking(run_id, work, store)


def _summary(result: dict) -> dict:
    """What the pages show without reading the rows: the years, the number of accounts, the
    whale curve and each year's totals over the accounts' own rows (money as numbers)."""
    year = result["year"].waterfall
    own = year.filter(pc.equal(year["scope"], "account"))
    totals = own.select(["period", *MONEY_FIELDS]).group_by("period")
    totals = totals.aggregate([(name, "sum") for name in MONEY_FIELDS])
    return {
        "years": sorted(set(year["period"].to_pylist())),
        "accounts": pc.count_distinct(own["account_id"]).as_py(),
        "peak_pct": result["whale"]["peak_pct"],
        "totals_by_year": {
            period: {name: int(to_cents(totals[f"{name}_sum"])[i]) / 100 for name in MONEY_FIELDS}
            for i, period in enumerate(totals["period"].to_pylist())
        },
        "whale": result["whale"],
    }


def _unique(lists) -> list[dict]:
    """Each warning once (every grain reports the same pool-period problems)."""
    seen, out = set(), []
    for warnings in lists:
        for w in warnings:
            key = tuple(sorted((k, str(v)) for k, v in w.items()))
            if key not in seen:
                seen.add(key)
                out.append(w)
    return out


def pools_in_period(run, period: str) -> tuple[list[dict], int]:
    """Cost, allocated and unused capacity per pool over the pool periods that lie within
    ``period`` (a year, quarter or month label), most unused first; and the number of pool
    periods that overlap ``period`` but extend beyond it (their cost cannot be split)."""
    from collections import defaultdict

    first, last = label_bounds(period)

    totals: dict[str, dict] = defaultdict(
        lambda: {
            "cost": Decimal(0),
            "allocated": Decimal(0),
            "unused": Decimal(0),
            "capacity": 0.0,
            "used": 0.0,
        }
    )
    longer = 0
    for p in PoolPeriodFigures.objects.filter(computation=run):
        start, end = span_bounds(p.period)
        if start > last or end < first:
            continue
        if start < first or end > last:
            longer += 1
            continue
        t = totals[p.pool]
        t["cost"] += p.cost
        t["allocated"] += p.allocated
        t["unused"] += p.unused
        t["capacity"] += p.extra.get("capacity") or 0.0
        t["used"] += p.extra.get("used") or 0.0
        t["driver_unit"] = p.extra.get("driver_unit", "")
    rows = []
    for pool, t in totals.items():
        t["pool"] = pool
        t["utilisation_pct"] = 100 * t["used"] / t["capacity"] if t["capacity"] else None
        rows.append(t)
    return sorted(rows, key=lambda r: -r["unused"]), longer


def sales_records(
    account_id: str,
    period: str,
    *,
    limit: int,
    offset: int = 0,
    mix_row: tuple[str, str] | None = None,
) -> dict:
    """The drill-down behind an account's sales in a period (page and API alike): one page
    of its invoice lines, newest first, their exact totals over the whole period (equal to
    the waterfall's), and its rebate records. With ``mix_row`` = (dimension, key), only the
    lines of that row of the product mix (their totals equal the row's; rebates are per
    account, so none are listed). Raises ValueError for a malformed period or dimension."""
    start, end = label_bounds(period)
    where = lines_of_row(*mix_row, product_lines()) if mix_row else None
    # In the reporting currency, so that the totals equal the waterfall's.
    invoices, rebates = money_table("invoices"), money_table("rebates")
    lines, totals = [], {"lines": 0}
    if invoices is not None:
        lines, totals = invoice_lines_between(
            invoices, [account_id], start, end, limit=limit, offset=offset, where=where
        )
    rebate_rows = (
        rebates_between(rebates, [account_id], start, end)
        if rebates is not None and mix_row is None
        else []
    )
    return {"lines": lines, "totals": totals, "rebates": rebate_rows}


def price_cost(run: Computation, grain: str, period: str) -> dict | None:
    """The customer profitability matrix of every account's own figures (not the roll-ups)
    for one stored period (see ``openkam.engine.profitability.price_cost``); None when the
    run has no figures for it."""

    def matrix(figures: pa.Table) -> dict:
        return matrix_to_dict(price_cost_matrix(figures))

    return _of_period(run, grain, period, "price-cost", INPUT_COLUMNS, matrix)


def whale_of_period(run: Computation, grain: str, period: str) -> dict | None:
    """The whale curve of one stored period (the report dict of ``whale_to_dict``); None
    when the run has no figures for it. The run's summary keeps the curve over all years."""

    def curve(figures: pa.Table) -> dict:
        return whale_to_dict(whale_curve_of(figures))

    return _of_period(run, grain, period, "whale", ("net_contribution",), curve)


def _of_period(
    run, grain: str, period: str, name: str, money: tuple[str, ...], make
) -> dict | None:
    """``make(figures)`` of one stored period's own figures, or None without figures.

    Kept in the cache: a finished run's figures never change, and pages ask again and again
    (every account page shows its account's place in the matrix)."""
    finished = run.finished.isoformat() if run.finished else ""
    key = f"{name}:{run.pk}:{finished}:{grain}:{period}"
    found = cache.get(key)
    if found is None:
        figures = _own_figures(run, grain, period, money)
        found = make(figures) if figures.num_rows else {}
        cache.set(key, found, timeout=3600)
    return found or None


def _own_figures(run: Computation, grain: str, period: str, money: tuple[str, ...]) -> pa.Table:
    """The stored figures of every account alone (not the roll-ups) for one period, as an
    Arrow table of ``account_id`` and the decimal ``money`` columns, for the engine."""
    rows = AccountPeriodFigures.objects.filter(
        computation=run, grain=grain, period=period, rolled_up=False
    ).values_list("account_key", *money)
    ids, *columns = zip(*rows, strict=True) if rows else ((),) * (1 + len(money))
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            **{
                name: pa.array(values, pa.decimal128(18, 2))
                for name, values in zip(money, columns, strict=True)
            },
        }
    )


#: The ways to group accounts for profitability by segment: key -> (label, account field).
SEGMENTINGS = {
    "key_status": ("Key accounts and the rest", "key_status"),
    "industry": ("Industry", "industry"),
    "region": ("Region", "region"),
    "kam": ("Key account manager", "kam__name"),
    "sponsor": ("Executive sponsor", "sponsor__name"),
}


def segment_of(by: str) -> dict[str, str | None]:
    """Each account's segment when accounts are grouped ``by`` one of :data:`SEGMENTINGS`."""
    if by not in SEGMENTINGS:
        raise ValueError(f"unknown segmenting {by!r}: use one of {', '.join(SEGMENTINGS)}")
    field = SEGMENTINGS[by][1]
    pairs = Account.objects.values_list("account_id", field)
    if by == "key_status":
        labels = dict(Account.KeyStatus.choices)
        return {account: labels.get(status, status) for account, status in pairs}
    return dict(pairs)


def segments(run: Computation, grain: str, period: str, by: str) -> list[dict]:
    """Profitability per segment of accounts (each account's own figures, not its
    subsidiaries') for one stored period; see ``openkam.engine.profitability.segments``."""
    figures = _own_figures(run, grain, period, SEGMENT_SUMS)
    return table_to_dicts(segment_totals(figures, segment_of(by)))


def portfolio_trend(run: Computation, grain: str = "quarter") -> list[dict]:
    """The accounts' own figures added up per period of ``grain`` (never the roll-ups, which
    would count subsidiaries twice): net sales, cost to serve, net contribution and the
    contribution margin of the sums, oldest period first."""
    rows = (
        AccountPeriodFigures.objects.filter(computation=run, grain=grain, rolled_up=False)
        .values("period")
        .order_by("period")
        .annotate(
            net_sales=Sum("net_sales"),
            cost_to_serve=Sum("cost_to_serve"),
            net_contribution=Sum("net_contribution"),
        )
    )
    cent = Decimal("0.01")
    out = []
    for row in rows:
        # SQLite's sums of decimals lose their scale (270 for 270.00): give it back.
        money = {k: Decimal(row[k]).quantize(cent) for k in row if k != "period"}
        net = money["net_sales"]
        margin = round(float(money["net_contribution"] / net * 100), 2) if net > 0 else None
        out.append({"period": row["period"], **money, "margin_pct": margin})
    return out


def product_lines() -> dict[str, str]:
    """The product list: product_id → product line."""
    return once(
        "product_lines", lambda: dict(Product.objects.values_list("product_id", "product_line"))
    )


def product_lines_digest() -> str:
    """A digest of :func:`product_lines`, for keys of results that depend on it."""
    return once(
        "product_lines digest",
        lambda: hashlib.sha256(repr(sorted(product_lines().items())).encode()).hexdigest(),
    )


def product_names() -> dict[str, str]:
    return dict(Product.objects.values_list("product_id", "name"))


def with_bars(rows: list[dict], names: dict[str, str]) -> list[dict]:
    """Mix rows for a page: each with its ``name`` (products) and ``bar_pct``, its share
    of sales scaled to the largest share, so that a flat mix is still told apart."""
    widest = max((r["share_pct"] or 0 for r in rows), default=0) or 1
    for row in rows:
        row["name"] = names.get(row["key"], "")
        row["bar_pct"] = max(0.0, (row["share_pct"] or 0) / widest * 100)
    return rows


#: Up to this many accounts, a product mix is worked out from their lines in memory.
FEW_ACCOUNTS = 20
#: The product mix's dimensions as the pages name them.
MIX_LABELS = {"product_line": "Product line", "product": "Product", "business_unit": "Buying unit"}
#: Whose invoice lines the portfolio's product mix covers: key -> label.
MIX_SCOPES = {"all": "All accounts", "key": "Key accounts", "not_key": "The other accounts"}


def mix_accounts(scope: str) -> list[str] | None:
    """The accounts of a :data:`MIX_SCOPES` key (None: all accounts, also unknown ones)."""
    if scope not in MIX_SCOPES:
        raise ValueError(f"unknown scope {scope!r}: use one of {', '.join(MIX_SCOPES)}")
    if scope == "all":
        return None
    return list(Account.objects.filter(key_status=scope).values_list("account_id", flat=True))


def product_mix_of(period: str, by: str, account_ids: list[str] | None = None) -> dict | None:
    """The product mix (``openkam.engine.profitability.mix``, as ``mix_to_dict``) of the
    invoice lines of one period (2025, 2025-Q1, 2025-01) of ``account_ids`` (None: every
    account); None when the ledger has no invoices. Raises ValueError for a malformed
    period or an unknown dimension.

    Read from the ledger, not from a run (the mix needs no allocation). A few accounts'
    mix (an account page's) is worked out from their lines in memory and kept in this
    process under the ledger's identity; a larger selection's reads every line of the
    period and is kept in the cache under the ledger's fingerprint.
    """
    start, end = label_bounds(period)
    source = web_ledger()
    if source is None:
        return None
    lines = product_lines()
    # Amounts in the reporting currency, as in the waterfall the mix is compared with.
    if account_ids is not None and len(account_ids) <= FEW_ACCOUNTS:
        found = identity()
        if found is None:
            return None
        accounts = tuple(account_ids)

        def work_out() -> dict | None:
            own = account_lines(accounts)
            if own is None:
                return None
            invoices = nw.from_native(own).lazy()
            return mix_to_dict(
                product_mix(
                    invoices, by, product_lines=lines, account_ids=accounts, start=start, end=end
                )
            )

        key = (found, period, by, accounts, product_lines_digest())
        return _few_mixes.get(key, work_out)
    currency = settings.OPENKAM_REPORTING_CURRENCY
    key = hashlib.sha256(
        repr((fingerprint(), currency, period, by, account_ids, sorted(lines.items()))).encode()
    ).hexdigest()
    found = cache.get(f"mix:{key}")
    if found is not None:
        return found
    # More accounts' mix reads the account-ordered copy when it is up to date.
    copy = invoices_by_account(source) if account_ids is not None else None
    invoices = money_table("invoices", source, copy)
    if invoices is None:
        return None
    found = mix_to_dict(
        product_mix(
            invoices, by, product_lines=lines, account_ids=account_ids, start=start, end=end
        )
    )
    cache.set(f"mix:{key}", found, timeout=3600)
    return found


#: The product mix of the accounts whose pages were last shown (see product_mix_of).
_few_mixes: Kept[dict | None] = Kept(ACCOUNTS_KEPT)


def run_periods(run: Computation, grain: str) -> list[str]:
    """The periods of ``grain`` for which the run stored any account's figures, in order."""
    key = f"run-periods:{run.pk}:{run.finished.isoformat() if run.finished else ''}:{grain}"
    found = cache.get(key)
    if found is None:
        found = list(
            AccountPeriodFigures.objects.filter(computation=run, grain=grain, rolled_up=False)
            .order_by("period")
            .values_list("period", flat=True)
            .distinct()
        )
        cache.set(key, found, timeout=3600)
    return found


def run_pools(run: Computation) -> list[str]:
    """The run's cost pools, sorted, then the credit cost: a fixed order for colours."""
    pools = PoolPeriodFigures.objects.filter(computation=run).order_by("pool")
    return [*pools.values_list("pool", flat=True).distinct(), CREDIT_POOL]
