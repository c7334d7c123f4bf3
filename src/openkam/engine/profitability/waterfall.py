"""The account P&L waterfall, computed over the whole ledger in one call.

Per account and period (DESIGN §4; Kaplan & Cooper, *Cost & Effect*, 1998, ch. 10;
Shapiro, Rangan, Moriarty & Ross, "Manage Customers for Profits (Not Just Sales)", HBR 1987)::

    gross sales          Σ quantity × unit list price
  − discounts            Σ on-invoice discounts
  = invoiced sales
  − rebates              off-invoice rebates and allowances (incl. early-payment discounts)
  = net sales
  − cogs                 Σ cost of goods sold
  = gross margin
  − cost to serve        Σ time-driven ABC pool costs + credit cost of payment terms
  = net contribution
    contribution margin % = 100 × net contribution / net sales (null when net sales are 0)

Returns are invoice lines with negative quantity and reduce every line they touch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.backends import Engine
from openkam.engine.ledger import Ledger
from openkam.engine.profitability import abc, periods
from openkam.engine.profitability.aggregates import (
    activity_cells,
    rebates_by_account,
    sales_by_account,
)
from openkam.engine.profitability.credit import DEFAULT_COST_OF_CAPITAL, credit_cents
from openkam.engine.profitability.hierarchy import hierarchy_issues, parent_map, subtree_pairs
from openkam.engine.profitability.issues import InputIssue, ProfitabilityInputError
from openkam.engine.profitability.money import cents_to_decimal, to_cents
from openkam.engine.profitability.periods import Period

#: The money lines of the waterfall, in order.
MONEY_LINES = (
    "gross_sales",
    "discounts",
    "invoiced_sales",
    "rebates",
    "net_sales",
    "cogs",
    "gross_margin",
    "cost_to_serve",
    "net_contribution",
)
#: Recorded amounts (int64 cents) from which the other lines are derived.
_BASE = ("gross_sales", "discounts", "rebates", "cogs", "activity_cost", "credit_cost")


@dataclass(frozen=True)
class ProfitabilityResult:
    """Everything one recompute produces, as Arrow tables ready to store or serialise.

    Attributes
    ----------
    period
        "month", "quarter" or "year".
    date_from, date_to
        The reporting window, widened to whole periods (None when open).
    as_of
        The date up to which unpaid receivables are outstanding (credit cost).
    cost_of_capital
        The annual rate used for the credit cost.
    waterfall
        One row per (scope, account_id, period): ``scope`` ("account" or "subtree", see
        :mod:`~openkam.engine.profitability.hierarchy`), ``account_id``, ``period`` (label),
        ``period_start``, ``period_end``, the :data:`MONEY_LINES` as ``decimal128(18, 2)`` and
        ``contribution_margin_pct`` (float64, null when net sales are zero).
    cost_by_pool
        (scope, account_id, period, pool, amount): the cost-to-serve of each row by pool,
        including the computed ``credit_cost`` pool; amounts add up to ``cost_to_serve``.
    pools
        One row per cost pool period intersecting the window: pool, period, period_start,
        period_end, driver_unit, cost, capacity, used, allocated, unused (money as
        ``decimal128(18, 2)``), utilisation_pct, records. ``allocated + unused == cost``.
    warnings
        Over-capacity pool periods (their unused capacity is negative).
    """

    period: Period
    date_from: dt.date | None
    date_to: dt.date | None
    as_of: dt.date | None
    cost_of_capital: Decimal
    waterfall: pa.Table
    cost_by_pool: pa.Table
    pools: pa.Table
    warnings: tuple[InputIssue, ...] = field(default_factory=tuple)


def compute_profitability(
    ledger: Ledger | str,
    period: Period = "month",
    *,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    account_ids: Iterable[str] | None = None,
    accounts: Iterable[str] | None = None,
    hierarchy: pa.Table | None = None,
    cost_of_capital: Decimal | str | float = DEFAULT_COST_OF_CAPITAL,
    as_of: dt.date | str | None = None,
    engine: Engine = "duckdb",
) -> ProfitabilityResult:
    """Recompute the P&L waterfall of every account and period, and the pools' usage.

    Parameters
    ----------
    ledger
        A :class:`~openkam.engine.ledger.Ledger`, or a data directory to open on ``engine``.
    period
        Reporting period: "month", "quarter" or "year".
    date_from, date_to
        Reporting window (ISO dates or dates), inclusive. Widened to whole periods: a period
        is reported whole or not at all, so its figures never depend on the window.
    account_ids
        Report only these accounts (their ``subtree`` rows too). Pools are always costed
        over all accounts, since unused capacity is a property of the pool.
    accounts
        The known accounts: records of any other account are input errors.
    hierarchy
        Arrow table ``(account_id, parent_account_id)``: adds ``subtree`` rows for parents.
    cost_of_capital
        Annual rate for the credit cost of payment terms (default 8 %).
    as_of
        Unpaid receivables are outstanding until this date; default: the latest invoice or
        payment date in the ledger (so that a recompute of the same ledger is reproducible).
    engine
        "duckdb" or "spark", when ``ledger`` is a path.

    Returns
    -------
    ProfitabilityResult

    Raises
    ------
    ProfitabilityInputError
        Listing every problem found (activities without a pool cost for their period,
        pool capacity <= 0, overlapping pool periods, unknown accounts, hierarchy cycles).
        Nothing is returned half-computed.
    """
    if not isinstance(ledger, Ledger):
        ledger = Ledger(ledger, engine)
    period = periods.check_period(period)
    day_from, day_to, as_of = _date(date_from), _date(date_to), _date(as_of)
    if day_from and day_to and day_from > day_to:
        raise ValueError(f"date_from {day_from} is after date_to {day_to}")
    key_from = periods.key_of(day_from, period) if day_from else None
    key_to = periods.key_of(day_to, period) if day_to else None
    start = periods.bounds(key_from, period)[0] if key_from is not None else None
    end = periods.bounds(key_to, period)[1] if key_to is not None else None
    cost_of_capital = Decimal(str(cost_of_capital))

    parents = parent_map(hierarchy) if hierarchy is not None else {}
    issues = hierarchy_issues(parents)

    all_pools = _collect(ledger.table("cost_pools"))
    issues += abc.pool_issues(all_pools)
    in_window_pools = abc.pools_within(all_pools, start, end)
    window_pools = all_pools.filter(pa.array(in_window_pools))
    # Pools are costed over their whole period even where it overhangs the window.
    act_start, act_end = start, end
    if window_pools.num_rows:
        if start is not None:
            act_start = min(start, pc.min(window_pools["period_start"]).as_py())
        if end is not None:
            act_end = max(end, pc.max(window_pools["period_end"]).as_py())
    calendar = ledger.from_arrow(abc.pool_calendar(all_pools))

    cells = _collect(
        activity_cells(ledger.table("activities"), calendar, period, act_start, act_end)
    )
    if as_of is None:
        as_of = _last_ledger_date(ledger)
    sales = _collect(sales_by_account(ledger.table("invoices"), period, start, end, as_of))
    rebates = _collect(rebates_by_account(ledger.table("rebates"), period, start, end))

    issues += _activity_issues(cells, period)
    if accounts is not None:
        issues += _unknown_accounts(set(accounts), cells, sales, rebates, period)
    if issues:
        raise ProfitabilityInputError(issues)

    allocated = abc.allocate(cells, all_pools)
    pools, warnings = abc.pool_usage(allocated, all_pools, in_window_pools)
    in_window = _key_between(allocated["period_key"], key_from, key_to)
    allocated = allocated.filter(in_window)

    credit = credit_cents(sales, cost_of_capital)
    base, by_pool = _base_cents(sales, credit, rebates, allocated)
    base = base.append_column("scope", pa.array(["account"] * base.num_rows, pa.string()))
    by_pool = by_pool.append_column("scope", pa.array(["account"] * by_pool.num_rows, pa.string()))
    if parents:
        pairs = subtree_pairs(parents)
        base = pa.concat_tables([base, _roll_up(base, pairs, ["period_key"])])
        by_pool = pa.concat_tables([by_pool, _roll_up(by_pool, pairs, ["period_key", "pool"])])
    if account_ids is not None:
        wanted = pa.array(sorted(set(account_ids)), pa.string())
        base = base.filter(pc.is_in(base["account_id"], wanted))
        by_pool = by_pool.filter(pc.is_in(by_pool["account_id"], wanted))

    return ProfitabilityResult(
        period=period,
        date_from=start,
        date_to=end,
        as_of=as_of,
        cost_of_capital=cost_of_capital,
        waterfall=_waterfall_table(base, period),
        cost_by_pool=_cost_by_pool_table(by_pool, period),
        pools=_pools_table(pools, window_pools),
        warnings=tuple(warnings),
    )


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _collect(frame: nw.LazyFrame) -> pa.Table:
    return frame.collect("pyarrow").to_arrow()


def _key_between(keys: pa.ChunkedArray, low: int | None, high: int | None) -> pa.Array:
    keep = pa.array(np.ones(len(keys), dtype=bool))
    if low is not None:
        keep = pc.and_(keep, pc.greater_equal(keys, low))
    if high is not None:
        keep = pc.and_(keep, pc.less_equal(keys, high))
    return keep


def _last_ledger_date(ledger: Ledger) -> dt.date | None:
    dates = [ledger.column_max("invoices", c) for c in ("invoice_date", "paid_date")]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def _activity_issues(cells: pa.Table, period: Period) -> list[InputIssue]:
    orphan = cells.filter(pc.is_null(cells["pool_start"]))
    if not orphan.num_rows:
        return []
    counts = orphan.group_by(["pool", "period_key"]).aggregate([("records", "sum")])
    return [
        InputIssue(
            "no_pool_cost",
            "activities",
            r["pool"],
            periods.label(r["period_key"], period),
            int(r["records_sum"]),
            "no cost pool record covers these activities' dates, so they cannot be costed",
        )
        for r in counts.sort_by([("pool", "ascending"), ("period_key", "ascending")]).to_pylist()
    ]


def _unknown_accounts(known, cells, sales, rebates, period) -> list[InputIssue]:
    known_ids = pa.array(sorted(known), pa.string())
    issues = []
    for table, frame, count, group in (
        ("activities", cells, "records", ["pool", "period_key"]),
        ("invoices", sales, "lines", ["period_key"]),
        ("rebates", rebates, "records", ["period_key"]),
    ):
        stray = frame.filter(pc.invert(pc.is_in(frame["account_id"], known_ids)))
        if not stray.num_rows:
            continue
        counts = stray.group_by(group).aggregate([(count, "sum"), ("account_id", "distinct")])
        for r in counts.sort_by([(g, "ascending") for g in group]).to_pylist():
            shown = ", ".join(sorted(r["account_id_distinct"])[:5])
            issues.append(
                InputIssue(
                    "unknown_account",
                    table,
                    r.get("pool"),
                    periods.label(r["period_key"], period),
                    int(r[f"{count}_sum"]),
                    f"records for accounts not in the account list (e.g. {shown})",
                )
            )
    return issues


def _base_cents(sales, credit, rebates, allocated) -> tuple[pa.Table, pa.Table]:
    """Recorded amounts in int64 cents per (account_id, period_key), and cost by pool."""
    keys = ["account_id", "period_key"]
    zeros = {
        name: np.zeros(n, dtype=np.int64)
        for name, n in (("s", sales.num_rows), ("r", rebates.num_rows))
    }
    activity = allocated.group_by(keys).aggregate([("cents", "sum")])
    parts = [
        _cents_table(
            sales,
            gross_sales=to_cents(sales["gross"]),
            discounts=to_cents(sales["discounts"]),
            rebates=zeros["s"],
            cogs=to_cents(sales["cogs"]),
            activity_cost=zeros["s"],
            credit_cost=credit,
        ),
        _cents_table(
            rebates,
            gross_sales=zeros["r"],
            discounts=zeros["r"],
            rebates=to_cents(rebates["rebates"]),
            cogs=zeros["r"],
            activity_cost=zeros["r"],
            credit_cost=zeros["r"],
        ),
        _cents_table(
            activity,
            **{name: np.zeros(activity.num_rows, dtype=np.int64) for name in _BASE[:4]},
            activity_cost=activity["cents_sum"].to_numpy(),
            credit_cost=np.zeros(activity.num_rows, dtype=np.int64),
        ),
    ]
    base = pa.concat_tables(parts).group_by(keys).aggregate([(c, "sum") for c in _BASE])
    base = base.rename_columns([c.removesuffix("_sum") for c in base.column_names])

    by_pool = allocated.group_by([*keys, "pool"]).aggregate([("cents", "sum")])
    by_pool = by_pool.rename_columns([c.removesuffix("_sum") for c in by_pool.column_names])
    has_credit = pa.array(credit != 0)
    credit_rows = pa.table(
        {
            "account_id": sales["account_id"],
            "period_key": sales["period_key"],
            "pool": pa.array([abc.CREDIT_POOL] * sales.num_rows, pa.string()),
            "cents": pa.array(credit, pa.int64()),
        }
    ).filter(has_credit)
    by_pool = pa.concat_tables([by_pool.select(credit_rows.column_names), credit_rows])
    return base, by_pool


def _cents_table(keys: pa.Table, **columns) -> pa.Table:
    return pa.table(
        {
            "account_id": keys["account_id"],
            "period_key": keys["period_key"].cast(pa.int64()),
            **{name: pa.array(values, pa.int64()) for name, values in columns.items()},
        }
    )


def _roll_up(table: pa.Table, pairs: pa.Table, keys: list[str]) -> pa.Table:
    """Subtree rows: each ancestor's sum over its members (itself and all descendants)."""
    values = [c for c in table.column_names if c not in ("account_id", "scope", *keys)]
    joined = table.join(pairs, keys="account_id", right_keys="member", join_type="inner")
    summed = joined.group_by(["ancestor", *keys]).aggregate([(c, "sum") for c in values])
    summed = summed.rename_columns(
        ["account_id" if c == "ancestor" else c.removesuffix("_sum") for c in summed.column_names]
    )
    return summed.append_column(
        "scope", pa.array(["subtree"] * summed.num_rows, pa.string())
    ).select(table.column_names)


def _period_columns(keys: pa.ChunkedArray, period: Period) -> dict[str, pa.Array]:
    # Labels are made once per distinct key (there are few), then spread by index.
    unique, index = np.unique(np.asarray(keys, dtype=np.int64), return_inverse=True)
    index = pa.array(index.astype(np.int64))
    spans = [periods.bounds(int(k), period) for k in unique]
    return {
        "period": pa.array([periods.label(int(k), period) for k in unique], pa.string()).take(
            index
        ),
        "period_start": pa.array([s for s, _ in spans], pa.date32()).take(index),
        "period_end": pa.array([e for _, e in spans], pa.date32()).take(index),
    }


def _sorted(table: pa.Table, *extra: str) -> pa.Table:
    """Rows by scope, account_id, period and ``extra`` string columns.

    Strings are ranked through their (few) distinct values and the rows ordered with an
    integer lexsort: much faster than sorting the string columns row by row.
    """
    scope, account = _dense_rank(table["scope"]), _dense_rank(table["account_id"])
    extras = [_dense_rank(table[name]) for name in extra]
    # np.lexsort's primary key is the last one.
    order = np.lexsort([*reversed(extras), table["period_key"].to_numpy(), account, scope])
    return table.take(pa.array(order))


def _dense_rank(values: pa.ChunkedArray) -> np.ndarray:
    encoded = values.combine_chunks().dictionary_encode()
    dictionary_order = np.argsort(np.array(encoded.dictionary.to_pylist(), dtype=object))
    rank = np.empty(len(dictionary_order), dtype=np.int64)
    rank[dictionary_order] = np.arange(len(dictionary_order))
    return rank[encoded.indices.to_numpy(zero_copy_only=False)]


def _waterfall_table(base: pa.Table, period: Period) -> pa.Table:
    base = _sorted(base)
    c = {name: base[name].to_numpy() for name in _BASE}
    lines = {"gross_sales": c["gross_sales"], "discounts": c["discounts"]}
    lines["invoiced_sales"] = lines["gross_sales"] - lines["discounts"]
    lines["rebates"] = c["rebates"]
    lines["net_sales"] = lines["invoiced_sales"] - lines["rebates"]
    lines["cogs"] = c["cogs"]
    lines["gross_margin"] = lines["net_sales"] - lines["cogs"]
    lines["cost_to_serve"] = c["activity_cost"] + c["credit_cost"]
    lines["net_contribution"] = lines["gross_margin"] - lines["cost_to_serve"]
    return pa.table(
        {
            "scope": base["scope"],
            "account_id": base["account_id"],
            **_period_columns(base["period_key"], period),
            **{name: cents_to_decimal(lines[name]) for name in MONEY_LINES},
            "contribution_margin_pct": margin_pct(lines["net_contribution"], lines["net_sales"]),
        }
    )


def margin_pct(contribution: np.ndarray, net_sales: np.ndarray) -> pa.Array:
    """100 × contribution / net sales, rounded to 2 decimals; null where net sales are 0."""
    contribution = np.asarray(contribution, dtype=np.int64)
    net_sales = np.asarray(net_sales, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.round(100.0 * contribution / net_sales, 2)
    return pa.array(pct, pa.float64(), mask=net_sales == 0)


def _cost_by_pool_table(by_pool: pa.Table, period: Period) -> pa.Table:
    by_pool = _sorted(by_pool, "pool")
    return pa.table(
        {
            "scope": by_pool["scope"],
            "account_id": by_pool["account_id"],
            "period": _period_columns(by_pool["period_key"], period)["period"],
            "pool": by_pool["pool"],
            "amount": cents_to_decimal(by_pool["cents"].to_numpy()),
        }
    )


def _pools_table(pools: pa.Table, window_pools: pa.Table) -> pa.Table:
    units = {
        (r["pool"], r["period_start"]): r["driver_unit"]
        for r in window_pools.select(["pool", "period_start", "driver_unit"]).to_pylist()
    }
    cost = pools["cost_cents"].to_numpy()
    allocated = pools["allocated_cents"].to_numpy()
    capacity = np.array([float(x) for x in pools["capacity"].to_pylist()])
    used = np.array([float(x) for x in pools["used"].to_pylist()])
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.round(100.0 * used / capacity, 2)
    driver_units = [
        units[(p, s)]
        for p, s in zip(pools["pool"].to_pylist(), pools["period_start"].to_pylist(), strict=True)
    ]
    return pa.table(
        {
            "pool": pools["pool"],
            "period": pools["period"],
            "period_start": pools["period_start"],
            "period_end": pools["period_end"],
            "driver_unit": pa.array(driver_units, pa.string()),
            "cost": cents_to_decimal(cost),
            "capacity": pools["capacity"],
            "used": pools["used"],
            "allocated": cents_to_decimal(allocated),
            "unused": cents_to_decimal(pools["unused_cents"].to_numpy()),
            "utilisation_pct": pa.array(utilisation, pa.float64()),
            "records": pools["records"].cast(pa.int64()),
        }
    )
