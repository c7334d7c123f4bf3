"""A plan as a file: PDF (print quality, with charts), Excel workbook, Markdown.

Each renderer takes the document of ``planning.document.plan_document`` so the files show
exactly what the one-page view shows, actuals included.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from openkam.web.core.exports import protect_workbook

FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "md": ("text/markdown; charset=utf-8", "md"),
}

#: A Unicode TrueType font for the PDF when the system has one (Debian's fonts-dejavu);
#: otherwise the PDF's built-in Helvetica, which only knows Latin-1.
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]


def render(fmt: str, doc: dict) -> tuple[bytes, str, str]:
    """``(data, content type, file extension)`` of the plan in ``fmt`` (pdf, xlsx, md)."""
    content_type, ext = FORMATS[fmt]
    data = {"pdf": to_pdf, "xlsx": to_xlsx, "md": lambda d: to_markdown(d).encode()}[fmt](doc)
    return data, content_type, ext


def _money(value) -> str:
    return "—" if value is None else f"{Decimal(value):,.0f}"


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0f} %"


# --- Markdown --------------------------------------------------------------------------------


def _md_cell(value) -> str:
    return str(value if value not in (None, "") else "—").replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


def _facts(doc: dict) -> list[str]:
    """The line under the title of every export: account, KAM, sponsor, versions, review."""
    account, plan = doc["account"], doc["plan"]
    facts = [f"Account {account.account_id}"]
    if account.kam:
        facts.append(f"KAM {account.kam.name}")
    if account.sponsor:
        facts.append(f"Sponsor {account.sponsor.name}")
    if doc.get("latest_version"):
        facts.append(f"Version {doc['latest_version'].number}")
    if doc.get("signed_version"):
        signed = doc["signed_version"]
        facts.append(
            f"version {signed.number} signed off by {signed.signed_by} "
            f"on {signed.signed_at:%Y-%m-%d}"
        )
    if plan.next_review and not doc["shared_only"]:
        facts.append(f"Next review {plan.next_review:%Y-%m-%d}")
    return facts


def to_markdown(doc: dict) -> str:
    """The plan as Markdown (GitHub tables)."""
    account = doc["account"]
    lines = [f"# Key account plan: {account.name}", "", " · ".join(_facts(doc)), ""]
    if doc["analysis"] is not None:
        lines += ["## Customer analysis", ""]
        for label, text in doc["analysis"]:
            lines += [f"**{label}.** {text or '—'}", ""]
    if doc["position"] is not None:
        p = doc["position"]
        lines += [
            "## Our position",
            "",
            f"- Share of wallet: {_pct(p['share_of_wallet'])}",
            f"- Relationship stage: {p['stage']}",
            f"- Competitors at the account: {p['competitors'] or '—'}",
            "",
        ]
    if doc["objectives"] is not None:
        lines += ["## Objectives", ""]
        lines += _md_table(
            ["Year", "Metric", "Target", "Actual", "Attained", "Status"],
            [
                [
                    o["year"],
                    o["metric"],
                    _money(o["target"]),
                    _money(o["actual"]),
                    _pct(o["pct"]),
                    o["status"],
                ]
                for o in doc["objectives"]
            ],
        )
    if doc["value_propositions"] is not None:
        lines += ["## Value propositions", ""]
        lines += _md_table(
            ["Solution", "The customer's measurable gain"],
            [[v.solution, v.customer_gain] for v in doc["value_propositions"]],
        )
    if doc["whitespace"] is not None:
        lines += ["## Whitespace (current sales / potential / gap)", ""]
        ws = doc["whitespace"]
        lines += _md_table(
            ["Product line", *ws["units"]],
            [
                [r["line"]]
                + [
                    f"{_money(c['current'])} / {_money(c['potential'])} / {_money(c['gap'])}"
                    for c in r["cells"]
                ]
                for r in ws["rows"]
            ],
        )
    if doc["risks"] is not None:
        lines += ["## Risks", ""]
        lines += _md_table(
            ["Risk", "Likelihood", "Impact", "Mitigation"],
            [
                [r.description, r.get_likelihood_display(), r.get_impact_display(), r.mitigation]
                for r in doc["risks"]
            ],
        )
    if doc["actions"] is not None:
        lines += ["## Actions", ""]
        lines += _md_table(
            ["Action", "Owner", "Due", "Status"],
            [
                [
                    a["action"].title,
                    a["action"].owner,
                    a["action"].due,
                    a["action"].get_status_display() + (" (overdue)" if a["overdue"] else ""),
                ]
                for a in doc["actions"]
            ],
        )
    for section in doc.get("app_sections", ()):
        lines += [f"## {section['title']}", ""]
        lines += _md_table(section["header"], section["rows"])
    return "\n".join(lines).rstrip() + "\n"


# --- Excel -----------------------------------------------------------------------------------


def to_xlsx(doc: dict) -> bytes:
    """A workbook with the sheets Plan, Objectives, Actions, Whitespace (and Risks)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws.append(["Key account plan", doc["account"].name])
    ws.append(["Account", doc["account"].account_id])
    for label, text in doc["analysis"] or []:
        ws.append([label, text])
    if doc["position"]:
        ws.append(["Share of wallet (%)", doc["position"]["share_of_wallet"]])
        ws.append(["Relationship stage", doc["position"]["stage"]])
        ws.append(["Competitors", doc["position"]["competitors"]])
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90

    def sheet(title: str, header: list[str], rows: list[list]):
        s = wb.create_sheet(title)
        s.append(header)
        for cell in s[1]:
            cell.font = Font(bold=True)
        for row in rows:
            s.append([float(v) if isinstance(v, Decimal) else v for v in row])
        for i, _ in enumerate(header):
            s.column_dimensions[chr(65 + i)].width = 18
        return s

    sheet(
        "Objectives",
        ["Year", "Metric", "Target", "Actual", "Attained %", "Status", "Note"],
        [
            [o["year"], o["metric"], o["target"], o["actual"], o["pct"], o["status"], o["note"]]
            for o in doc["objectives"] or []
        ],
    )
    sheet(
        "Actions",
        ["Action", "Owner", "Due", "Status", "Overdue"],
        [
            [
                a["action"].title,
                str(a["action"].owner or ""),
                a["action"].due,
                a["action"].get_status_display(),
                a["overdue"],
            ]
            for a in doc["actions"] or []
        ],
    )
    ws_rows = []
    if doc["whitespace"]:
        for r in doc["whitespace"]["rows"]:
            for unit, c in zip(doc["whitespace"]["units"], r["cells"], strict=True):
                ws_rows.append([r["line"], unit, c["current"], c["potential"], c["gap"]])
    sheet(
        "Whitespace",
        ["Product line", "Business unit", "Current sales", "Potential", "Gap"],
        ws_rows,
    )
    if doc["risks"] is not None:
        sheet(
            "Risks",
            ["Risk", "Likelihood", "Impact", "Mitigation"],
            [[r.description, r.likelihood, r.impact, r.mitigation] for r in doc["risks"]],
        )
    for section in doc.get("app_sections", ()):
        sheet(section["title"][:31], section["header"], section["rows"])
    out = io.BytesIO()
    protect_workbook(wb)  # no user text becomes a live formula (core.exports)
    wb.save(out)
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------------


class _PlanPDF:
    """fpdf2 with the house layout: A4 portrait, title band, section headings, bar charts."""

    BRAND = (46, 80, 214)
    GREY = (160, 166, 176)

    def __init__(self, title: str):
        from fpdf import FPDF

        self.pdf = pdf = FPDF(format="A4", unit="mm")
        pdf.set_auto_page_break(True, margin=15)
        pdf.set_title(title)
        pdf.set_creator("OpenKAM")
        self.font = "Helvetica"
        regular = next(
            (d / "DejaVuSans.ttf" for d in FONT_DIRS if (d / "DejaVuSans.ttf").is_file()), None
        )
        if regular is not None:
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(regular.with_name("DejaVuSans-Bold.ttf")))
            self.font = "DejaVu"
        pdf.add_page()

    def text(self, value) -> str:
        value = "" if value is None else str(value)
        if self.font == "Helvetica":
            return value.encode("latin-1", "replace").decode("latin-1")
        return value

    def heading(self, text: str, size: int = 13):
        pdf = self.pdf
        pdf.ln(3)
        pdf.set_font(self.font, "B", size)
        pdf.set_text_color(*self.BRAND)
        pdf.cell(0, 8, self.text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(self.font, "", 9.5)

    def paragraph(self, label: str, body: str):
        pdf = self.pdf
        pdf.set_font(self.font, "B", 9.5)
        pdf.multi_cell(0, 5, self.text(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(self.font, "", 9.5)
        pdf.multi_cell(0, 5, self.text(body or "—"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def table(self, header: list[str], rows: list[list], widths: list[float]):
        pdf = self.pdf
        pdf.set_font(self.font, "", 9)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=5.5) as t:
            row = t.row()
            for h in header:
                row.cell(self.text(h))
            for r in rows:
                row = t.row()
                for v in r:
                    row.cell(self.text(v))
        pdf.ln(2)

    def bars(self, title: str, groups: list[tuple[str, list[float | None]]], legend: list[str]):
        """A grouped horizontal bar chart drawn with rectangles (one bar per series)."""
        pdf = self.pdf
        values = [v for _, vs in groups for v in vs if v is not None]
        if not values:
            return
        top = max(max(values), 1.0)
        colours = [self.GREY, self.BRAND, (220, 120, 40)]
        bar_h, label_w, width = 4.0, 55.0, 110.0
        needed = 10 + len(groups) * (bar_h * len(legend) + 3)
        if pdf.get_y() + needed > pdf.h - 15:
            pdf.add_page()
        pdf.set_font(self.font, "B", 9.5)
        pdf.cell(0, 6, self.text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(self.font, "", 8)
        x0 = pdf.l_margin
        for i, name in enumerate(legend):
            pdf.set_fill_color(*colours[i])
            pdf.rect(x0 + label_w + i * 40, pdf.get_y() + 1, 3, 3, style="F")
            pdf.set_xy(x0 + label_w + i * 40 + 4, pdf.get_y())
            pdf.cell(34, 5, self.text(name))
        pdf.ln(6)
        for label, vs in groups:
            y = pdf.get_y()
            pdf.set_xy(x0, y)
            pdf.cell(label_w - 2, bar_h * len(legend), self.text(label)[:40])
            for i, v in enumerate(vs):
                if v is None:
                    continue
                w = max(width * max(v, 0) / top, 0.3)
                pdf.set_fill_color(*colours[i])
                pdf.rect(x0 + label_w, y + i * bar_h, w, bar_h - 0.6, style="F")
                pdf.set_xy(x0 + label_w + w + 1, y + i * bar_h - 0.4)
                pdf.cell(20, bar_h, self.text(f"{v:,.0f}"))
            pdf.set_xy(x0, y + bar_h * len(legend) + 3)
        pdf.ln(2)


def to_pdf(doc: dict) -> bytes:
    """The plan as an A4 PDF with bar charts of targets vs actuals and of the whitespace."""
    account = doc["account"]
    out = _PlanPDF(f"Key account plan: {account.name}")
    pdf = out.pdf
    pdf.set_font(out.font, "B", 18)
    pdf.cell(0, 10, out.text(f"Key account plan: {account.name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(out.font, "", 9.5)
    pdf.multi_cell(0, 5, out.text(" · ".join(_facts(doc))), new_x="LMARGIN", new_y="NEXT")
    if doc["analysis"] is not None:
        out.heading("Customer analysis")
        for label, text in doc["analysis"]:
            out.paragraph(label, text)
    if doc["position"] is not None:
        p = doc["position"]
        out.heading("Our position")
        out.paragraph("Share of wallet", _pct(p["share_of_wallet"]))
        out.paragraph("Relationship stage", p["stage"])
        out.paragraph("Competitors at the account", p["competitors"])
    if doc["objectives"] is not None:
        out.heading("Objectives")
        objs = doc["objectives"]
        out.table(
            ["Year", "Metric", "Target", "Actual", "Attained", "Status"],
            [
                [
                    o["year"],
                    o["metric"],
                    _money(o["target"]),
                    _money(o["actual"]),
                    _pct(o["pct"]),
                    o["status"],
                ]
                for o in objs
            ],
            [14, 44, 30, 30, 22, 30],
        )
        out.bars(
            "Target and actual",
            [(f"{o['metric']} {o['year']}", [_f(o["target"]), _f(o["actual"])]) for o in objs],
            ["Target", "Actual"],
        )
    if doc["value_propositions"] is not None:
        out.heading("Value propositions")
        out.table(
            ["Solution", "The customer's measurable gain"],
            [[v.solution, v.customer_gain] for v in doc["value_propositions"]],
            [85, 85],
        )
    if doc["whitespace"] is not None and doc["whitespace"]["rows"]:
        out.heading("Whitespace")
        ws = doc["whitespace"]
        rows = []
        totals = []
        for r in ws["rows"]:
            cur = sum((c["current"] for c in r["cells"]), Decimal(0))
            pot = sum((c["potential"] or 0 for c in r["cells"]), Decimal(0))
            gap = sum((c["gap"] or 0 for c in r["cells"]), Decimal(0))
            totals.append((r["line"], [float(cur), float(pot), float(gap)]))
            for unit, c in zip(ws["units"], r["cells"], strict=True):
                if c["current"] or c["potential"] is not None:
                    rows.append(
                        [
                            r["line"],
                            unit,
                            _money(c["current"]),
                            _money(c["potential"]),
                            _money(c["gap"]),
                        ]
                    )
        out.table(
            ["Product line", "Business unit", "Current", "Potential", "Gap"],
            rows,
            [45, 45, 27, 27, 26],
        )
        out.bars("By product line", totals, ["Current sales", "Potential", "Gap"])
    if doc["risks"] is not None:
        out.heading("Risks")
        out.table(
            ["Risk", "Likelihood", "Impact", "Mitigation"],
            [
                [r.description, r.get_likelihood_display(), r.get_impact_display(), r.mitigation]
                for r in doc["risks"]
            ],
            [60, 22, 22, 66],
        )
    if doc["actions"] is not None:
        out.heading("Actions")
        out.table(
            ["Action", "Owner", "Due", "Status"],
            [
                [
                    a["action"].title,
                    a["action"].owner or "",
                    a["action"].due or "",
                    a["action"].get_status_display() + (" — OVERDUE" if a["overdue"] else ""),
                ]
                for a in doc["actions"]
            ],
            [75, 40, 25, 30],
        )
    for section in doc.get("app_sections", ()):
        out.heading(section["title"])
        width = 170 / len(section["header"])
        out.table(section["header"], section["rows"], [width] * len(section["header"]))
    return bytes(pdf.output())


def _f(value) -> float | None:
    return None if value is None else float(value)
