"""Benchmark: the product mix (``openkam.engine.profitability.product_mix``) on a demo ledger.

Usage (from the repository root; the ledger is the one ``bench_profitability.py`` makes)::

    python benchmarks/profitability/bench_product_mix.py --data-dir /tmp/openkam-bench/ledger-10M

Times, best of ``--repeat`` in one process after one warm-up run: one year of every account
by product line and by product, and one year of one account (the account page). The peer is
a straightforward pandas version of the portfolio's mix by product line (the invoice columns
read with pyarrow, decimals as float64, merged with the product list, grouped); its invoice
margin is compared with the engine's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from pandas_peer import _read as peer_read  # the waterfall peer's reader

from openkam.engine.ledger import Ledger
from openkam.engine.profitability import product_mix

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def pandas_mix(data_dir: Path, product_lines: pd.DataFrame) -> pd.DataFrame:
    # The invoice columns read as the waterfall's peer reads them (decimals cast to float64
    # in Arrow: converting Python Decimal objects in pandas would be far slower).
    columns = ["invoice_date", "account_id", "product_id", "quantity", "unit_list_price"]
    inv = peer_read(data_dir, "invoices", [*columns, "discount_amount", "cogs_amount"])
    year = (pd.Timestamp(YEAR[0]), pd.Timestamp(YEAR[1]))
    inv = inv[(inv["invoice_date"] >= year[0]) & (inv["invoice_date"] <= year[1])]
    inv = inv.merge(product_lines, on="product_id", how="left")
    inv["gross_sales"] = inv["quantity"] * inv["unit_list_price"]
    out = inv.groupby("product_line").agg(
        gross_sales=("gross_sales", "sum"),
        discounts=("discount_amount", "sum"),
        cogs=("cogs_amount", "sum"),
        accounts=("account_id", "nunique"),
    )
    out["invoice_margin"] = out["gross_sales"] - out["discounts"] - out["cogs"]
    return out


def best(repeat: int, run) -> tuple[float, object]:
    result = run()  # warm-up: the first scans of a process are slower
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/openkam-bench/ledger-10M"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    products = pq.read_table(args.data_dir / "demo" / "products.parquet").to_pandas()
    lines = dict(zip(products["product_id"], products["product_line"], strict=True))
    ledger = Ledger(args.data_dir)
    invoices = ledger.table("invoices")
    account = pq.read_table(args.data_dir / "demo" / "accounts.parquet")["account_id"][0]
    cases = {
        "all accounts, by product line": lambda: product_mix(
            invoices, "product_line", product_lines=lines, start=YEAR[0], end=YEAR[1]
        ),
        "all accounts, by product": lambda: product_mix(
            invoices, "product", product_lines=lines, start=YEAR[0], end=YEAR[1]
        ),
        f"one account ({account.as_py()}), by product": lambda: product_mix(
            invoices,
            "product",
            product_lines=lines,
            account_ids=[account.as_py()],
            start=YEAR[0],
            end=YEAR[1],
        ),
    }
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {args.data_dir}, best of {args.repeat}")
    print("| case | OpenKAM (DuckDB) | pandas peer |\n|---|---:|---:|")
    results = {}
    for name, run in cases.items():
        seconds, results[name] = best(args.repeat, run)
        print(f"| {name} | {seconds:.3f} s | |")
    peer_lines = products[["product_id", "product_line"]]
    seconds, peer = best(args.repeat, lambda: pandas_mix(args.data_dir, peer_lines))
    print(f"| all accounts, by product line | | {seconds:.2f} s |")
    engine = results["all accounts, by product line"].totals["invoice_margin"]
    print(f"Σ invoice margin: OpenKAM {engine:,.2f}, pandas {peer['invoice_margin'].sum():,.2f}")


if __name__ == "__main__":
    main()
