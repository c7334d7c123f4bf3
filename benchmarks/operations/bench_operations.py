"""Operations benchmarks: allocation of 1M open order lines over 10k products, and service
levels (OTIF, fill rate, lead time) over a 10M-line order ledger.

Allocation: OpenKAM's engine (NumPy, vectorised over all products at once) against a
straightforward pandas implementation of the same default policy (per product, receipt by
receipt: protected quantities first, then pro rata, largest remainder, earliest order), in
the same run, and the two results are checked identical line by line.

Service levels: ``engine.operations.service_levels`` on DuckDB over Parquet against a pandas
peer computing the same measures (read, merge, group), results checked identical, and a
bare DuckDB scan of the columns the query needs as the storage floor.

    python benchmarks/operations/bench_operations.py [--lines 1e6] [--products 10000]
        [--service-lines 1e7] [--skip-peer]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from openkam.engine.operations import Protection, allocate, service_levels
from openkam.engine.schema import KINDS

AS_OF = dt.date(2025, 6, 30)
EPOCH = dt.date(1970, 1, 1)


# --- allocation --------------------------------------------------------------------------------


def allocation_case(n_lines: int, n_products: int, seed: int = 7):
    """Open lines, supply (1–3 receipts per product, a third of products short) and 300
    commitments of 50 key accounts on products they have open lines for."""
    rng = np.random.default_rng(seed)
    n_accounts = 20_000
    product = rng.integers(0, n_products, n_lines)
    account = rng.integers(0, n_accounts, n_lines)
    key = account < 50
    qty = rng.integers(1, 51, n_lines)
    day = (AS_OF - EPOCH).days - rng.integers(0, 30, n_lines)
    lines = pa.table(
        {
            "order_id": pa.array([f"SO-{i:07d}" for i in range(n_lines)]),
            "line_no": pa.array(np.ones(n_lines, dtype=np.int32)),
            "account_id": pa.array([f"ACC-{a:05d}" for a in account]),
            "product_id": pa.array([f"P-{p:05d}" for p in product]),
            "order_date": pa.array(day.astype("datetime64[D]")),
            "open_quantity": pa.array(qty.astype(np.int64))
            .cast(pa.int32())
            .cast(pa.decimal128(18, 3)),
        }
    )
    demand = np.bincount(product, weights=qty, minlength=n_products)
    factor = np.where(rng.random(n_products) < 0.33, rng.uniform(0.3, 0.9, n_products), 1.2)
    total = np.floor(demand * factor).astype(np.int64)
    rows = []
    for p in range(n_products):
        k = int(rng.integers(1, 4))
        parts = np.diff(np.r_[0, np.sort(rng.integers(0, total[p] + 1, k - 1)), total[p]])
        for j, units in enumerate(parts):
            if units > 0:
                rows.append((f"P-{p:05d}", AS_OF + dt.timedelta(days=7 * j), int(units)))
    supply = pa.table(
        {
            "product_id": [r[0] for r in rows],
            "available_date": pa.array([r[1] for r in rows], pa.date32()),
            "quantity": pa.array([r[2] for r in rows], pa.int64())
            .cast(pa.int32())
            .cast(pa.decimal128(18, 3)),
        }
    )
    key_idx = np.flatnonzero(key)
    chosen = rng.choice(key_idx, min(300, len(key_idx)), replace=False)
    protections = [
        Protection(
            f"COM-{i:03d}",
            f"ACC-{account[j]:05d}",
            (f"P-{product[j]:05d}",),
            int(rng.integers(5, 60)),
        )
        for i, j in enumerate(chosen)
    ]
    return lines, supply, protections


def pandas_protect(lines: pa.Table, supply: pa.Table, protections, as_of: dt.date):
    """The default policy, written plainly with pandas: per product, per receipt in date
    order, claims first (pro rata to their claims when short), then the rest pro rata to
    the open quantity; whole units by largest remainder, ties to the earliest order."""
    df = lines.to_pandas()
    df["units"] = df["open_quantity"].astype(float).astype(np.int64)
    df = df.sort_values(["order_date", "order_id", "line_no"]).reset_index(drop=True)
    df["seq"] = np.arange(len(df))
    sup = supply.to_pandas()
    sup["available_date"] = pd.to_datetime(sup["available_date"]).dt.date.clip(lower=as_of)
    sup["quantity"] = sup["quantity"].astype(float).astype(np.int64)
    sup = sup.groupby(["product_id", "available_date"], as_index=False)["quantity"].sum()
    claims = {}
    for c in protections:
        for p in c.products:
            claims.setdefault((c.account_id, p), [0, c.commitment_id])[0] += c.quantity
    df["claim"] = [
        f"{a}|{p}" if (a, p) in claims else None
        for a, p in zip(df["account_id"], df["product_id"], strict=True)
    ]
    left = {f"{a}|{p}": v[0] for (a, p), v in claims.items()}
    df["confirmed"] = 0
    df["protected"] = 0
    df["date"] = None

    def pro_rata(weights: pd.Series, amount: int, seq: pd.Series) -> pd.Series:
        total = int(weights.sum())
        give = min(amount, total)
        if total == 0 or give == 0:
            return weights * 0
        exact = weights * give
        base = exact // total
        rem = exact - base * total
        extra = give - int(base.sum())
        order = pd.DataFrame({"rem": rem, "seq": seq}).sort_values(
            ["rem", "seq"], ascending=[False, True]
        )
        winners = order.index[:extra]
        base.loc[winners] += 1
        return base

    by_product = dict(tuple(df.groupby("product_id")))
    out = []
    for product, g in by_product.items():
        g = g.copy()
        receipts = sup[sup["product_id"] == product].sort_values("available_date")
        for _, receipt in receipts.iterrows():
            avail = int(receipt["quantity"])
            remaining = g["units"] - g["confirmed"]
            got = remaining * 0
            claimed = g[(g["claim"].notna()) & (remaining > 0)]
            if len(claimed):
                wants = {}
                for claim, lines_of_claim in claimed.groupby("claim"):
                    wants[claim] = min(left[claim], int(remaining[lines_of_claim.index].sum()))
                names = sorted(wants)
                want_s = pd.Series([wants[n] for n in names], index=names)
                first = pd.Series(
                    [int(claimed[claimed["claim"] == n]["seq"].min()) for n in names], index=names
                )
                grants = pro_rata(want_s, avail, first)
                for claim in names:
                    members = claimed[claimed["claim"] == claim]
                    part = pro_rata(remaining[members.index], int(grants[claim]), members["seq"])
                    got.loc[members.index] += part
                    left[claim] -= int(grants[claim])
                g.loc[got.index, "protected"] += got
                avail -= int(grants.sum())
            rest = remaining - got
            open_ = rest[rest > 0]
            if len(open_) and avail > 0:
                got.loc[open_.index] += pro_rata(open_, avail, g.loc[open_.index, "seq"])
            g.loc[got > 0, "date"] = receipt["available_date"]
            g["confirmed"] += got
        out.append(g)
    result = pd.concat(out).sort_values("seq")
    return result


def bench_allocation(n_lines: int, n_products: int, skip_peer: bool) -> dict:
    lines, supply, protections = allocation_case(n_lines, n_products)
    t = time.perf_counter()
    cpu = time.process_time()
    result = allocate(lines, supply, protections=protections, as_of=AS_OF)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    figures = {
        "lines": n_lines,
        "products": n_products,
        "supply_rows": supply.num_rows,
        "protections": len(protections),
        "engine_s": round(wall, 2),
        "engine_cpu_s": round(cpu, 2),
        "confirmed_units": int(result.confirmed.sum()),
        "short_lines": int((result.short > 0).sum()),
        "protected_units": int(result.protected.sum()),
    }
    if not skip_peer:
        t = time.perf_counter()
        peer = pandas_protect(lines, supply, protections, AS_OF)
        figures["pandas_s"] = round(time.perf_counter() - t, 2)
        # Compare line by line in the lines' own order (the engine keeps the input order).
        order = {oid: i for i, oid in enumerate(lines["order_id"].to_pylist())}
        peer_conf = np.zeros(n_lines, dtype=np.int64)
        peer_conf[[order[o] for o in peer["order_id"]]] = peer["confirmed"].to_numpy()
        same_units = bool(np.array_equal(peer_conf, result.confirmed))
        peer_dates = [None] * n_lines
        for o, day in zip(peer["order_id"], peer["date"], strict=True):
            peer_dates[order[o]] = day
        same_dates = peer_dates == result.confirmed_date
        figures["identical"] = same_units and same_dates
        figures["speed_up"] = round(figures["pandas_s"] / figures["engine_s"], 1)
    return figures


# --- service levels ----------------------------------------------------------------------------


def write_order_ledger(root: Path, n_lines: int, seed: int = 11) -> None:
    """An order ledger of ``n_lines`` lines over three years and their deliveries (about 6 %
    late, 4 % in two parts), as the demo writes them, in the ledger's Parquet format."""
    from openkam.engine.ledger import open_ledger_writer

    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    orders_dir, deliveries_dir = root / "ledger" / "orders", root / "ledger" / "deliveries"
    orders_dir.mkdir(parents=True)
    deliveries_dir.mkdir(parents=True)
    start = (dt.date(2023, 1, 1) - EPOCH).days
    o_schema, d_schema = KINDS["orders"].arrow_schema, KINDS["deliveries"].arrow_schema
    for part, first in enumerate(range(0, n_lines, chunk)):
        n = min(chunk, n_lines - first)
        ids = np.arange(first, first + n)
        ordered = start + np.sort(rng.integers(0, 1095, n))
        promise = ordered + rng.integers(5, 11, n)
        late = rng.random(n) < 0.06
        delivered = promise + np.where(late, rng.integers(1, 7, n), -rng.integers(0, 3, n))
        qty = rng.integers(1, 200, n)
        split = (rng.random(n) < 0.04) & (qty >= 2)
        first_part = np.where(split, np.floor(qty * 0.7).astype(np.int64), qty)
        order_ids = pa.array([f"SO-{i:010d}" for i in ids])
        orders = pa.table(
            {
                "order_id": order_ids,
                "line_no": pa.array(np.ones(n, np.int32)),
                "order_date": pa.array(ordered.astype("datetime64[D]")),
                "account_id": pa.array([f"ACC-{a:05d}" for a in rng.integers(0, 2000, n)]),
                "product_id": pa.array([f"P-{p:04d}" for p in rng.integers(0, 3000, n)]),
                "quantity": pa.array(qty).cast(pa.int32()).cast(pa.decimal128(18, 3)),
                "requested_date": pa.array(promise.astype("datetime64[D]")),
                "promised_date": pa.array(promise.astype("datetime64[D]")),
            }
        ).cast(o_schema)
        rest = np.flatnonzero(split)
        deliveries = pa.table(
            {
                "order_id": pa.concat_arrays([order_ids, order_ids.take(rest)]),
                "line_no": pa.array(np.ones(n + len(rest), np.int32)),
                "delivery_date": pa.array(
                    np.r_[delivered, delivered[rest] + rng.integers(3, 11, len(rest))].astype(
                        "datetime64[D]"
                    )
                ),
                "quantity": pa.array(np.r_[first_part, qty[rest] - first_part[rest]])
                .cast(pa.int32())
                .cast(pa.decimal128(18, 3)),
            }
        ).cast(d_schema)
        for folder, table in ((orders_dir, orders), (deliveries_dir, deliveries)):
            writer = open_ledger_writer(folder / f"part-{part:05d}.parquet", table.schema)
            writer.write_table(table, row_group_size=256 * 1024)
            writer.close()


def pandas_service(root: Path, as_of: dt.date) -> pd.DataFrame:
    """The same measures per account and month, with pandas (float quantities)."""
    o = pd.read_parquet(
        root / "ledger" / "orders",
        columns=["order_id", "line_no", "order_date", "account_id", "quantity", "promised_date"],
    )
    d = pd.read_parquet(root / "ledger" / "deliveries")
    as_of = pd.Timestamp(as_of)
    for frame, cols in ((o, ["order_date", "promised_date"]), (d, ["delivery_date"])):
        for c in cols:
            frame[c] = pd.to_datetime(frame[c])
    o["quantity"] = o["quantity"].astype(float)
    d["quantity"] = d["quantity"].astype(float)
    o = o[o["promised_date"] <= as_of]
    d = d[d["delivery_date"] <= as_of].merge(
        o[["order_id", "line_no", "promised_date"]], on=["order_id", "line_no"]
    )
    d["on_time"] = np.where(d["delivery_date"] <= d["promised_date"], d["quantity"], 0.0)
    per_line = d.groupby(["order_id", "line_no"]).agg(
        delivered=("quantity", "sum"), on_time=("on_time", "sum"), last=("delivery_date", "max")
    )
    lines = o.merge(per_line, on=["order_id", "line_no"], how="left")
    lines[["delivered", "on_time"]] = lines[["delivered", "on_time"]].fillna(0.0)
    lines["otif"] = (lines["on_time"] >= lines["quantity"]).astype(int)
    lines["filled"] = np.minimum(lines["on_time"], lines["quantity"])
    full = lines["delivered"] >= lines["quantity"]
    lines["lead"] = np.where(full, (lines["last"] - lines["order_date"]).dt.days, np.nan)
    lines["period"] = lines["promised_date"].dt.strftime("%Y-%m")
    g = lines.groupby(["account_id", "period"]).agg(
        order_lines=("otif", "size"),
        otif_lines=("otif", "sum"),
        ordered=("quantity", "sum"),
        filled=("filled", "sum"),
        lead=("lead", "mean"),
    )
    g["otif_pct"] = (100 * g["otif_lines"] / g["order_lines"]).round(2)
    g["fill_rate_pct"] = (100 * g["filled"] / g["ordered"]).round(2)
    g["avg_lead_time_days"] = g["lead"].round(2)
    return g.reset_index()


def bench_service(n_lines: int, skip_peer: bool) -> dict:
    import duckdb

    root = Path(tempfile.mkdtemp(prefix="openkam-bench-ops-"))
    try:
        t = time.perf_counter()
        write_order_ledger(root, n_lines)
        figures = {"lines": n_lines, "generate_s": round(time.perf_counter() - t, 1)}
        as_of = dt.date(2025, 12, 31)
        best = None
        for _ in range(3):
            t, cpu = time.perf_counter(), time.process_time()
            report = service_levels(root, "month", as_of=as_of)
            run = (time.perf_counter() - t, time.process_time() - cpu)
            best = run if best is None or run[0] < best[0] else best
        figures["engine_s"], figures["engine_cpu_s"] = round(best[0], 2), round(best[1], 2)
        figures["rows"] = len(report["rows"])
        con = duckdb.connect()
        t = time.perf_counter()
        con.execute(
            "SELECT count(*), sum(quantity), max(promised_date), max(order_date), "
            "count(DISTINCT order_id) FROM read_parquet($o)",
            {"o": str(root / "ledger" / "orders" / "*.parquet")},
        ).fetchall()
        con.execute(
            "SELECT count(*), sum(quantity), max(delivery_date) FROM read_parquet($d)",
            {"d": str(root / "ledger" / "deliveries" / "*.parquet")},
        ).fetchall()
        figures["duckdb_scan_s"] = round(time.perf_counter() - t, 2)
        if not skip_peer:
            t = time.perf_counter()
            peer = pandas_service(root, as_of)
            figures["pandas_s"] = round(time.perf_counter() - t, 2)
            mine = {
                (r["account_id"], r["period"]): (
                    r["order_lines"],
                    r["otif_lines"],
                    r["otif_pct"],
                    r["fill_rate_pct"],
                    r["avg_lead_time_days"],
                )
                for r in report["rows"]
            }
            theirs = {
                (r.account_id, r.period): (
                    int(r.order_lines),
                    int(r.otif_lines),
                    float(r.otif_pct),
                    float(r.fill_rate_pct),
                    None if pd.isna(r.avg_lead_time_days) else float(r.avg_lead_time_days),
                )
                for r in peer.itertuples()
            }
            figures["identical"] = mine == theirs
            figures["speed_up"] = round(figures["pandas_s"] / figures["engine_s"], 1)
        return figures
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- service levels on the demo ledger, against profitability --------------------------------


def _demo_ledger(root: Path) -> Path:
    """The 10M-line demo ledger the profitability benchmark uses (made once, reused)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "profitability"))
    from bench_profitability import _ledger

    return _ledger(root, "10M")


def _timed(run) -> tuple[float, float, object]:
    t, cpu = time.perf_counter(), _cpu()
    value = run()
    return time.perf_counter() - t, _cpu() - cpu, value


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_demo(root: Path, repeat: int) -> dict:
    """OTIF, fill rate, lead time and backorders per account and month over the demo's
    order lines and deliveries, three ways, and the profitability recompute of the same
    ledger, in the same process and run (interleaved, best of ``repeat`` each):

    - ``join``: ``service_levels(cache=False)``, the deliveries joined to the order lines;
    - ``fulfilment``: ``service_levels(cache=True)`` from the per-line fulfilment kept per
      order file (made beforehand: what an import leaves);
    - ``profitability``: ``compute_profitability(ledger, "month")``, a full recompute.

    Also the cost of making the fulfilment: from nothing (every order file joined, as
    after the demo or a deleted cache) and after an import of one new order file (its
    file joined again). The two service reports are compared row by row.
    """
    import duckdb

    from openkam.engine.ledger import Ledger
    from openkam.engine.operations import Fulfilment
    from openkam.engine.operations.fulfilment import cache_root
    from openkam.engine.profitability import compute_profitability

    data_dir = _demo_ledger(root)
    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 2")
    con.execute("SET enable_progress_bar = false")
    ledger = Ledger(data_dir, connection=con)
    orders = ledger.files("orders")
    figures = {
        "order_lines": sum(pq.read_metadata(f).num_rows for f in orders),
        "deliveries": sum(pq.read_metadata(f).num_rows for f in ledger.files("deliveries")),
        "invoice_lines": sum(pq.read_metadata(f).num_rows for f in ledger.files("invoices")),
        "order_files": len(orders),
    }
    shutil.rmtree(cache_root(ledger), ignore_errors=True)
    wall, cpu, _ = _timed(lambda: Fulfilment(ledger).refresh())
    figures["make_all_s"], figures["make_all_cpu_s"] = round(wall, 2), round(cpu, 2)
    largest = max(orders, key=lambda f: f.stat().st_size)
    for made in cache_root(ledger).glob(f"{largest.stem}-*.parquet"):
        made.unlink()
    wall, cpu, _ = _timed(lambda: Fulfilment(ledger).refresh())
    figures["make_one_file_s"], figures["make_one_file_cpu_s"] = round(wall, 2), round(cpu, 2)
    figures["make_one_file_lines"] = pq.read_metadata(largest).num_rows

    runs = {
        "join": lambda: service_levels(ledger, "month", cache=False),
        "fulfilment": lambda: service_levels(ledger, "month", cache=True),
        "profitability": lambda: compute_profitability(ledger, "month"),
    }
    best: dict = {}
    results: dict = {}
    for _ in range(repeat):
        for name, run in runs.items():
            wall, cpu, value = _timed(run)
            results[name] = value
            if name not in best or wall < best[name][0]:
                best[name] = (wall, cpu)
    for name, (wall, cpu) in best.items():
        figures[f"{name}_s"], figures[f"{name}_cpu_s"] = round(wall, 2), round(cpu, 2)
    figures["rows"] = len(results["fulfilment"]["rows"])
    figures["identical"] = results["join"] == results["fulfilment"]
    figures["fulfilment_vs_profitability"] = round(
        best["fulfilment"][0] / best["profitability"][0], 2
    )
    figures["load_after"] = round(os.getloadavg()[0], 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=float, default=1e6)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--service-lines", type=float, default=1e7)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--only", choices=["allocation", "service", "demo"])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (demo), best kept")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("/tmp/openkam-bench"),
        help="where the profitability benchmark keeps its demo ledgers (demo)",
    )
    args = parser.parse_args()
    print(
        f"{dt.datetime.now():%Y-%m-%d %H:%M} on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    if args.only in (None, "allocation"):
        print("allocation:", bench_allocation(int(args.lines), args.products, args.skip_peer))
    if args.only in (None, "service"):
        print("service levels:", bench_service(int(args.service_lines), args.skip_peer))
    if args.only in (None, "demo"):
        print("demo ledger:", bench_demo(args.data_dir, args.repeat))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"peak RSS {peak:.2f} GiB")


if __name__ == "__main__":
    main()
