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
