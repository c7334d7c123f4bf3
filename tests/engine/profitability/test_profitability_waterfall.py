"""The waterfall, cost-to-serve, credit cost, roll-up and whale curve on a hand-computed ledger.

The ledger is ``HAND_*`` in profitability_ledgers.py. Every expected figure below was worked
out by hand from it (the working is in the comments); nothing is copied from the engine.

Pools (TDABC rate = cost / capacity, Kaplan & Anderson 2004):
  order_handling 2024-01: 1000.00 / 100 = 10.00 per order line
  order_handling 2024-02: 1000.00 / 300 = 3.3333… per order line
  visits 2024-Q1:           900.00 / 7   = 128.571428… per visit
A pool period's allocated cost is used × rate rounded once, split over the accounts by
largest remainder (DESIGN §4): visits Q1 used 4 of 7 → 900 × 4/7 = 514.2857 → 514.29;
exact shares A 128.5714, C 257.1429, B 128.5714 → floors 128.57 + 257.14 + 128.57 = 514.28,
the cent left goes to the largest remainder (C, .29 of a cent against .14): C 257.15.
Credit cost = amount × 8 % × days / 365; as-of date = latest invoice or payment date in the
ledger = 2024-02-24 (I4's payment).
"""

from __future__ import annotations

import numpy as np
import pytest
from profitability_ledgers import HAND_HIERARCHY, hand_ledger

from openkam.engine.profitability import profitability_report, whale_curve_report

MONEY = (
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


def _row(*values, pools, pct):
    return {**dict(zip(MONEY, values, strict=True)), "cost_by_pool": pools, "pct": pct}


EXPECTED_MONTH_ROWS = {
    # A Jan: gross 10×100 + 3×33.3333 = 1099.9999 → 1100.00; discount 50; rebate 30;
    # cogs 600+60; order handling 2×10.00; visit 1×128.5714 → 128.57;
    # credit: I1/1 (1000−50)=950 × 0.08 × 40/365 = 8.3288 → 8.33 (I1/2 has no dates: cash).
    # CTS 20+128.57+8.33 = 156.90; NC 360−156.90 = 203.10; 203.10/1020 = 19.91 %.
    ("A", "2024-01"): _row(
        1100.00,
        50.00,
        1050.00,
        30.00,
        1020.00,
        660.00,
        360.00,
        156.90,
        203.10,
        pools={"order_handling": 20.00, "visits": 128.57, "credit_cost": 8.33},
        pct=19.91,
    ),
    # A Feb: 5×100; open receivable 500 × 0.08 × (2024-02-24 − 2024-02-05 = 19 d)/365
    # = 2.0822 → 2.08; order handling 1000×1/300 = 3.333 → 3.33. NC 200−5.41 = 194.59.
    ("A", "2024-02"): _row(
        500.00,
        0.00,
        500.00,
        0.00,
        500.00,
        300.00,
        200.00,
        5.41,
        194.59,
        pools={"order_handling": 3.33, "credit_cost": 2.08},
        pct=38.92,
    ),
    # B Jan: sale 20×50 = 1000 and return −4×50 = −200 → gross 800; discounts 100−20;
    # cogs 700−140; credit (900 − 180) × 0.08 × 30/365 = 4.7342 → 4.73;
    # order handling 2 lines × 10.00 (the return is handled too). NC 160−24.73.
    ("B", "2024-01"): _row(
        800.00,
        80.00,
        720.00,
        0.00,
        720.00,
        560.00,
        160.00,
        24.73,
        135.27,
        pools={"order_handling": 20.00, "credit_cost": 4.73},
        pct=18.79,
    ),
    # B Mar: a visit and no sales.
    ("B", "2024-03"): _row(
        0, 0, 0, 0, 0, 0, 0, 128.57, -128.57, pools={"visits": 128.57}, pct=None
    ),
    # C: activities, no sales. Jan 3×10.00; Feb 2×3.3333 = 6.667 → 6.67 and visits
    # 257.15 (its largest-remainder share of the pool's 514.29, see the module notes).
    ("C", "2024-01"): _row(
        0, 0, 0, 0, 0, 0, 0, 30.00, -30.00, pools={"order_handling": 30.00}, pct=None
    ),
    ("C", "2024-02"): _row(
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        263.82,
        -263.82,
        pools={"order_handling": 6.67, "visits": 257.15},
        pct=None,
    ),
    # D: a rebate without invoices: net sales −25; margin −25/−25 = 100 %.
    ("D", "2024-02"): _row(
        0, 0, 0, 25.00, -25.00, 0, -25.00, 0, -25.00, pools={}, pct=None
    ),  # no margin over net sales ≤ 0
    # Z: sold and fully returned: a row of zeros, margin undefined.
    ("Z", "2024-01"): _row(0, 0, 0, 0, 0, 0, 0, 0, 0, pools={}, pct=None),
}


def _check_rows(rows, expected):
    got = {(r["account_id"], r["period"]): r for r in rows}
    assert set(got) == set(expected)
    for key, want in expected.items():
        row = got[key]
        assert {m: row[m] for m in MONEY} == {m: want[m] for m in MONEY}, key
        assert row["cost_by_pool"] == want["cost_by_pool"], key
        assert row["contribution_margin_pct"] == want["pct"], key
        assert list(row)[:2] == ["account_id", "period"]


def test_month_waterfall_to_the_cent(tmp_path, engine):
    data = hand_ledger(tmp_path, files_per_table=2)
    report = profitability_report(data, "month", engine=engine)

    _check_rows(report["rows"], EXPECTED_MONTH_ROWS)
    assert all(r["scope"] == "account" for r in report["rows"])
    assert report["as_of"] == "2024-02-24"
    # Totals: gross 1100+500+800 = 2400; discounts 130; rebates 55; cogs 1520;
    # CTS 156.90+5.41+24.73+128.57+30+263.82 = 609.43; NC 695−609.43 = 85.57 = 3.86 % of 2215.
    assert report["totals"] == {
        "gross_sales": 2400.00,
        "discounts": 130.00,
        "invoiced_sales": 2270.00,
        "rebates": 55.00,
        "net_sales": 2215.00,
        "cogs": 1520.00,
        "gross_margin": 695.00,
        "cost_to_serve": 609.43,
        "net_contribution": 85.57,
        "cost_by_pool": {"credit_cost": 15.14, "order_handling": 80.00, "visits": 514.29},
        "contribution_margin_pct": 3.86,
        "accounts": 5,
    }
    # Pools: Jan 20+20+30 = 70 used of 1000; Feb 3.33+6.67 = 10; visits 128.57×2 + 257.15
    # = 514.29 = 900 × 4/7 rounded once, unused 900 − 514.29 = 385.71.
    assert [
        (p["pool"], p["period"], p["cost"], p["allocated"], p["unused"]) for p in report["pools"]
    ] == [
        ("order_handling", "2024-01", 1000.00, 70.00, 930.00),
        ("order_handling", "2024-02", 1000.00, 10.00, 990.00),
        ("visits", "2024-Q1", 900.00, 514.29, 385.71),
    ]
    assert report["warnings"] == []


def test_quarter_and_year_labels_and_cells(tmp_path):
    data = hand_ledger(tmp_path)
    quarter = profitability_report(data, "quarter")
    # A Q1 = A Jan + A Feb line by line, except credit, rounded once per (account, quarter):
    # (950×40 + 500×19) × 0.08 / 365 = 10.4110 → 10.41 (= 8.33 + 2.08 here).
    a = next(r for r in quarter["rows"] if r["account_id"] == "A")
    assert a["period"] == "2024-Q1"
    assert (a["gross_sales"], a["cost_to_serve"], a["net_contribution"]) == (
        1600.00,
        162.31,
        397.69,
    )
    assert a["cost_by_pool"] == {"order_handling": 23.33, "visits": 128.57, "credit_cost": 10.41}
    year = profitability_report(data, "year")
    assert {r["period"] for r in year["rows"]} == {"2024"}
    assert year["totals"]["net_contribution"] == 85.57


def test_window_is_widened_to_whole_periods_and_pools_costed_whole(tmp_path):
    data = hand_ledger(tmp_path)
    report = profitability_report(data, "month", date_from="2024-02-10", date_to="2024-02-20")
    assert (report["from"], report["to"]) == ("2024-02-01", "2024-02-29")
    _check_rows(report["rows"], {k: v for k, v in EXPECTED_MONTH_ROWS.items() if k[1] == "2024-02"})
    # The quarterly visits pool intersects February: it is reported over its whole quarter.
    assert [(p["pool"], p["period"], p["allocated"], p["unused"]) for p in report["pools"]] == [
        ("order_handling", "2024-02", 10.00, 990.00),
        ("visits", "2024-Q1", 514.29, 385.71),
    ]


def test_account_filter_keeps_pools_global(tmp_path):
    data = hand_ledger(tmp_path)
    report = profitability_report(data, "month", account_ids=["C"])
    assert {r["account_id"] for r in report["rows"]} == {"C"}
    # C: −30.00 − 263.82.
    assert report["totals"]["net_contribution"] == -293.82
    assert report["pools"][0]["allocated"] == 70.00


def test_subtree_rows_roll_up_whole_subtrees(tmp_path):
    data = hand_ledger(tmp_path)
    report = profitability_report(data, "month", hierarchy=HAND_HIERARCHY)
    subtree = {(r["account_id"], r["period"]): r for r in report["rows"] if r["scope"] == "subtree"}
    # P = A + B; G = P + D (G and P have no records of their own).
    assert set(subtree) == {(a, p) for a in "GP" for p in ("2024-01", "2024-02", "2024-03")}
    # P Jan = A Jan + B Jan: gross 1100+800, CTS 156.90+24.73, NC 203.10+135.27.
    p_jan = subtree[("P", "2024-01")]
    assert (p_jan["gross_sales"], p_jan["cost_to_serve"], p_jan["net_contribution"]) == (
        1900.00,
        181.63,
        338.37,
    )
    assert p_jan["cost_by_pool"] == {
        "order_handling": 40.00,
        "visits": 128.57,
        "credit_cost": 13.06,
    }
    assert p_jan["contribution_margin_pct"] == 19.45  # 338.37 / 1740
    # G Feb = A Feb + D Feb (a grandchild and a child): NC 194.59 − 25 = 169.59.
    g_feb = subtree[("G", "2024-02")]
    assert (g_feb["rebates"], g_feb["net_sales"], g_feb["net_contribution"]) == (
        25.00,
        475.00,
        169.59,
    )
    # Totals never count a subtree row.
    assert report["totals"]["net_contribution"] == 85.57


def test_whale_curve(tmp_path):
    data = hand_ledger(tmp_path)
    curve = whale_curve_report(data)
    # NC per account over 2024: A 203.10+194.59 = 397.69, B 135.27−128.57 = 6.70, Z 0,
    # D −25.00, C −293.82; total 85.57. Cumulative % of 85.57: 397.69 → 464.75,
    # 404.39 → 472.58 (peak, after 2 of 5 accounts = 40 %), 404.39, 379.39 → 443.37, 100.
    assert [p["account_id"] for p in curve["points"]] == ["A", "B", "Z", "D", "C"]
    assert [p["cumulative_contribution"] for p in curve["points"]] == [
        397.69,
        404.39,
        404.39,
        379.39,
        85.57,
    ]
    assert [p["cumulative_contribution_pct"] for p in curve["points"]] == [
        464.75,
        472.58,
        472.58,
        443.37,
        100.00,
    ]
    assert [p["account_share_pct"] for p in curve["points"]] == [20.0, 40.0, 60.0, 80.0, 100.0]
    assert (curve["peak_pct"], curve["peak_account_share_pct"]) == (472.58, 40.0)
    assert curve["total_contribution"] == 85.57


def test_cost_of_capital_and_as_of_are_parameters(tmp_path):
    data = hand_ledger(tmp_path)
    report = profitability_report(data, "month", cost_of_capital="0.10", as_of="2024-03-06")
    credit = {
        (r["account_id"], r["period"]): r["cost_by_pool"].get("credit_cost") for r in report["rows"]
    }
    # A Jan 950 × 0.10 × 40/365 = 10.4110 → 10.41; A Feb 500 × 0.10 × 30/365 = 4.1096 → 4.11;
    # B Jan 720 × 0.10 × 30/365 = 5.9178 → 5.92.
    assert (credit[("A", "2024-01")], credit[("A", "2024-02")], credit[("B", "2024-01")]) == (
        10.41,
        4.11,
        5.92,
    )
    # An as-of date before an open invoice: it was not outstanding yet.
    early = profitability_report(data, "month", as_of="2024-02-01")
    a_feb = next(r for r in early["rows"] if (r["account_id"], r["period"]) == ("A", "2024-02"))
    assert "credit_cost" not in a_feb["cost_by_pool"]


def test_empty_tables_and_bad_arguments(tmp_path):
    from profitability_ledgers import write_ledger

    data = write_ledger(tmp_path)  # a ledger folder with no tables at all
    report = profitability_report(data)
    assert report["rows"] == [] and report["pools"] == []
    assert report["totals"]["net_contribution"] == 0.0
    assert whale_curve_report(data)["peak_pct"] is None
    with pytest.raises(ValueError, match="period"):
        profitability_report(data, "week")
    with pytest.raises(ValueError, match="after"):
        profitability_report(data, date_from="2024-02-01", date_to="2024-01-01")
    with pytest.raises(FileNotFoundError):
        profitability_report(tmp_path / "nowhere")


def test_prepaid_lines_and_lines_without_terms_cost_no_credit(tmp_path):
    from profitability_ledgers import write_ledger

    invoices = [
        # Paid 5 days before the invoice date (a prepayment): 0 days, no credit cost.
        ("P1", 1, "2024-05-10", "A", "P1", "1", "1000", "0", "0", "2024-06-09", "2024-05-05"),
        # Open with a due date: 1000 × 8 % × (2024-05-31 − 2024-05-10 = 21 d) / 365 = 4.6027
        # → 4.60 (the as-of date is this ledger's latest date, 2024-05-31).
        ("P2", 1, "2024-05-10", "B", "P1", "1", "1000", "0", "0", "2024-06-09", None),
        # Neither due nor paid date: a cash sale, no credit cost.
        ("P3", 1, "2024-05-31", "C", "P1", "1", "1000", "0", "0", None, None),
    ]
    report = profitability_report(write_ledger(tmp_path, invoices), "month")
    credit = {r["account_id"]: r["cost_by_pool"].get("credit_cost") for r in report["rows"]}
    assert credit == {"A": None, "B": 4.60, "C": None}


def test_span_bounds_of_calendar_and_interval_labels():
    import datetime as dt

    from openkam.engine.profitability.periods import span_bounds, span_label

    assert span_bounds("2024") == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert span_bounds("2024-Q3") == (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
    assert span_bounds("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    odd = span_label(dt.date(2024, 1, 15), dt.date(2024, 2, 14))
    assert (odd, span_bounds(odd)) == (
        "2024-01-15/2024-02-14",
        (dt.date(2024, 1, 15), dt.date(2024, 2, 14)),
    )


def test_no_margin_over_net_sales_of_zero_or_less():
    from openkam.engine.profitability.money import percent

    # An account whose returns exceed its sales: net sales −164.00, net contribution
    # −555.00. −555 / −164 = +338 % would read as the best margin of the portfolio.
    pct = percent(np.array([-55500, 0, 3000]), np.array([-16400, 0, 12000]))
    assert pct.to_pylist() == [None, None, 25.0]  # 30.00 / 120.00
