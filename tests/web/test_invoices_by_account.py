"""The account-ordered copy of the invoices: written by a profitability run, read by the
account page while it matches the ledger, never once the ledger has moved on.

By hand (the CSV below): L1 bought I1 (10 × 12.50 − 5.00 = 120.00, and 2 × 30 = 60.00) in
2024 and I4 (1 × 7.00 = 7.00) in 2025 → invoiced 180.00 in 2024, 7.00 in 2025.
"""

from __future__ import annotations

import pyarrow.parquet as pq

from openkam.web.core.ledger import invoices_by_account, ledger

FILES = {
    "accounts": "account_id,name,industry,region,parent_account_id\n"
    "L1,Lumen Group,food,EMEA,\nM1,Mistral,chemicals,APAC,\n",
    "products": "product_id,name,product_line\nP1,Widget,widgets\nP2,Gadget,gadgets\n",
    "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
    "unit_list_price,discount_amount,cogs_amount\n"
    "I1,1,2024-03-01,L1,P1,10,12.50,5.00,60.00\n"
    "I1,2,2024-03-01,L1,P2,2,30,0,20.00\n"
    "I3,1,2024-05-01,M1,P2,1,100,10.00,95.00\n"
    "I4,1,2025-01-10,L1,P1,1,7,0,3.00\n",
}


def _page(client):
    context = client.get("/accounts/L1/").context
    mix = next(p for p in context["panels"] if p["template"].endswith("_account_mix.html"))
    return (
        [(r["year"], r["rolled"]["invoiced_sales"]) for r in context["sales_years"]],
        [(r["invoice_id"], r["line_no"]) for r in context["recent_lines"]],
        [(r["key"], r["invoiced_sales"]) for r in mix["context"]["mix"]["rows"]],
    )


def test_the_account_page_reads_the_copy_and_gets_the_same_figures(
    import_files, recompute_profitability, programme, login, settings
):
    from django.core.cache import cache

    import_files(FILES)
    recompute_profitability()
    files = invoices_by_account()
    assert files is not None and files[0].is_file()
    copy = pq.read_table(files[0])
    assert copy.num_rows == 4
    assert copy["account_id"].to_pylist() == ["L1", "L1", "L1", "M1"]  # ordered by account
    client = login(programme["users"]["Vera"])
    with_copy = _page(client)
    assert with_copy[0] == [(2024, 180), (2025, 7)]
    assert with_copy[1] == [("I4", 1), ("I1", 2), ("I1", 1)]
    files[0].unlink()
    cache.clear()  # the mix is cached by ledger fingerprint
    assert invoices_by_account() is None
    assert _page(client) == with_copy


def test_a_copy_of_an_earlier_ledger_is_never_read(
    import_files, recompute_profitability, programme, login
):
    import_files(FILES)
    recompute_profitability()
    before = invoices_by_account()
    assert before is not None
    import_files(
        {
            "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
            "unit_list_price,discount_amount,cogs_amount\nI9,1,2025-02-01,L1,P2,1,5,0,1.00\n"
        }
    )
    assert invoices_by_account() is None  # the ledger moved on: no copy matches it
    assert before[0].is_file()  # (kept a while for readers that opened it)
    sales, recent, _ = _page(login(programme["users"]["Vera"]))
    assert recent[0] == ("I9", 1) and sales[-1] == (2025, 12)
    assert ledger().fingerprint() not in before[0].name


def test_an_accounts_lines_from_the_copy_equal_the_ledgers_to_the_cent(
    import_files, recompute_profitability
):
    """Read from the copy in Arrow, the lines carry the gross amount DuckDB gives them:
    quantity × list price rounded half away from zero. By hand: 1 × 0.125 = 0.13 and a
    return of −1 × 0.125 = −0.13 (half to even would give 0.12 and −0.12; half up −0.12)."""
    import narwhals as nw

    from openkam.web.core.ledger import _account_lines, account_lines, identity, money_table

    files = dict(FILES)
    files["invoices"] += (
        "I5,1,2025-02-01,L1,P1,1,0.125,0,0.05\nI6,1,2025-02-02,L1,P1,-1,0.125,0,-0.05\n"
    )
    import_files(files)
    recompute_profitability()
    assert identity()[-1] is not None  # the copy is there: the lines come from it
    _account_lines.clear()
    fast = account_lines(("L1",))
    slow = money_table("invoices").filter(nw.col("account_id") == "L1").collect().to_arrow()
    order = [("invoice_id", "ascending"), ("line_no", "ascending")]
    assert fast.sort_by(order).to_pylist() == slow.sort_by(order).to_pylist()
    gross = {r["invoice_id"]: str(r["gross_amount"]) for r in fast.to_pylist()}
    assert (gross["I5"], gross["I6"]) == ("0.13", "-0.13")


def test_lines_in_another_currency_are_read_converted(import_files, recompute_profitability):
    """With a foreign line, the lines come through the conversion (never the copy as it
    is). By hand: 10 USD at 0.9 EUR per USD = 9.00 EUR gross."""
    from openkam.web.core.ledger import _account_lines, account_lines, identity

    files = {k: v for k, v in FILES.items() if k != "invoices"}
    files["fx-rates"] = "currency,rate_date,rate\nUSD,2024-01-01,0.9\n"
    files["invoices"] = (
        "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
        "unit_list_price,discount_amount,cogs_amount,currency\n"
        "I1,1,2024-03-01,L1,P1,1,10,0,5,USD\nI2,1,2024-03-02,L1,P1,1,4,0,1,\n"
    )
    import_files(files)
    recompute_profitability()
    assert identity()[3] is True  # foreign invoices
    _account_lines.clear()
    gross = {r["invoice_id"]: str(r["gross_amount"]) for r in account_lines(("L1",)).to_pylist()}
    assert gross == {"I1": "9.00", "I2": "4.00"}
