"""A second peer: the same monthly waterfall in pandas, exact to the cent.

The float peer (``pandas_peer``) is fast but drifts by cents, which the issue rules out for
reported money ("exact to the cent, no float drift in totals"). This is how a careful analyst
gets exact cents in pandas: every amount becomes an int64 count of its smallest unit on the way
in (the ledger's decimals have at most 4 places and stay far below 2^53, so rounding the
float64 value times 10^scale recovers each one exactly), all sums are integer sums, and each
figure is rounded where the engine rounds it (docs/adr/0005):

- an invoice line's gross = quantity × unit list price rounded to the cent, half away from
  zero; gross sales are sums of those cents;
- credit cost = Σ amount × days outstanding × 8 % / 365 per account and *year*, rounded half
  up, then split over the year's quarters and each quarter's months by largest remainder
  (days: paid − invoiced for paid lines, as-of − invoiced for open receivables; never < 0);
- activity cost: a pool period's allocated cost = cost × used / capacity rounded half up,
  split over the accounts by largest remainder, then each account's charge over its months
  (the demo's pools are monthly, so an account's charge is its month's; a pool period of
  several months would be split year → quarter → month by the engine).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pandas_peer import INVOICE_COLUMNS, _read

#: 8 % a year, as the reduced fraction 8 / 100 / 365 per day.
RATE_NUMERATOR, RATE_DENOMINATOR = 8, 100 * 365


def _units(values: pd.Series, scale: int) -> pd.Series:
    """Exact decimals (read as float64) as int64 counts of 10^-scale; nulls as 0."""
    return pd.Series(np.rint(values.fillna(0).to_numpy() * 10**scale).astype(np.int64))


def _half_up(numerator: pd.Series, denominator) -> pd.Series:
    """numerator / denominator rounded half up (ties towards +∞), in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def _largest_remainder(
    frame: pd.DataFrame, parents: list[str], numerator: pd.Series, denominator, total: pd.Series
) -> pd.Series:
    """Each row's share numerator / denominator in whole cents, the rows of each ``parents``
    group adding up to its ``total`` (aligned with the rows): shares rounded down, then a cent
    each to the largest remainders, ties to the earlier row (``frame`` is in key order)."""
    floor, rest = np.divmod(numerator, denominator)
    floor, rest = pd.Series(floor, index=frame.index), pd.Series(rest, index=frame.index)
    keys = [frame[c] for c in parents]
    left = total - floor.groupby(keys).transform("sum")
    rank = rest.groupby(keys).rank(method="first", ascending=False) - 1
    return floor + (rank < left).astype(np.int64)


def _credit(sales: pd.DataFrame) -> pd.Series:
    """The credit cost in cents per (account, month): each account's year rounded once, its
    quarters and months split by largest remainder."""
    frame = sales.reset_index()[["account_id", "month", "amount_days"]].sort_values(
        ["account_id", "month"]
    )
    frame["quarter"] = frame["month"].dt.asfreq("Q")
    frame["year"] = frame["month"].dt.year
    numerator = frame["amount_days"] * RATE_NUMERATOR  # cents × days
    denominator = RATE_DENOMINATOR  # cents × days × 8 / (100 × 365) = cents
    frame["n"] = numerator
    quarters = frame.groupby(["account_id", "quarter"], sort=False).agg(
        n=("n", "sum"), year=("year", "first")
    )
    quarters = quarters.reset_index()
    year_total = (
        frame.groupby(["account_id", "year"])["n"].sum().pipe(lambda x: _half_up(x, denominator))
    )
    quarter_total = year_total.reindex(
        pd.MultiIndex.from_frame(quarters[["account_id", "year"]])
    ).to_numpy()
    quarters["cents"] = _largest_remainder(
        quarters, ["account_id", "year"], quarters["n"], denominator, quarter_total
    )
    month_total = (
        quarters.set_index(["account_id", "quarter"])["cents"]
        .reindex(pd.MultiIndex.from_frame(frame[["account_id", "quarter"]]))
        .to_numpy()
    )
    cents = _largest_remainder(
        frame, ["account_id", "quarter"], frame["n"], denominator, month_total
    )
    return pd.Series(
        cents.to_numpy(), index=pd.MultiIndex.from_frame(frame[["account_id", "month"]])
    )


def profitability(data_dir: Path | str) -> pd.DataFrame:
    """The monthly waterfall per account, money in int64 cents."""
    data_dir = Path(data_dir)
    inv = _read(data_dir, "invoices", INVOICE_COLUMNS)
    as_of = max(inv["invoice_date"].max(), inv["paid_date"].max())
    exact = _units(inv["quantity"], 3) * _units(inv["unit_list_price"], 4)  # 10^-7
    # Each line to the cent, half away from zero, as the invoice prints it.
    gross = np.sign(exact) * ((np.abs(exact) + 50_000) // 100_000)
    discount = _units(inv["discount_amount"], 2)
    open_receivable = inv["paid_date"].isna() & inv["due_date"].notna()
    end = inv["paid_date"].where(~open_receivable, as_of)
    days = (end - inv["invoice_date"]).dt.days.fillna(0).clip(lower=0).astype(np.int64)
    lines = pd.DataFrame(
        {
            "account_id": inv["account_id"],
            "month": inv["invoice_date"].dt.to_period("M"),
            "gross": gross,
            "discounts": discount,
            "cogs": _units(inv["cogs_amount"], 2),
            "amount_days": (gross - discount) * days,  # cents × days
        }
    )
    sales = lines.groupby(["account_id", "month"]).sum()
    sales["gross_sales"] = sales.pop("gross")
    sales["credit_cost"] = _credit(sales).reindex(sales.index).to_numpy()
    sales = sales.drop(columns="amount_days")

    reb = _read(data_dir, "rebates", ["account_id", "rebate_date", "amount"])
    rebates = (
        pd.DataFrame(
            {
                "account_id": reb["account_id"],
                "month": reb["rebate_date"].dt.to_period("M"),
                "rebates": _units(reb["amount"], 2),
            }
        )
        .groupby(["account_id", "month"])
        .sum()
    )

    act = _read(data_dir, "activities", ["activity_date", "account_id", "pool", "quantity"])
    pools = _read(
        data_dir, "cost_pools", ["pool", "period_start", "period_end", "cost", "capacity"]
    )
    act = pd.merge_asof(
        act.sort_values("activity_date"),
        pools.sort_values("period_start")[["pool", "period_start", "period_end"]],
        left_on="activity_date",
        right_on="period_start",
        by="pool",
    )
    act = act[act["activity_date"] <= act["period_end"]].reset_index(drop=True)
    cells = (
        pd.DataFrame(
            {
                "pool": act["pool"],
                "period_start": act["period_start"],
                "account_id": act["account_id"],
                "month": act["activity_date"].dt.to_period("M"),
                "quantity": _units(act["quantity"], 3),
            }
        )
        .groupby(["pool", "period_start", "account_id", "month"])
        .sum()
        .reset_index()
        .merge(
            pools.assign(cost=_units(pools["cost"], 2), capacity=_units(pools["capacity"], 3))[
                ["pool", "period_start", "cost", "capacity"]
            ],
            on=["pool", "period_start"],
        )
    )
    # A pool period's allocated cost = cost × used / capacity rounded once; the accounts'
    # shares cost × q / capacity by largest remainder (cost = whole × capacity + rest keeps
    # the products within int64).
    cells = cells.sort_values(["pool", "period_start", "account_id", "month"]).reset_index(
        drop=True
    )
    used = cells.groupby(["pool", "period_start"])["quantity"].transform("sum")
    whole, rest = np.divmod(cells["cost"], cells["capacity"])
    allocated = whole * used + _half_up(rest * used, cells["capacity"])
    floor_whole = whole * cells["quantity"]
    share = _largest_remainder(
        cells,
        ["pool", "period_start"],
        rest * cells["quantity"],
        cells["capacity"].to_numpy(),
        allocated - floor_whole.groupby([cells["pool"], cells["period_start"]]).transform("sum"),
    )
    cells["activity_cost"] = floor_whole + share
    cost = cells.groupby(["account_id", "month"])[["activity_cost"]].sum()

    out = sales.join(rebates, how="outer").join(cost, how="outer").fillna(0).astype(np.int64)
    out["net_sales"] = out["gross_sales"] - out["discounts"] - out["rebates"]
    out["cost_to_serve"] = out["activity_cost"] + out["credit_cost"]
    out["net_contribution"] = out["net_sales"] - out["cogs"] - out["cost_to_serve"]
    return out.reset_index()
