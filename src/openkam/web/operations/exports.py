"""Exports: the allocation's confirmations for the ERP (CSV, Excel), and the commitments
section of the account plan's exports."""

from __future__ import annotations

import io

from openkam.engine.operations import LINE_KEYS
from openkam.web.core.exports import csv_writer, safe_cells


def confirmation_csv(report: dict) -> bytes:
    """One row per open order line: :data:`LINE_KEYS`, plus the policy and as-of date."""
    buffer = io.StringIO()
    # Texts that start like a formula are written as text (core.exports, OWASP).
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow([*LINE_KEYS, "policy", "as_of"])
    for row in report["lines"]:
        writer.writerow([_cell(row[k]) for k in LINE_KEYS] + [report["policy"], report["as_of"]])
    return buffer.getvalue().encode()


def confirmation_xlsx(report: dict) -> bytes:
    """The same confirmations as an Excel workbook (sheet "confirmations"), with a sheet
    per account ("accounts") for the planner."""
    from openpyxl import Workbook

    # A regular workbook (not write-only), so that protect_workbook can check every cell.
    book = Workbook()
    sheet = book.active
    sheet.title = "confirmations"
    sheet.append([*LINE_KEYS, "policy", "as_of"])
    for row in report["lines"]:
        values = [row[k] for k in LINE_KEYS] + [report["policy"], report["as_of"]]
        sheet.append(safe_cells(sheet, values))
    accounts = book.create_sheet("accounts")
    header = [
        "account_id",
        "name",
        "key",
        "lines",
        "open_quantity",
        "confirmed_quantity",
        "protected_quantity",
        "short_quantity",
        "units_lost_to_priority",
        f"contribution_lost_to_priority ({report['currency']})",
    ]
    accounts.append(header)
    for a in report["accounts"]:
        accounts.append(
            safe_cells(
                accounts,
                [
                    a["account_id"],
                    a["name"],
                    "yes" if a["key"] else "no",
                    a["lines"],
                    a["open_quantity"],
                    a["confirmed_quantity"],
                    a["protected_quantity"],
                    a["short_quantity"],
                    a["units_lost_to_priority"],
                    a["contribution_lost_to_priority"],
                ],
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    return "" if value is None else value


def plan_section(account, *, shared_only: bool = False) -> dict | None:
    """The plan's "Operations commitments" section as a plain table for the plan exports
    (Markdown, Excel, PDF): ``{"title", "header", "rows"}``, or None when the account has no
    commitment (or, for the mutual plan, none marked customer-visible)."""
    from openkam.web.operations.services import commitment_status

    qs = account.commitments.select_related("product", "owner").order_by("start_date", "pk")
    if shared_only:
        qs = qs.filter(customer_visible=True)
    items = list(qs)
    if not items:
        return None
    latest: dict[str, dict] = {}
    for r in commitment_status(commitments=qs):
        if r["status"] in ("kept", "broken") or r["commitment_id"] not in latest:
            latest[r["commitment_id"]] = r
    rows = []
    for c in items:
        status = latest.get(c.commitment_id, {})
        value = status.get("value")
        rows.append(
            [
                c.get_kind_display(),
                c.scope,
                f"{c.start_date.isoformat()} – {c.end_date.isoformat()}",
                c.owner.name,
                c.get_measure_display(),
                "" if c.target is None else f"{c.target.normalize():f}",
                "" if value is None else f"{value:g} ({status.get('period', '')})",
                status.get("status", ""),
            ]
        )
    return {
        "title": "Operations commitments",
        "header": [
            "Commitment",
            "Covers",
            "Period",
            "Owner",
            "Measure",
            "Target",
            "Latest",
            "Status",
        ],
        "rows": rows,
    }
