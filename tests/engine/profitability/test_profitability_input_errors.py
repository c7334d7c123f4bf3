"""Bad input: errors name pool, period and count and stop everything; over-capacity warns."""

from __future__ import annotations

import pyarrow as pa
import pytest
from profitability_ledgers import (
    HAND_ACTIVITIES,
    HAND_INVOICES,
    HAND_POOLS,
    HAND_REBATES,
    write_ledger,
)

from openkam.engine.profitability import (
    ProfitabilityInputError,
    compute_profitability,
    profitability_report,
)


def _issues(excinfo):
    return sorted((i.reason, i.table, i.pool, i.period, i.count) for i in excinfo.value.issues)


def test_activities_without_pool_cost_and_bad_capacity(tmp_path):
    activities = [
        *HAND_ACTIVITIES,
        # No "kitting" pool at all, and no order_handling cost for April.
        ("2024-01-03", "A", "kitting", "1", "K1"),
        ("2024-01-04", "B", "kitting", "2", "K2"),
        ("2024-04-02", "A", "order_handling", "1", "K3"),
    ]
    pools = [*HAND_POOLS, ("samples", "2024-01-01", "2024-01-31", "10.00", "0", "box")]
    data = write_ledger(tmp_path, HAND_INVOICES, HAND_REBATES, activities, pools)
    with pytest.raises(ProfitabilityInputError) as excinfo:
        profitability_report(data, "month")
    assert _issues(excinfo) == [
        ("capacity_not_positive", "cost_pools", "samples", "2024-01", 1),
        ("no_pool_cost", "activities", "kitting", "2024-01", 2),
        ("no_pool_cost", "activities", "order_handling", "2024-04", 1),
    ]
    message = str(excinfo.value)
    assert "3 problem(s)" in message and "kitting" in message and "2024-04" in message


def test_overlapping_periods_reserved_name_and_cycles(tmp_path):
    pools = [
        *HAND_POOLS,
        ("visits", "2024-03-01", "2024-04-30", "100.00", "1", "visit"),
        ("credit_cost", "2024-01-01", "2024-12-31", "1.00", "1", "day"),
    ]
    data = write_ledger(tmp_path, HAND_INVOICES, HAND_REBATES, HAND_ACTIVITIES, pools)
    hierarchy = pa.table({"account_id": ["A", "B"], "parent_account_id": ["B", "A"]})
    with pytest.raises(ProfitabilityInputError) as excinfo:
        compute_profitability(data, hierarchy=hierarchy)
    assert _issues(excinfo) == [
        ("hierarchy_cycle", "accounts", None, None, 2),
        ("overlapping_pool_periods", "cost_pools", "visits", "2024-03-01/2024-04-30", 1),
        ("reserved_pool", "cost_pools", "credit_cost", "2024", 1),
    ]


def test_unknown_accounts_when_an_account_list_is_given(tmp_path):
    data = write_ledger(tmp_path, HAND_INVOICES, HAND_REBATES, HAND_ACTIVITIES, HAND_POOLS)
    with pytest.raises(ProfitabilityInputError) as excinfo:
        compute_profitability(data, accounts=["A", "B", "D"])
    # C has order_handling activities in Jan (1) and Feb (1) and a visit in Feb (1); Z has
    # two invoice lines in January.
    assert _issues(excinfo) == [
        ("unknown_account", "activities", "order_handling", "2024-01", 1),
        ("unknown_account", "activities", "order_handling", "2024-02", 1),
        ("unknown_account", "activities", "visits", "2024-02", 1),
        ("unknown_account", "invoices", None, "2024-01", 2),
    ]
    # With every account known, the same ledger computes.
    compute_profitability(data, accounts=["A", "B", "C", "D", "Z"])


def test_over_capacity_is_reported_not_hidden(tmp_path):
    pools = [("visits", "2024-01-01", "2024-03-31", "900.00", "3", "visit")]
    activities = [a for a in HAND_ACTIVITIES if a[2] == "visits"]
    data = write_ledger(tmp_path, activities=activities, cost_pools=pools)
    report = profitability_report(data, "quarter")
    # 4 visits against a capacity of 3 at 300.00 each: allocated 1200.00, unused −300.00.
    assert report["pools"][0] | {} == {
        **report["pools"][0],
        "cost": 900.00,
        "allocated": 1200.00,
        "unused": -300.00,
        "utilisation_pct": 133.33,
    }
    [warning] = report["warnings"]
    assert (warning["reason"], warning["pool"], warning["period"], warning["count"]) == (
        "over_capacity",
        "visits",
        "2024-Q1",
        3,
    )
    # 4 / 3 = 133.3 %, the quantities as people write them.
    assert warning["detail"].startswith(
        "activities use 4 visit against a practical capacity of 3 (133.3 %)"
    )
    assert report["totals"]["cost_to_serve"] == 1200.00
