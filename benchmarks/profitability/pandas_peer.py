"""The peer: a straightforward pandas implementation of the same monthly waterfall.

What an analyst would write in a notebook: read the four ledger tables with pandas, compute
line amounts in float64, group by account and month, cost activities at their pool period's
rate (cost / capacity) and add the credit cost of payment terms. Like the engine it also
produces the cost to serve of each row by pool and each pool period's allocated and unused
cost. No exactness guarantees (it works in floats); the benchmark only uses its totals as a
sanity check.
"""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

COST_OF_CAPITAL = 0.08
#: The invoice columns the waterfall needs (both peers read these).
INVOICE_COLUMNS = [
    "invoice_date",
    "account_id",
    "quantity",
    "unit_list_price",
    "discount_amount",
    "cogs_amount",
    "due_date",
    "paid_date",
]


def _read(data_dir: Path, table: str, columns: list[str]) -> pd.DataFrame:
    """Read a ledger table; decimals become float64 and dates datetime64 on the way in (the
    fast path: converting Python Decimal objects in pandas would be far slower)."""
    files = sorted(
        f
        for f in glob.glob(str(data_dir / "ledger" / table / "*.parquet"))
        if not Path(f).name.startswith(".")
    )
    arrow = pa.concat_tables(pq.read_table(f, columns=columns) for f in files)
    arrow = arrow.cast(
        pa.schema(
            pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f
            for f in arrow.schema
        )
    )
    return arrow.to_pandas(date_as_object=False)


def waterfall(data_dir: Path | str) -> pd.DataFrame:
    """Monthly waterfall per account: one row per (account_id, month)."""
    return profitability(data_dir)[0]


def profitability(data_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The monthly waterfall, the cost to serve by pool, and the pools' usage."""
    data_dir = Path(data_dir)
    inv = _read(data_dir, "invoices", INVOICE_COLUMNS)
    as_of = max(inv["invoice_date"].max(), inv["paid_date"].max())
    inv["month"] = inv["invoice_date"].dt.to_period("M")
    inv["gross_sales"] = inv["quantity"] * inv["unit_list_price"]
    amount = inv["gross_sales"] - inv["discount_amount"]
    end = inv["paid_date"].where(inv["paid_date"].notna(), as_of)
    days = (end - inv["invoice_date"]).dt.days.clip(lower=0)
    on_credit = inv["paid_date"].notna() | inv["due_date"].notna()
    inv["credit_cost"] = np.where(on_credit, amount * COST_OF_CAPITAL * days / 365, 0.0)
    sales = inv.groupby(["account_id", "month"]).agg(
        gross_sales=("gross_sales", "sum"),
        discounts=("discount_amount", "sum"),
        cogs=("cogs_amount", "sum"),
        credit_cost=("credit_cost", "sum"),
    )

    reb = _read(data_dir, "rebates", ["account_id", "rebate_date", "amount"])
    reb["month"] = reb["rebate_date"].dt.to_period("M")
    rebates = reb.groupby(["account_id", "month"]).agg(rebates=("amount", "sum"))

    act = _read(data_dir, "activities", ["activity_date", "account_id", "pool", "quantity"])
    pools = _read(
        data_dir, "cost_pools", ["pool", "period_start", "period_end", "cost", "capacity"]
    )
    pools["rate"] = pools["cost"] / pools["capacity"]
    act = pd.merge_asof(
        act.sort_values("activity_date"),
        pools.sort_values("period_start")[["pool", "period_start", "period_end", "rate"]],
        left_on="activity_date",
        right_on="period_start",
        by="pool",
    )
    act = act[act["activity_date"] <= act["period_end"]]
    act["activity_cost"] = act["quantity"] * act["rate"]
    act["month"] = act["activity_date"].dt.to_period("M")
    by_pool = act.groupby(["account_id", "month", "pool"]).agg(amount=("activity_cost", "sum"))
    cost = by_pool.groupby(level=["account_id", "month"]).agg(activity_cost=("amount", "sum"))
    usage = act.groupby(["pool", "period_start"]).agg(
        used=("quantity", "sum"), allocated=("activity_cost", "sum")
    )
    pool_usage = pools.set_index(["pool", "period_start"]).join(usage, how="left").fillna(0.0)
    pool_usage["unused"] = pool_usage["cost"] - pool_usage["allocated"]

    out = sales.join(rebates, how="outer").join(cost, how="outer").fillna(0.0)
    out["invoiced_sales"] = out["gross_sales"] - out["discounts"]
    out["net_sales"] = out["invoiced_sales"] - out["rebates"]
    out["gross_margin"] = out["net_sales"] - out["cogs"]
    out["cost_to_serve"] = out["activity_cost"] + out["credit_cost"]
    out["net_contribution"] = out["gross_margin"] - out["cost_to_serve"]
    credit = sales[["credit_cost"]].rename(columns={"credit_cost": "amount"})
    credit["pool"] = "credit_cost"
    credit = credit.set_index("pool", append=True)
    by_pool = pd.concat([by_pool, credit[credit["amount"] != 0]]).sort_index()
    return out.reset_index(), by_pool.reset_index(), pool_usage.reset_index()
