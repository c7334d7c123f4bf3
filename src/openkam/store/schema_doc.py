"""Render the canonical schemas as the Markdown tables of ``docs/data-model.md``.

The tables in the document are generated from ``openkam.engine.schema`` and the store's
own rules, so the documentation cannot drift from what the importer checks (a test
compares them). Regenerate with::

    python -m openkam.store.schema_doc docs/data-model.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

from openkam.engine.schema import KINDS, LEDGER_TABLES, Column, Kind
from openkam.store.convert import DATE_RANGE, NON_NEGATIVE, POSITIVE, RANGES, text_rule
from openkam.store.derived_ids import DERIVED_ID_COLUMN

BEGIN = "<!-- BEGIN GENERATED: python -m openkam.store.schema_doc docs/data-model.md -->"
END = "<!-- END GENERATED -->"

#: One example value per column, as it would appear in a CSV file.
EXAMPLES = {
    "account_id": "ACME",
    "name": "Acme Group",
    "industry": "Manufacturing",
    "region": "EMEA",
    "parent_account_id": "ACME-HOLDING",
    "country": "DE",
    "product_id": "P-1001",
    "product_line": "Fasteners",
    "invoice_id": "INV-2024-0001",
    "line_no": "1",
    "invoice_date": "2024-01-05",
    "quantity": "100",
    "unit_list_price": "1.2500",
    "discount_amount": "5.00",
    "cogs_amount": "80.00",
    "due_date": "2024-02-04",
    "paid_date": "2024-02-01",
    "business_unit": "Plant Lyon",
    "rebate_date": "2024-03-31",
    "rebate_id": "REB-17",
    "amount": "1500.00",
    "kind": "volume",
    "activity_date": "2024-01-06",
    "pool": "delivery",
    "activity_id": "DLV-88812",
    "period_start": "2024-01-01",
    "period_end": "2024-12-31",
    "cost": "300000.00",
    "capacity": "6000",
    "driver_unit": "delivery",
    "contact_id": "C-17",
    "title": "Chief Procurement Officer",
    "email": "ada@acme.example",
    "phone": "+49 30 1234567",
    "reports_to_contact_id": "C-3",
    "person_id": "U-4",
    "role": "kam",
    "currency": "USD",
    "rate_date": "2024-01-02",
    "rate": "0.90490000",
}


#: Examples where the same column name means something else in another kind.
KIND_EXAMPLES = {
    ("products", "name"): "Bolt M8",
    ("contacts", "name"): "Ada Keller",
    ("people", "name"): "Maria Lopez",
    ("people", "email"): "maria@supplier.example",
    ("activities", "quantity"): "2",
    ("relationships", "strength"): "4",
    ("relationships", "last_contact"): "2024-05-02",
    ("relationships", "notes"): "Met at the trade fair",
    ("people", "title"): "Key Account Manager",
    ("people", "function"): "key_account_management",
    ("people", "executive_level"): "c_level",
    ("people", "full_time_kam"): "yes",
    ("people", "reports_to_person_id"): "U-1",
    ("competencies", "competency"): "influencing",
    ("competencies", "level"): "4",
    ("competencies", "assessed_on"): "2025-01-20",
    ("competencies", "assessed_by_person_id"): "U-1",
    ("competencies", "notes"): "Yearly assessment",
    ("training", "course"): "Key account management foundations",
    ("training", "date"): "2024-03-15",
    ("training", "completed"): "yes",
    ("training", "kam_training"): "yes",
    ("sponsor-visits", "sponsor_person_id"): "U-9",
    ("sponsor-visits", "date"): "2025-05-14",
    ("sponsor-visits", "kind"): "quarterly_review",
    ("sponsor-visits", "people_met"): "C-17;C-3",
    ("sponsor-visits", "notes"): "Quarterly review with their CFO",
    ("assignments", "role"): "kam",
    ("assignments", "start_date"): "2025-07-01",
    ("assignments", "reason"): "Handover: rebalancing loads",
}

#: What a column means, for columns whose schema entry has no description.
MEANINGS = {
    ("accounts", "account_id"): "Your identifier of the customer account.",
    ("accounts", "name"): "The account's name.",
    ("accounts", "industry"): "The customer's industry.",
    ("accounts", "region"): "Your sales region for the account.",
    ("accounts", "country"): "Country code or name.",
    ("products", "product_id"): "Your identifier of the product (SKU).",
    ("products", "name"): "The product's name.",
    ("products", "product_line"): "The product line it belongs to (whitespace analysis).",
    ("invoices", "invoice_id"): "The invoice number.",
    ("invoices", "line_no"): "The line of the invoice; with invoice_id it identifies a line.",
    ("invoices", "invoice_date"): "Date of the invoice.",
    ("invoices", "account_id"): "The billed account.",
    ("invoices", "product_id"): "The product sold.",
    ("invoices", "due_date"): "Payment due date (for the credit cost of payment terms).",
    ("invoices", "paid_date"): "Date paid; empty while unpaid.",
    ("rebates", "account_id"): "The account that receives the rebate.",
    ("rebates", "rebate_date"): "Date the rebate was granted or paid.",
    ("activities", "activity_date"): "Date of the activity.",
    ("activities", "account_id"): "The account served.",
    ("activities", "pool"): "The cost pool whose driver the activity consumes.",
    ("cost-pools", "pool"): "Name of the cost pool (e.g. order handling, delivery).",
    ("cost-pools", "period_start"): "First day of the period the cost and capacity cover.",
    ("contacts", "contact_id"): "Your identifier of the person at the customer.",
    ("contacts", "account_id"): "The account the person works for.",
    ("contacts", "name"): "Full name.",
    ("contacts", "title"): "Job title.",
    ("contacts", "email"): "E-mail address.",
    ("contacts", "phone"): "Phone number.",
    ("contacts", "reports_to_contact_id"): "The contact's manager (another contact).",
    ("people", "person_id"): "Your identifier of the employee.",
    ("people", "name"): "Full name.",
    ("people", "email"): "E-mail address (also the login).",
    ("relationships", "contact_id"): "The contact at the customer.",
    ("relationships", "last_contact"): "When our person last met or spoke with them.",
    ("relationships", "notes"): "Free notes.",
}


def type_text(kind: Kind, column: Column) -> str:
    """The column's type as a user writes it, with its sign rule."""
    t = column.type
    if pa.types.is_decimal(t):
        text = f"decimal, up to {t.scale} decimals"
    elif pa.types.is_integer(t):
        text = "whole number"
    elif pa.types.is_date(t):
        text = f"date YYYY-MM-DD, {DATE_RANGE[0][:4]}–{DATE_RANGE[1][:4]}"
    else:
        limit, multiline = text_rule(kind, column)
        text = f"text, ≤ {limit:,} characters" + ("" if multiline else ", one line")
    bounds = RANGES.get(kind.name, {}).get(column.name)
    if bounds:
        text += f", {bounds[0]} to {bounds[1]}"
    elif column.name in POSITIVE.get(kind.name, ()):
        text += ", > 0"
    elif column.name in NON_NEGATIVE.get(kind.name, ()):
        text += ", ≥ 0"
    return text


def kind_table(kind: Kind) -> str:
    """The Markdown section of one kind."""
    where = (
        f"ledger, `ledger/{LEDGER_TABLES[kind.name]}/*.parquet`"
        if kind.home == "ledger"
        else "operational database"
    )
    key = ", ".join(f"`{k}`" for k in kind.key)
    if kind.name in DERIVED_ID_COLUMN:
        key += " (derived when absent, see *Derived identifiers*)"
    lines = [
        f"### `{kind.name}`",
        "",
        f"{kind.description} Stored in: {where}. Key: {key}.",
        "",
        "| column | type (Arrow) | required | references | meaning | example |",
        "|---|---|---|---|---|---|",
    ]
    for c in kind.columns:
        meaning = (c.description or MEANINGS.get((kind.name, c.name), "")).replace("|", "\\|")
        lines.append(
            f"| `{c.name}` | {type_text(kind, c)} (`{c.type}`) | {'yes' if c.required else 'no'} "
            f"| {c.references or '—'} | {meaning or '—'} | `{KIND_EXAMPLES.get((kind.name, c.name), EXAMPLES.get(c.name, ''))}` |"
        )
    return "\n".join(lines)


def generated() -> str:
    """Every kind's section, between the markers."""
    body = "\n\n".join(kind_table(k) for k in KINDS.values())
    return f"{BEGIN}\n\n{body}\n\n{END}"


def update(path: Path) -> None:
    """Replace the generated part of ``path`` with the current tables."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + generated() + tail, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    update(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/data-model.md"))
