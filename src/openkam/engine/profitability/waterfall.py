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
    contribution margin % = 100 × net contribution / net sales (null when net sales are ≤ 0:
    a ratio over negative sales, after returns exceed sales, reads as a margin but is not one)

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
from openkam.engine.money_lines import Conversion
from openkam.engine.profitability import abc, periods
from openkam.engine.profitability.aggregates import (
    REBATE_SUMS,
    SALES_SUMS,
    activity_cells,
    activity_months,
    rebates_by_account,
    sales_by_account,
)
from openkam.engine.profitability.credit import DEFAULT_COST_OF_CAPITAL, credit_ratio
from openkam.engine.profitability.grouping import (
    codes,
    encode,
    expand_to_ancestors,
    group_sums,
    nested_split,
    sum_to_grain,
)
from openkam.engine.profitability.hierarchy import hierarchy_issues, parent_map, subtree_pairs
from openkam.engine.profitability.incremental import PartialSums
from openkam.engine.profitability.issues import (
    InputIssue,
    ProfitabilityInputError,
    missing_rate_issue,
)
from openkam.engine.profitability.money import cents_to_decimal, percent, scaled_ints, to_cents
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
    currency
        The reporting currency every amount is in.
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
    #: The ISO 4217 currency of every amount (the reporting currency).
    currency: str = "EUR"


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
    cache: bool = False,
    currency: str | None = None,
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
    cache
        Keep the month sums of each ledger file under ``<data_dir>/cache`` and reuse them, so
        that a recompute reads only files added since the last one (see
        :mod:`~openkam.engine.profitability.incremental`). The result is the same.
    currency
        The reporting currency (ISO 4217; default ``OPENKAM_REPORTING_CURRENCY``, else
        EUR): amounts in other currencies are converted at the ledger's fx-rates
        (:mod:`openkam.engine.money_lines`).

    Returns
    -------
    ProfitabilityResult

    Raises
    ------
    ProfitabilityInputError
        Listing every problem found (amounts in a currency without an exchange rate on or
        before their date, activities without a pool cost for their period,
        pool capacity <= 0, overlapping pool periods, unknown accounts, hierarchy cycles).
        Nothing is returned half-computed.
    """
    return compute_profitability_grains(
        ledger,
        (period,),
        date_from=date_from,
        date_to=date_to,
        account_ids=account_ids,
        accounts=accounts,
        hierarchy=hierarchy,
        cost_of_capital=cost_of_capital,
        as_of=as_of,
        engine=engine,
        cache=cache,
        currency=currency,
    )[period]


def compute_profitability_grains(
    ledger: Ledger | str,
    grains: Iterable[Period] = ("year", "quarter", "month"),
    *,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    account_ids: Iterable[str] | None = None,
    accounts: Iterable[str] | None = None,
    hierarchy: pa.Table | None = None,
    cost_of_capital: Decimal | str | float = DEFAULT_COST_OF_CAPITAL,
    as_of: dt.date | str | None = None,
    engine: Engine = "duckdb",
    cache: bool = False,
    currency: str | None = None,
) -> dict[str, ProfitabilityResult]:
    """:func:`compute_profitability` at several grains from one pass over the ledger.

    The ledger is aggregated once, at the finest grain asked for, over the window of the
    coarsest; the coarser grains are rolled up from those aggregates. The roll-up adds
    exact decimal sums and driver quantities, and rounding to the cent happens only at the
    grain reported, so every result equals what :func:`compute_profitability` gives for
    its grain alone. Returns ``{grain: result}``; the parameters are those of
    :func:`compute_profitability`.
    """
    if not isinstance(ledger, Ledger):
        ledger = Ledger(ledger, engine)
    grains = sorted({periods.check_period(g) for g in grains}, key=periods.PERIODS.index)
    if not grains:
        raise ValueError("ask for at least one grain")
    day_from, day_to, as_of = _date(date_from), _date(date_to), _date(as_of)
    if day_from and day_to and day_from > day_to:
        raise ValueError(f"date_from {day_from} is after date_to {day_to}")
    windows = {g: _Window.of(g, day_from, day_to) for g in grains}
    finest = grains[0]
    # Whole years are read whatever the grains: the credit cost of a year is rounded once
    # and split over its quarters and months, so a month's figures never depend on the
    # window (see _credit_by_grain).
    widest = _Window.of("year", day_from, day_to)
    cost_of_capital = Decimal(str(cost_of_capital))

    conversion = Conversion.of(ledger, currency)
    missing = conversion.missing()
    if missing:
        # Nothing can be converted without its rate: say which, before anything else.
        raise ProfitabilityInputError([missing_rate_issue(m) for m in missing])

    parents = parent_map(hierarchy) if hierarchy is not None else {}
    issues = hierarchy_issues(parents)

    all_pools = conversion.cost_pools()
    issues += abc.pool_issues(all_pools)
    # Pools are costed over their whole period even where it overhangs the window.
    act_start, act_end = widest.start, widest.end
    window_pools = all_pools.filter(pa.array(abc.pools_within(all_pools, act_start, act_end)))
    if window_pools.num_rows:
        if act_start is not None:
            act_start = min(act_start, pc.min(window_pools["period_start"]).as_py())
        if act_end is not None:
            act_end = max(act_end, pc.max(window_pools["period_end"]).as_py())

    if as_of is None:
        as_of = _last_ledger_date(ledger)
    partials = PartialSums(ledger, conversion=conversion) if cache else None
    cells = partials and partials.cells(all_pools, finest, act_start, act_end)
    if cells is None:
        cells = _activity_cells(ledger, all_pools, finest, act_start, act_end)
    sales = partials and partials.sales(finest, widest.start, widest.end, as_of)
    if sales is None:
        invoices = conversion.invoices()
        sales = _collect(sales_by_account(invoices, finest, widest.start, widest.end, as_of))
    rebates = _collect(rebates_by_account(conversion.rebates(), finest, widest.start, widest.end))

    issues += _activity_issues(cells, finest)
    if accounts is not None:
        issues += _unknown_accounts(set(accounts), cells, sales, rebates, finest)
    if issues:
        raise ProfitabilityInputError(issues)

    pairs = subtree_pairs(parents) if parents else None
    allocated = abc.allocate(cells, all_pools, grains, finest)
    sales_by_grain = {g: sum_to_grain(sales, SALES_SUMS, finest, g) for g in grains}
    credit = _credit_by_grain(sales, sales_by_grain, finest, cost_of_capital)
    return {
        grain: _finish(
            windows[grain],
            allocated[grain],
            sales_by_grain[grain].append_column("credit_cents", pa.array(credit[grain])),
            sum_to_grain(rebates, REBATE_SUMS, finest, grain),
            all_pools,
            pairs,
            account_ids,
            as_of,
            cost_of_capital,
            conversion.currency,
        )
        for grain in grains
    }


@dataclass(frozen=True)
class _Window:
    """The reporting window of one grain, widened to whole periods (open ends are None)."""

    period: Period
    key_from: int | None
    key_to: int | None
    start: dt.date | None
    end: dt.date | None

    @classmethod
    def of(cls, period: Period, day_from: dt.date | None, day_to: dt.date | None) -> _Window:
        key_from = periods.key_of(day_from, period) if day_from else None
        key_to = periods.key_of(day_to, period) if day_to else None
        return cls(
            period,
            key_from,
            key_to,
            periods.bounds(key_from, period)[0] if key_from is not None else None,
            periods.bounds(key_to, period)[1] if key_to is not None else None,
        )

    def keep(self, table: pa.Table) -> pa.Table:
        """The rows of ``table`` whose ``period_key`` falls within the window."""
        if self.key_from is None and self.key_to is None:
            return table
        return table.filter(_key_between(table["period_key"], self.key_from, self.key_to))


def _credit_by_grain(
    sales: pa.Table, by_grain: dict[str, pa.Table], finest: Period, cost_of_capital: Decimal
) -> dict[str, np.ndarray]:
    """The credit cost in cents of each row of ``by_grain[g]`` (the sales summed to grain
    g), split top down: each account's year is rounded once, its quarters split from the
    year and its months from their quarter by largest remainder, so they add up."""
    # Line amounts are whole cents, so Σ amount × days is too: at scale 2 the products
    # below stay within int64 (at the engine's 7 decimals they would not).
    factor, denominator = credit_ratio(cost_of_capital, 2)
    vocabulary, (accounts, *grain_accounts) = encode(
        sales["account_id"], *(table["account_id"] for table in by_grain.values())
    )
    keys = np.asarray(sales["period_key"].to_numpy(), dtype=np.int64)
    chain = [
        p
        for p in periods.PERIODS[::-1]
        if periods.PERIODS.index(p) >= periods.PERIODS.index(finest)
    ]
    levels = nested_split(
        [[accounts, periods.coarser_keys(keys, finest, p)] for p in chain],
        scaled_ints(sales["amount_days"], 2),
        _constant(len(keys), factor),
        _constant(len(keys), denominator),
    )
    result = {}
    for (grain, table), codes_ in zip(by_grain.items(), grain_accounts, strict=True):
        level = levels[chain.index(grain)]
        # Groups are numbered in (account, period) order, so their keys are sorted.
        group_keys = accounts[level.first] * 2**20 + (
            periods.coarser_keys(keys, finest, grain)[level.first] - _KEY_BASE
        )
        row_keys = codes_ * 2**20 + (
            np.asarray(table["period_key"].to_numpy(), np.int64) - _KEY_BASE
        )
        result[grain] = (
            level.cents[np.searchsorted(group_keys, row_keys)]
            if len(row_keys)
            else np.zeros(0, np.int64)
        )
    return result


#: Period keys (below 12 × 10^4) less this fit in 20 bits beside an account code.
_KEY_BASE = 0


def _constant(count: int, value: int) -> np.ndarray:
    return np.full(count, value, dtype=np.int64 if abs(value) < 2**62 else object)


def _finish(
    window: _Window,
    allocated: pa.Table,
    sales: pa.Table,
    rebates: pa.Table,
    all_pools: pa.Table,
    pairs: pa.Table | None,
    account_ids: Iterable[str] | None,
    as_of: dt.date | None,
    cost_of_capital: Decimal,
    currency: str,
) -> ProfitabilityResult:
    """The exact cent arithmetic of one grain, on its aggregates."""
    period = window.period
    in_window_pools = abc.pools_within(all_pools, window.start, window.end)
    pools, warnings = abc.pool_usage(allocated, all_pools, in_window_pools)
    allocated = window.keep(allocated)
    sales, rebates = window.keep(sales), window.keep(rebates)

    credit = _ints(sales["credit_cents"])
    hierarchy_accounts = [pairs["member"], pairs["ancestor"]] if pairs is not None else []
    # Accounts and pools are coded against sorted vocabularies: code order is report order.
    # Each table gets its codes as a column ("account", "pool_code"), made once.
    accounts_vocabulary, (sales_codes, rebates_codes, allocated_codes, *pair_codes) = encode(
        sales["account_id"], rebates["account_id"], allocated["account_id"], *hierarchy_accounts
    )
    sales = sales.append_column("account", pa.array(sales_codes))
    rebates = rebates.append_column("account", pa.array(rebates_codes))
    pool_vocabulary, (pool_codes, (credit_pool,)) = encode(
        allocated["pool"], pa.array([abc.CREDIT_POOL])
    )
    allocated = allocated.append_column("account", pa.array(allocated_codes)).append_column(
        "pool_code", pa.array(pool_codes)
    )
    base = _base_cents(sales, credit, rebates, allocated)
    by_pool = _pool_cents(sales, credit, allocated, credit_pool)
    scopes = {"account": (base, by_pool)}
    if pairs is not None:
        member, ancestor = pair_codes
        scopes["subtree"] = (
            _roll_up(base, member, ancestor, _KEYS),
            _roll_up(by_pool, member, ancestor, (*_KEYS, "pool")),
        )
    if account_ids is not None:
        wanted = codes(pa.array(sorted(set(account_ids)), pa.string()), accounts_vocabulary)
        scopes = {
            scope: tuple(_rows_of(rows, wanted) for rows in tables)
            for scope, tables in scopes.items()
        }

    return ProfitabilityResult(
        period=period,
        date_from=window.start,
        date_to=window.end,
        as_of=as_of,
        cost_of_capital=cost_of_capital,
        waterfall=_waterfall_table(
            {scope: tables[0] for scope, tables in scopes.items()}, accounts_vocabulary, period
        ),
        cost_by_pool=_cost_by_pool_table(
            {scope: tables[1] for scope, tables in scopes.items()},
            accounts_vocabulary,
            pool_vocabulary,
            period,
        ),
        pools=_pools_table(pools, all_pools.filter(pa.array(in_window_pools))),
        warnings=tuple(warnings),
        currency=currency,
    )


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _collect(frame: nw.LazyFrame) -> pa.Table:
    return frame.collect("pyarrow").to_arrow()


def _activity_cells(
    ledger: Ledger, pools: pa.Table, period: Period, start: dt.date | None, end: dt.date | None
) -> pa.Table:
    """The allocation cells of the activities in [start, end], at grain ``period``."""
    activities = ledger.table("activities")
    if abc.month_aligned(pools):
        # A month then lies within one pool period: sum per month first, with no join.
        return abc.cells_of_months(_collect(activity_months(activities, start, end)), pools, period)
    # Pool periods that split a month: each activity's day decides its period.
    calendar = ledger.from_arrow(abc.pool_calendar(pools))
    return _collect(activity_cells(activities, calendar, period, start, end))


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


#: Keys of the recorded amounts: account code (see ``sorted_vocabulary``) and period key.
_KEYS = ("account", "period_key")


def _ints(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.to_numpy(), dtype=np.int64)


def _base_cents(sales, credit, rebates, allocated) -> dict[str, np.ndarray]:
    """Recorded amounts in int64 cents per (account, period_key), sorted by both."""
    parts = (
        (
            sales,
            {
                "gross_sales": to_cents(sales["gross"]),
                "discounts": to_cents(sales["discounts"]),
                "cogs": to_cents(sales["cogs"]),
                "credit_cost": credit,
            },
        ),
        (rebates, {"rebates": to_cents(rebates["rebates"])}),
        (allocated, {"activity_cost": _ints(allocated["cents"])}),
    )
    keys = [np.concatenate([_ints(table[key]) for table, _ in parts]) for key in _KEYS]
    values = {
        name: np.concatenate(
            [amounts.get(name, np.zeros(table.num_rows, np.int64)) for table, amounts in parts]
        )
        for name in _BASE
    }
    keys, sums = group_sums(keys, values)
    return dict(zip(_KEYS, keys, strict=True)) | sums


def _pool_cents(sales, credit, allocated, credit_pool: int) -> dict[str, np.ndarray]:
    """Cost to serve in cents per (account, period_key, pool), the credit cost as a pool
    (of code ``credit_pool``)."""
    on_credit = credit != 0
    keys = [np.concatenate([_ints(allocated[key]), _ints(sales[key])[on_credit]]) for key in _KEYS]
    pools = np.concatenate(
        [_ints(allocated["pool_code"]), np.full(int(on_credit.sum()), credit_pool)]
    )
    cents = np.concatenate([_ints(allocated["cents"]), credit[on_credit]])
    keys, sums = group_sums([*keys, pools], {"cents": cents})
    return dict(zip((*_KEYS, "pool"), keys, strict=True)) | sums


def _roll_up(rows: dict, member: np.ndarray, ancestor: np.ndarray, keys) -> dict:
    """Subtree rows: each ancestor's sum over its members (itself and all descendants)."""
    source, ancestors = expand_to_ancestors(rows["account"], member, ancestor)
    grouped, sums = group_sums(
        [ancestors, *(rows[k][source] for k in keys[1:])],
        {name: values[source] for name, values in rows.items() if name not in keys},
    )
    return dict(zip(keys, grouped, strict=True)) | sums


def _rows_of(rows: dict, accounts: np.ndarray) -> dict:
    keep = np.isin(rows["account"], accounts)
    return {name: values[keep] for name, values in rows.items()}


def _scoped(tables: dict[str, dict], vocabulary: pa.Array) -> tuple[dict, dict[str, pa.Array]]:
    """The scopes' rows one after the other ("account" before "subtree"), with the
    ``scope`` and ``account_id`` columns."""
    names = list(tables)
    counts = [len(tables[scope]["account"]) for scope in names]
    rows = {
        name: np.concatenate([tables[scope][name] for scope in names]) for name in tables[names[0]]
    }
    scope = pa.DictionaryArray.from_arrays(
        pa.array(np.repeat(np.arange(len(names), dtype=np.int32), counts)),
        pa.array(names, pa.string()),
    ).cast(pa.string())
    return rows, {"scope": scope, "account_id": vocabulary.take(pa.array(rows["account"]))}


def _period_columns(keys: np.ndarray, period: Period) -> dict[str, pa.Array]:
    # Labels are made once per distinct key (there are few), then spread by index. Keys are
    # small integers (below 12 × 10^4), so a presence table finds them without a sort.
    keys = np.asarray(keys, dtype=np.int64)
    low = int(keys.min()) if len(keys) else 0
    present = np.zeros(int(keys.max()) - low + 1 if len(keys) else 0, dtype=bool)
    present[keys - low] = True
    unique = low + np.flatnonzero(present)
    index = pa.array((np.cumsum(present) - 1)[keys - low])
    spans = [periods.bounds(int(k), period) for k in unique]
    return {
        "period": pa.array([periods.label(int(k), period) for k in unique], pa.string()).take(
            index
        ),
        "period_start": pa.array([s for s, _ in spans], pa.date32()).take(index),
        "period_end": pa.array([e for _, e in spans], pa.date32()).take(index),
    }


def _waterfall_table(tables: dict[str, dict], vocabulary: pa.Array, period: Period) -> pa.Table:
    c, labels = _scoped(tables, vocabulary)
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
            **labels,
            **_period_columns(c["period_key"], period),
            **{name: cents_to_decimal(lines[name]) for name in MONEY_LINES},
            "contribution_margin_pct": percent(lines["net_contribution"], lines["net_sales"]),
        }
    )


def _cost_by_pool_table(
    tables: dict[str, dict], vocabulary: pa.Array, pools: pa.Array, period: Period
) -> pa.Table:
    rows, labels = _scoped(tables, vocabulary)
    return pa.table(
        {
            **labels,
            "period": _period_columns(rows["period_key"], period)["period"],
            "pool": pools.take(pa.array(rows["pool"])),
            "amount": cents_to_decimal(rows["cents"]),
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
