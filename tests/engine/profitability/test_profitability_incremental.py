"""The per-file partial sums: a cached recompute equals a full one, after every kind of change."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from profitability_ledgers import HAND_HIERARCHY, hand_ledger, rich_ledger, write_ledger

from openkam.engine.ledger import Ledger
from openkam.engine.profitability import compute_profitability, compute_profitability_grains
from openkam.engine.profitability.incremental import cache_root


def _same(a, b) -> None:
    assert a.waterfall.num_rows > 0
    assert a.waterfall.equals(b.waterfall)
    assert a.cost_by_pool.equals(b.cost_by_pool)
    assert a.pools.equals(b.pools)
    assert a.warnings == b.warnings
    assert a.as_of == b.as_of


def _partials(data, table: str) -> list[str]:
    return sorted(p.name for p in (cache_root(Ledger(data)) / table).glob("*.parquet"))


@pytest.mark.parametrize(
    "options",
    [
        {},
        dict(hierarchy=HAND_HIERARCHY, date_from="2023-02-10", date_to="2024-11-30"),
        dict(account_ids=["A", "R007"], date_from="2023-05-01", as_of="2025-01-31"),
    ],
)
def test_cached_recompute_equals_the_full_one(tmp_path, options):
    data = rich_ledger(tmp_path)
    full = compute_profitability_grains(data, **options)
    first = compute_profitability_grains(data, cache=True, **options)  # builds the partials
    again = compute_profitability_grains(data, cache=True, **options)  # reads them only
    for grain in full:
        _same(full[grain], first[grain])
        _same(full[grain], again[grain])
    # One partial per ledger file (the rich ledger writes three per table).
    assert len(_partials(data, "invoices")) == 3
    assert len(_partials(data, "activities")) == 3


def test_a_new_file_is_the_only_one_aggregated(tmp_path):
    data = rich_ledger(tmp_path)
    compute_profitability(data, "quarter", cache=True)
    before = _partials(data, "invoices")
    # An import adds a file: a late invoice of account A, on credit, still open.
    extra = tmp_path / "extra"
    write_ledger(
        extra,
        invoices=[
            ("LATE1", 1, "2024-12-30", "A", "P9", "3", "12.5", "1.50", "20.00", "2025-01-30", None)
        ],
    )
    new_file = data / "ledger" / "invoices" / "part-late.parquet"
    shutil.copy(next((extra / "ledger" / "invoices").glob("*.parquet")), new_file)
    cached = compute_profitability(data, "quarter", cache=True)
    after = _partials(data, "invoices")
    assert set(before) < set(after) and len(after) == len(before) + 1
    _same(compute_profitability(data, "quarter"), cached)
    # The new line is in A's 2024-Q4 gross sales: 3 × 12.5 = 37.50 more than before.
    new_file.unlink()
    without = compute_profitability(data, "quarter", cache=True)
    assert _partials(data, "invoices") == before  # the partial of the deleted file is gone

    def gross(result):
        rows = result.waterfall.filter(
            (result.waterfall["account_id"].to_numpy(zero_copy_only=False) == "A")
            & (result.waterfall["period"].to_numpy(zero_copy_only=False) == "2024-Q4")
        )
        return rows["gross_sales"][0].as_py()

    assert gross(cached) - gross(without) == Decimal("37.50")


def test_a_replaced_file_is_aggregated_again_and_changed_pools_reuse_the_partials(tmp_path):
    import pyarrow as pa
    import pyarrow.compute as pc

    data = rich_ledger(tmp_path)
    compute_profitability(data, "month", cache=True)
    activities_before = _partials(data, "activities")
    # An import replaces one invoice file (here: its first row left out, a new mtime).
    path = sorted((data / "ledger" / "invoices").glob("*.parquet"))[0]
    pq.write_table(pq.read_table(path).slice(1), path)
    # A new cost for the same pool periods: activities keep their pool periods, so their
    # partials stay; the new rates apply after aggregation.
    pools_file = next((data / "ledger" / "cost_pools").glob("*.parquet"))
    pools = pq.read_table(pools_file)
    doubled = pc.multiply(pools["cost"], pa.scalar(Decimal(2), pa.decimal128(1, 0)))
    pools = pools.set_column(
        pools.schema.get_field_index("cost"), "cost", doubled.cast(pools.schema.field("cost").type)
    )
    pq.write_table(pools, pools_file)
    cached = compute_profitability(data, "month", cache=True)
    _same(compute_profitability(data, "month"), cached)
    assert _partials(data, "activities") == activities_before
    assert len(_partials(data, "invoices")) == 3
    # Two monthly pool periods merged into one: activities are summed per month, and their
    # pool period is looked up after the partials are added up, so the partials still serve.
    rows = sorted(pools.to_pylist(), key=lambda r: (r["pool"], r["period_start"]))
    first = next(i for i, r in enumerate(rows) if r["pool"] == "order_handling")
    rows[first]["period_end"] = rows[first + 1]["period_end"]
    del rows[first + 1]
    pq.write_table(pa.Table.from_pylist(rows, schema=pools.schema), pools_file)
    cached = compute_profitability(data, "month", cache=True)
    _same(compute_profitability(data, "month"), cached)
    assert _partials(data, "activities") == activities_before


def test_folders_of_earlier_cache_versions_are_removed(tmp_path):
    data = rich_ledger(tmp_path)
    earlier = cache_root(Ledger(data)).parent / "profitability-v1"
    (earlier / "invoices").mkdir(parents=True)
    (earlier / "invoices" / "part-00000-1-2.parquet").write_bytes(b"old")
    compute_profitability(data, "month", cache=True)
    assert not earlier.exists()
    assert _partials(data, "invoices")


def test_cases_the_partials_cannot_answer_read_the_ledger(tmp_path, caplog):
    # An as-of date before an open receivable: that line must be left out.
    data = hand_ledger(tmp_path / "hand")
    early = dict(as_of="2024-01-20")
    _same(
        compute_profitability(data, "month", **early),
        compute_profitability(data, "month", cache=True, **early),
    )
    # Pool periods that do not follow month boundaries.
    data = write_ledger(
        tmp_path / "odd",
        invoices=[("I1", 1, "2024-01-10", "A", "P", "2", "10", "0", "5", None, None)],
        activities=[
            ("2024-01-10", "A", "orders", "1", "X1"),
            ("2024-01-20", "A", "orders", "2", "X2"),
        ],
        cost_pools=[
            ("orders", "2024-01-01", "2024-01-15", "100.00", "10", "order"),
            ("orders", "2024-01-16", "2024-01-31", "100.00", "10", "order"),
        ],
    )
    _same(compute_profitability(data, "month"), compute_profitability(data, "month", cache=True))
    assert _partials(data, "activities") == []
    # A cache folder that cannot be written: the cache turns itself off.
    data = hand_ledger(tmp_path / "locked")
    (data / "cache").write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        cached = compute_profitability(data, "month", cache=True)
    assert "cache off" in caplog.text
    _same(compute_profitability(data, "month"), cached)


def test_as_of_moves_open_receivables_exactly(tmp_path):
    # The credit cost of an open receivable grows with the as-of date; the partials store
    # Σ amount and Σ amount × day, and must give the same cents as the full recompute.
    data = hand_ledger(tmp_path)
    for as_of in (dt.date(2024, 6, 30), dt.date(2025, 3, 31)):
        _same(
            compute_profitability(data, "month", as_of=as_of),
            compute_profitability(data, "month", cache=True, as_of=as_of),
        )


@pytest.mark.spark
def test_cached_recompute_on_spark_equals_duckdb(tmp_path, spark):
    data = rich_ledger(tmp_path)
    on_duckdb = compute_profitability(data, "quarter")
    compute_profitability(data, "quarter", engine="spark", cache=True)
    _same(on_duckdb, compute_profitability(data, "quarter", engine="spark", cache=True))


def test_temporary_files_of_a_dead_writer_are_removed(tmp_path):
    import os
    import time

    data = hand_ledger(tmp_path)
    compute_profitability(data, "month", cache=True)
    folder = cache_root(Ledger(data)) / "invoices"
    old = folder / ".part-x.parquet.123.abc.tmp"
    fresh = folder / ".part-y.parquet.456.def.tmp"
    old.write_bytes(b"half a file")
    fresh.write_bytes(b"being written")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    compute_profitability(data, "month", cache=True)
    assert not old.exists() and fresh.exists()  # a writer may still be busy with the fresh one


def test_credit_sums_are_exact_on_both_sides_of_the_int64_limit():
    # paid + open_amount × as_of − open_day, checked against Python integers: small sums go
    # through int64, sums that could pass 2**62 through Python integers, both exactly.
    import numpy as np

    from openkam.engine.profitability.incremental import _exact

    small = [np.array([5, -7], np.int64), np.array([3, 0], np.int64), np.array([11, 2], np.int64)]
    out = _exact(*small, as_of=9_500)
    assert out.dtype == np.int64 and out.tolist() == [5 + 3 * 9_500 - 11, -7 - 2]
    big = [np.array([1], np.int64), np.array([2**60], np.int64), np.array([3], np.int64)]
    out = _exact(*big, as_of=9_500)
    assert out.dtype == object and out.tolist() == [1 + 2**60 * 9_500 - 3]
