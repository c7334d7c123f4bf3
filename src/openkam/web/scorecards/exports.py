"""A scorecard as a file: PDF (the house layout of the plans' PDF, with charts) and an Excel
workbook. Both show what the scorecard page shows, from the same computed scorecard."""

from __future__ import annotations

import io
from decimal import Decimal

from openkam.web.core.exports import protect_workbook
from openkam.web.planning.exports import RULE, _Writer

FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}

LABELS = {
    "net_contribution": "Net contribution",
    "contribution_margin_pct": "Contribution margin",
    "cost_to_serve_pct": "Cost to serve share",
    "delta_clv": "Lifetime value built (ΔCLV)",
    "plan_attainment_pct": "Plan attainment",
    "coverage_pct": "Decision-maker coverage",
    "sponsor_visits_pct": "Sponsor visits kept",
    "commitments_kept_pct": "Operations commitments kept",
    "net_sales": "Net sales (revenue)",
}


def render(fmt: str, data: dict, card: dict) -> tuple[bytes, str, str]:
    content_type, ext = FORMATS[fmt]
    return {"pdf": to_pdf, "xlsx": to_xlsx}[fmt](data, card), content_type, ext


def _money(value, currency: str = "") -> str:
    if value is None:
        return "—"
    text = f"{Decimal(value):,.0f}"
    return f"{text} {currency}".strip()


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _rank(card: dict, key: str) -> str:
    return "—" if card[key] is None else f"{card[key]} of {card['of']}"


def headline(data: dict, card: dict) -> list[tuple[str, str]]:
    """The scorecard's headline figures as (label, text), in the order of the page."""
    cur = data["currency"]
    return [
        ("Net contribution", _money(card["net_contribution"], cur)),
        (
            "Change on the prior period",
            "—"
            if card["net_contribution_change"] is None
            else f"{Decimal(card['net_contribution_change']):+,.0f} {cur}",
        ),
        ("Contribution margin", _pct(card["contribution_margin_pct"])),
        (
            "Cost to serve share (prior period)",
            f"{_pct(card['cost_to_serve_pct'])} ({_pct(card['cost_to_serve_pct_prior'])})",
        ),
        ("Lifetime value built (ΔCLV)", _money(card["delta_clv"], cur)),
        ("Plan attainment", _pct(card["plan_attainment_pct"])),
        ("Decision-maker coverage", _pct(card["coverage_pct"])),
        ("Sponsor visits kept", _pct(card["sponsor_visits_pct"])),
        ("Operations commitments kept", _pct(card["commitments_kept_pct"])),
        ("Net sales (beside, not a goal)", _money(card["net_sales"], cur)),
        ("Rank by contribution", _rank(card, "rank_by_contribution")),
        ("Rank by revenue", _rank(card, "rank_by_revenue")),
        ("Score (0–100)", "—" if card["score"] is None else f"{card['score']:.1f}"),
    ]


class _ScorecardPDF(_Writer):
    """The plan documents' page (header, footer with page numbers, tables) for a scorecard."""

    def __init__(self, title: str, currency: str):
        import datetime as dt

        super().__init__(
            head={
                "title": title,
                "audience": "Internal — confidential",
                "as_of": dt.date.today(),
                "currency": currency,
            }
        )

    def signed_bars(self, title: str, rows: list[tuple[str, float]]):
        """Horizontal bars from a zero line, losses to the left in red."""
        pdf = self.pdf
        if not rows:
            return
        top = max(max(abs(v) for _, v in rows), 1.0)
        # Many rows (a year's months) get thinner bars, so the chart fits below its table.
        label_w, half = 55.0, 55.0
        bar_h, gap = (4.5, 1.5) if len(rows) <= 8 else (3.4, 0.9)
        if pdf.get_y() + 10 + len(rows) * (bar_h + gap) > pdf.h - 15:
            pdf.add_page()
        pdf.set_font(self.font, "B", 9.5)
        pdf.cell(0, 6, self.text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(self.font, "", 8)
        x0 = pdf.l_margin
        zero = x0 + label_w + half
        y_top = pdf.get_y()
        for label, v in rows:
            y = pdf.get_y()
            pdf.set_xy(x0, y)
            pdf.cell(label_w - 2, bar_h, self.text(label)[:34])
            w = max(half * abs(v) / top, 0.3)
            pdf.set_fill_color(*((192, 54, 44) if v < 0 else (18, 128, 92)))
            pdf.rect(zero - w if v < 0 else zero, y + 0.3, w, bar_h - 0.6, style="F")
            pdf.set_xy(zero + (2 if v < 0 else w + 1), y)
            pdf.cell(25, bar_h, self.text(f"{v:,.0f}"))
            pdf.set_xy(x0, y + bar_h + gap)
        pdf.set_draw_color(*RULE)
        pdf.line(zero, y_top, zero, pdf.get_y())
        # Tables drawn after the chart take the current colours: back to the defaults.
        pdf.set_fill_color(255, 255, 255)
        pdf.set_draw_color(0, 0, 0)
        pdf.ln(2)

    def section(self, text: str, needs: float = 50):
        """A heading kept with what follows: a new page when less than ``needs`` mm remain."""
        if self.pdf.get_y() + needs > self.pdf.h - 15:
            self.pdf.add_page()
        self.heading(text)


def to_pdf(data: dict, card: dict) -> bytes:
    """The scorecard on A4: headline figures, the score's measures, the accounts held with
    a bar per account, and the monthly trend."""
    cur = data["currency"]
    title = f"Scorecard {data['period']}: {card['name']}"
    out = _ScorecardPDF(title, cur)
    pdf = out.pdf
    pdf.set_font(out.font, "B", 18)
    pdf.cell(0, 10, out.text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(out.font, "", 9.5)
    role = "Key account manager" if card["role"] == "kam" else "Executive sponsor"
    snaps = data.get("clv_snapshots") or {}
    facts = [
        role,
        f"person {card['person_id']}",
        f"period {data['period']}",
        f"amounts in {cur}",
        f"credited by the months each account was held ({card['months_held']} account-months)",
    ]
    if snaps.get("start") and snaps.get("end"):
        facts.append(f"ΔCLV from the snapshots of {snaps['start']} and {snaps['end']}")
    pdf.multi_cell(0, 5, out.text(" · ".join(facts)), new_x="LMARGIN", new_y="NEXT")
    out.heading("Headline")
    out.table(["Measure", "Value"], [list(r) for r in headline(data, card)], [80, 90])
    out.section("Composite score")
    out.table(
        ["Measure", "Weight", "Points (0–100)"],
        [
            [
                LABELS[m],
                f"{data['weights'][m]} %",
                "—" if card["points"].get(m) is None else f"{card['points'][m]:.0f}",
            ]
            for m in LABELS
        ],
        [80, 40, 50],
    )
    if data.get("revenue_warning"):
        pdf.set_text_color(181, 71, 8)
        pdf.multi_cell(0, 5, out.text(data["revenue_warning"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    out.section("Accounts held")
    out.table(
        ["Account", "Months", f"Net sales ({cur})", f"Net contribution ({cur})", f"ΔCLV ({cur})"],
        [
            [
                f"{a['name']} ({a['account_id']})" if a["name"] else a["account_id"],
                a["months_held"],
                _money(a["net_sales"]),
                _money(a["net_contribution"]),
                _money(a["delta_clv"]),
            ]
            for a in card["accounts"]
        ],
        [62, 16, 32, 34, 26],
    )
    out.signed_bars(
        f"Net contribution per account ({cur})",
        [(a["name"] or a["account_id"], float(a["net_contribution"])) for a in card["accounts"]],
    )
    if card["trend"]:
        out.section("Month by month")
        out.table(
            ["Month", f"Net sales ({cur})", f"Net contribution ({cur})", "Cost to serve share"],
            [
                [
                    t["month"],
                    _money(t["net_sales"]),
                    _money(t["net_contribution"]),
                    _pct(t["cost_to_serve_pct"]),
                ]
                for t in card["trend"]
            ],
            [30, 45, 50, 45],
        )
        out.signed_bars(
            f"Net contribution per month ({cur})",
            [(t["month"], float(t["net_contribution"])) for t in card["trend"]],
        )
    return bytes(pdf.output())


def to_xlsx(data: dict, card: dict) -> bytes:
    """A workbook with the sheets Scorecard, Accounts and Months."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    cur = data["currency"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Scorecard"
    ws.append([f"Scorecard {data['period']}", card["name"]])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["Person", card["person_id"]])
    ws.append(["Role", card["role"]])
    ws.append(["Currency", cur])
    ws.append([])
    ws.append(["Measure", "Value", "Weight %", "Points"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    rows = [
        ("net_contribution", card["net_contribution"]),
        ("contribution_margin_pct", card["contribution_margin_pct"]),
        ("cost_to_serve_pct", card["cost_to_serve_pct"]),
        ("delta_clv", card["delta_clv"]),
        ("plan_attainment_pct", card["plan_attainment_pct"]),
        ("coverage_pct", card["coverage_pct"]),
        ("sponsor_visits_pct", card["sponsor_visits_pct"]),
        ("commitments_kept_pct", card["commitments_kept_pct"]),
        ("net_sales", card["net_sales"]),
    ]
    for m, v in rows:
        ws.append(
            [
                LABELS[m],
                float(v) if isinstance(v, Decimal) else v,
                data["weights"][m],
                card["points"].get(m),
            ]
        )
    ws.append(
        [
            "Net contribution change on the prior period",
            None
            if card["net_contribution_change"] is None
            else float(card["net_contribution_change"]),
        ]
    )
    ws.append(["Rank by contribution", card["rank_by_contribution"], "of", card["of"]])
    ws.append(["Rank by revenue", card["rank_by_revenue"], "of", card["of"]])
    ws.append(["Score (0–100)", card["score"]])
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 18

    def sheet(title, header, body):
        s = wb.create_sheet(title)
        s.append(header)
        for cell in s[1]:
            cell.font = Font(bold=True)
        for row in body:
            s.append([float(v) if isinstance(v, Decimal) else v for v in row])
        for i, _ in enumerate(header):
            s.column_dimensions[chr(65 + i)].width = 22
        return s

    sheet(
        "Accounts",
        [
            "Account id",
            "Account",
            "Months held",
            f"Net sales ({cur})",
            f"Cost to serve ({cur})",
            f"Net contribution ({cur})",
            f"ΔCLV ({cur})",
            "Decision makers",
            "Covered",
        ],
        [
            [
                a["account_id"],
                a["name"],
                a["months_held"],
                a["net_sales"],
                a["cost_to_serve"],
                a["net_contribution"],
                a["delta_clv"],
                (a.get("coverage") or {}).get("decision_makers"),
                (a.get("coverage") or {}).get("covered"),
            ]
            for a in card["accounts"]
        ],
    )
    sheet(
        "Months",
        ["Month", f"Net sales ({cur})", f"Net contribution ({cur})", "Cost to serve %"],
        [
            [t["month"], t["net_sales"], t["net_contribution"], t["cost_to_serve_pct"]]
            for t in card["trend"]
        ],
    )
    # Money with cents and thousands, shares with one decimal: numbers people read.
    money_measures = {LABELS[m] for m in ("net_contribution", "delta_clv", "net_sales")}
    for row in ws.iter_rows(min_row=7):
        label = str(row[0].value or "")
        if isinstance(row[1].value, float):
            money = label in money_measures or label.startswith("Net contribution change")
            row[1].number_format = "#,##0.00" if money else "0.0"
        if len(row) > 3 and isinstance(row[3].value, float):
            row[3].number_format = "0"
    for sheet_ in wb.worksheets[1:]:
        for row in sheet_.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, float):
                    header = str(sheet_.cell(row=1, column=cell.column).value or "")
                    cell.number_format = "0.0" if "%" in header else "#,##0.00"
    protect_workbook(wb)  # an account named like a formula stays text (core.exports)
    buf = io.BytesIO()
    protect_workbook(wb)  # no user text becomes a live formula (core.exports)
    wb.save(buf)
    return buf.getvalue()
