"""A plan as a file: PDF (a document to send, with charts), Excel workbook, Markdown.

Each renderer takes the document of ``planning.document.plan_document`` so the files show
exactly what the one-page view shows, actuals included. The heading every file opens with
(title, who, which version, as of when, in which currency) is built once, by ``heading``.
Amounts carry the reporting currency; in the workbook they are numbers with a number format,
never text, so a reader can sum them.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from openkam.web.core.exports import protect_workbook
from openkam.web.core.formats import currency_of, money_text, number_text

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


def currency() -> str:
    """The reporting currency every amount of the plan is in (ISO 4217)."""
    return currency_of()


def money(value, unit: str | None = None) -> str:
    """An amount in whole units with its currency, as every page writes it
    (``core.formats``): ``-90,083 EUR``; ``—`` if none."""
    if value is None:
        return "—"
    return money_text(value, unit, places=0)


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0f} %"


def _date(value) -> str:
    return value.isoformat() if value else "—"


def heading(doc: dict) -> dict:
    """What every export opens with, built once for the three formats.

    ``{"title", "account", "facts": [(label, text)], "audience", "currency", "as_of"}``.
    """
    account, plan = doc["account"], doc["plan"]
    facts = [("Account", f"{account.name} ({account.account_id})")]
    if account.kam:
        facts.append(("Key account manager", account.kam.name))
    if account.sponsor:
        facts.append(("Executive sponsor", account.sponsor.name))
    latest = doc.get("latest_version")
    if latest:
        facts.append(("Version", f"{latest.number} of {latest.created:%Y-%m-%d}"))
    signed = doc.get("signed_version")
    if signed:
        facts.append(
            (
                "Signed off",
                f"version {signed.number} by {signed.signed_by} on {signed.signed_at:%Y-%m-%d}",
            )
        )
    elif not doc["shared_only"]:
        facts.append(("Signed off", "not yet"))
    if plan.next_review and not doc["shared_only"]:
        facts.append(("Next review", plan.next_review.isoformat()))
    facts.append(("Amounts in", currency()))
    return {
        "title": f"Key account plan: {account.name}",
        "account": account.name,
        "facts": facts,
        "audience": f"Shared with {account.name}"
        if doc["shared_only"]
        else "Internal — confidential",
        "currency": currency(),
        "as_of": doc["today"],
    }


def _objective_rows(doc: dict) -> list[list]:
    return [
        [o["year"], o["metric"], o["target"], o["actual"], o["pct"], o["status"], o["note"]]
        for o in doc["objectives"] or []
    ]


#: How an objective's target and actual read, by metric: an amount, units, a percentage.
_MEASURE_OF_METRIC = {"volume": "units", "service_level": "percent", "milestone": "plain"}
_MEASURE_FORMATS = {"units": "#,##0", "percent": '0.0 "%"', "plain": "General"}


def _objective_measures(doc: dict) -> list[str]:
    """Per objective row: ``money``, ``units``, ``percent`` or ``plain`` (a volume target
    is 1,200 units, not 1,200 EUR)."""
    return [_MEASURE_OF_METRIC.get(o["objective"].metric, "money") for o in doc["objectives"] or []]


def _measure_text(value, measure: str) -> str:
    if measure == "money" or value is None:
        return money(value)
    if measure == "units":
        return f"{number_text(value)} units"
    if measure == "percent":
        return f"{number_text(value, 1)} %"
    return number_text(value, 2)


def _whitespace_rows(doc: dict) -> list[list]:
    """Cells with sales or an entered potential: line, unit, current, potential, gap."""
    rows = []
    ws = doc["whitespace"]
    for r in ws["rows"] if ws else []:
        for unit, c in zip(ws["units"], r["cells"], strict=True):
            if c["current"] or c["potential"] is not None:
                rows.append([r["line"], unit, c["current"], c["potential"], c["gap"]])
    return rows


def _action_rows(doc: dict) -> list[list]:
    return [
        [
            a["action"].title,
            str(a["action"].owner or ""),
            a["action"].due,
            a["action"].get_status_display(),
            a["overdue"],
        ]
        for a in doc["actions"] or []
    ]


# --- Markdown --------------------------------------------------------------------------------


def _md_cell(value) -> str:
    return str(value if value not in (None, "") else "—").replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list], right: set[int] = frozenset()) -> list[str]:
    out = ["| " + " | ".join(header) + " |"]
    out.append("|" + "".join("---:|" if i in right else "---|" for i in range(len(header))))
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


def to_markdown(doc: dict) -> str:
    """The plan as Markdown (GitHub tables, amounts right-aligned with their currency)."""
    head = heading(doc)
    lines = [f"# {head['title']}", ""]
    lines += [f"- **{label}:** {text}" for label, text in head["facts"]]
    lines += [f"- **As of:** {head['as_of']:%Y-%m-%d} · {head['audience']}", ""]
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
    if doc.get("pnl"):
        pnl = doc["pnl"]
        lines += ["## Account P&L", ""]
        lines += _md_table(
            ["", *pnl["years"]],
            [[r["label"], *(_signed(v, r["kind"]) for v in r["values"])] for r in pnl["rows"]],
            right=set(range(1, len(pnl["years"]) + 1)),
        )
    if doc["objectives"] is not None:
        lines += ["## Objectives", ""]
        lines += _md_table(
            ["Year", "Metric", "Target", "Actual", "Attained", "Status", "Note"],
            [
                [y, m, _measure_text(t, k), _measure_text(a, k), _pct(p), s, n]
                for (y, m, t, a, p, s, n), k in zip(
                    _objective_rows(doc), _objective_measures(doc), strict=True
                )
            ],
            right={2, 3, 4},
        )
    if doc["value_propositions"] is not None:
        lines += ["## Value propositions", ""]
        lines += _md_table(
            ["Solution", "The customer's measurable gain"],
            [[v.solution, v.customer_gain] for v in doc["value_propositions"]],
        )
    if doc["whitespace"] is not None:
        lines += ["## Whitespace", ""]
        lines += _md_table(
            ["Product line", "Business unit", "Current sales", "Potential", "Gap"],
            [[ln, u, money(c), money(p), money(g)] for ln, u, c, p, g in _whitespace_rows(doc)],
            right={2, 3, 4},
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
                [t, o, _date(d), s + (" (overdue)" if late else "")]
                for t, o, d, s, late in _action_rows(doc)
            ],
        )
    for section in doc.get("app_sections", ()):
        lines += [f"## {section['title']}", ""]
        lines += _md_table(section["header"], section["rows"])
    return "\n".join(lines).rstrip() + "\n"


def _signed(value, kind: str) -> str:
    """A P&L line as it reads in a waterfall: deductions with a minus sign."""
    if value is None:
        return "—"
    return money(-value if kind == "deduct" else value)


# --- Excel -----------------------------------------------------------------------------------


#: Number formats: whole currency units (the cents stay in the cell), percentages, dates.
def _money_format() -> str:
    return f'#,##0 "{currency()}";-#,##0 "{currency()}"'


PCT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"


def _cell(value):
    """A value as the workbook stores it: amounts as numbers, dates as dates, text as text."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_xlsx(doc: dict) -> bytes:
    """A workbook with one sheet per plan section: Plan (heading, analysis, position,
    review), P&L, Objectives, Value propositions, Whitespace, Risks, Actions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    head = heading(doc)
    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws.append([_cell(head["title"])])
    ws["A1"].font = Font(bold=True, size=14)
    for label, text in head["facts"]:
        ws.append([label, _cell(text)])
    ws.append(["As of", head["as_of"]])
    ws.cell(ws.max_row, 2).number_format = DATE_FORMAT
    ws.append(["Audience", head["audience"]])

    def section(title: str):
        ws.append([])
        ws.append([title])
        ws.cell(ws.max_row, 1).font = bold

    if doc["analysis"] is not None:
        section("Customer analysis")
        for label, text in doc["analysis"]:
            ws.append([label, _cell(text)])
    if doc["position"] is not None:
        p = doc["position"]
        section("Our position")
        share = p["share_of_wallet"]
        ws.append(["Share of wallet", None if share is None else float(share) / 100])
        ws.cell(ws.max_row, 2).number_format = PCT_FORMAT
        ws.append(["Relationship stage", p["stage"]])
        ws.append(["Competitors", _cell(p["competitors"])])
        plan = doc["plan"]
        section("Review")
        ws.append(["Review every (months)", plan.review_every_months])
        for label, day in (
            ("Last reviewed", plan.last_reviewed),
            ("Next review", plan.next_review),
        ):
            ws.append([label, day])
            ws.cell(ws.max_row, 2).number_format = DATE_FORMAT
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90
    for row in ws.iter_rows(min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")

    def sheet(title: str, header: list[str], rows: list[list], formats: dict[int, str]):
        """A table sheet: bold frozen header, a filter, and a number format per column."""
        s = wb.create_sheet(title)
        s.append(header)
        for cell in s[1]:
            cell.font = bold
        for row in rows:
            s.append([_cell(v) for v in row])
        for col, fmt in formats.items():
            for (cell,) in s.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                cell.number_format = fmt
        for i, name in enumerate(header):
            longest = max([len(str(name))] + [len(str(r[i] or "")) for r in rows])
            s.column_dimensions[get_column_letter(i + 1)].width = min(max(12, longest + 2), 60)
        s.freeze_panes = "A2"
        if rows:
            s.auto_filter.ref = s.dimensions
        return s

    money_fmt = _money_format()
    if doc.get("pnl"):
        pnl = doc["pnl"]
        sheet(
            "P&L",
            ["Line", *pnl["years"]],
            [
                [
                    r["label"],
                    *(-v if v is not None and r["kind"] == "deduct" else v for v in r["values"]),
                ]
                for r in pnl["rows"]
            ],
            {i + 1: money_fmt for i in range(len(pnl["years"]))},
        )
    if doc["objectives"] is not None:
        objectives = sheet(
            "Objectives",
            ["Year", "Metric", "Target", "Actual", "Attained", "Status", "Note"],
            [
                [y, m, t, a, None if p is None else p / 100, s, n]
                for y, m, t, a, p, s, n in _objective_rows(doc)
            ],
            {4: PCT_FORMAT},
        )
        # Each row's target and actual in its own measure: an amount, units or a percentage.
        for row, measure in enumerate(_objective_measures(doc), start=2):
            for col in (3, 4):
                objectives.cell(row, col).number_format = _MEASURE_FORMATS.get(measure, money_fmt)
    if doc["value_propositions"] is not None:
        sheet(
            "Value propositions",
            ["Solution", "The customer's measurable gain"],
            [[v.solution, v.customer_gain] for v in doc["value_propositions"]],
            {},
        )
    if doc["whitespace"] is not None:
        sheet(
            "Whitespace",
            ["Product line", "Business unit", "Current sales", "Potential", "Gap"],
            _whitespace_rows(doc),
            {2: money_fmt, 3: money_fmt, 4: money_fmt},
        )
    if doc["risks"] is not None:
        sheet(
            "Risks",
            ["Risk", "Likelihood", "Impact", "Mitigation"],
            [
                [r.description, r.get_likelihood_display(), r.get_impact_display(), r.mitigation]
                for r in doc["risks"]
            ],
            {},
        )
    if doc["actions"] is not None:
        sheet(
            "Actions",
            ["Action", "Owner", "Due", "Status", "Overdue"],
            [[t, o, d, s, "yes" if late else "no"] for t, o, d, s, late in _action_rows(doc)],
            {2: DATE_FORMAT},
        )
    wb.properties.title = head["title"]
    wb.properties.creator = "OpenKAM"
    for section in doc.get("app_sections", ()):
        sheet(section["title"][:31], section["header"], section["rows"], {})
    out = io.BytesIO()
    protect_workbook(wb)  # no user text becomes a live formula (core.exports)
    wb.save(out)
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------------

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
BRAND = (46, 80, 214)
BRAND_LIGHT = (170, 186, 240)
DEDUCT = (214, 110, 96)


def _logo(kind: str, account) -> Path | None:
    """The logo file for a slot, if one is there.

    Ours: ``settings.OPENKAM_LOGO`` (a PNG or JPEG path), else ``DATA_DIR/logos/ours.png``;
    the account's: ``DATA_DIR/logos/<account id>.png`` (or ``.jpg``).
    """
    folder = Path(getattr(settings, "DATA_DIR", ".")) / "logos"
    if kind == "ours":
        configured = getattr(settings, "OPENKAM_LOGO", None)
        candidates = [Path(configured)] if configured else []
        candidates += [folder / "ours.png", folder / "ours.jpg"]
    else:
        candidates = [folder / f"{account.account_id}.png", folder / f"{account.account_id}.jpg"]
    return next((p for p in candidates if p.is_file()), None)


def _make_pdf(head: dict):
    """An fpdf2 document with the house page: running header, footer with page numbers."""
    from fpdf import FPDF

    class PlanPDF(FPDF):
        def header(self):
            if self.page_no() == 1:
                return
            self.set_y(10)
            self.set_font(self.body_font, "", 8)
            self.set_text_color(*MUTED)
            self.cell(0, 5, self.clean(head["title"]), align="L")
            self.set_draw_color(*RULE)
            self.line(self.l_margin, 16, self.w - self.r_margin, 16)
            self.set_y(22)

        def footer(self):
            self.set_y(-13)
            self.set_draw_color(*RULE)
            self.line(self.l_margin, self.get_y() - 1, self.w - self.r_margin, self.get_y() - 1)
            self.set_font(self.body_font, "", 8)
            self.set_text_color(*MUTED)
            left = f"{head['audience']} · as of {head['as_of']:%Y-%m-%d} · amounts in {head['currency']}"
            self.cell(0, 5, self.clean(left), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

        def clean(self, value) -> str:
            value = "" if value is None else str(value)
            if self.body_font == "Helvetica":
                return value.encode("latin-1", "replace").decode("latin-1")
            return value

    pdf = PlanPDF(format="A4", unit="mm")
    pdf.body_font = "Helvetica"
    regular = next(
        (d / "DejaVuSans.ttf" for d in FONT_DIRS if (d / "DejaVuSans.ttf").is_file()), None
    )
    if regular is not None:
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(regular.with_name("DejaVuSans-Bold.ttf")))
        pdf.body_font = "DejaVu"
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(head["title"])
    pdf.set_creator("OpenKAM")
    pdf.alias_nb_pages()
    return pdf


class _Writer:
    """The plan's layout on the page: title block, sections, tables and charts.

    Other documents (a scorecard) use the same page, headings and tables by giving their own
    ``head`` (``{"title", "audience", "as_of", "currency"}``) instead of a plan ``doc``.
    """

    def __init__(self, doc: dict | None = None, *, head: dict | None = None):
        self.doc = doc
        self.head = head if head is not None else heading(doc)
        self.pdf = _make_pdf(self.head)
        self.font = self.pdf.body_font
        self.pdf.add_page()

    @property
    def width(self) -> float:
        return self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def text(self, value) -> str:
        return self.pdf.clean(value)

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` mm fit on this one."""
        if self.pdf.get_y() + height > self.pdf.h - self.pdf.b_margin:
            self.pdf.add_page()

    def title_block(self) -> None:
        pdf, account = self.pdf, self.doc["account"]
        top = pdf.get_y()
        # Two logo slots on the right: ours, then the account's (empty when no file is set).
        slot_w, slot_h = 32.0, 14.0
        for i, kind in enumerate(("ours", "account")):
            path = _logo(kind, account)
            x = pdf.w - pdf.r_margin - (2 - i) * slot_w - (1 - i) * 4
            if path is not None:
                pdf.image(str(path), x=x, y=top, w=slot_w, h=slot_h, keep_aspect_ratio=True)
        pdf.set_font(self.font, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5, "KEY ACCOUNT PLAN", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(self.font, "B", 18)
        pdf.set_text_color(*INK)
        pdf.multi_cell(
            self.width - 2 * slot_w - 8, 9, self.text(account.name), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_y(max(pdf.get_y(), top + slot_h) + 3)
        pdf.set_font(self.font, "", 9)
        for label, value in [*self.head["facts"], ("As of", f"{self.head['as_of']:%Y-%m-%d}")]:
            pdf.set_text_color(*MUTED)
            pdf.cell(42, 5, self.text(label))
            pdf.set_text_color(*INK)
            pdf.multi_cell(0, 5, self.text(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def heading(self, text: str) -> None:
        """A section heading, kept on a page with the first lines of its section."""
        pdf = self.pdf
        self.ensure(40)
        pdf.ln(4)
        pdf.set_font(self.font, "B", 12)
        pdf.set_text_color(*BRAND)
        pdf.cell(0, 7, self.text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)
        pdf.set_text_color(*INK)
        pdf.set_font(self.font, "", 9.5)

    def pairs(self, rows: list[tuple[str, str]], label_w: float = 48) -> None:
        """Label and text side by side, the text wrapping in its column."""
        pdf = self.pdf
        for label, body in rows:
            self.ensure(10)
            y = pdf.get_y()
            pdf.set_font(self.font, "", 9.5)
            pdf.set_text_color(*MUTED)
            pdf.multi_cell(label_w - 2, 5, self.text(label), align="L", new_x="RIGHT", new_y="TOP")
            bottom = pdf.get_y()
            pdf.set_xy(pdf.l_margin + label_w, y)
            pdf.set_text_color(*INK)
            pdf.multi_cell(0, 5, self.text(body or "—"), align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.set_y(max(pdf.get_y(), bottom))
            pdf.set_y(max(pdf.get_y(), y + 5) + 1)

    def table(self, header: list[str], rows: list[list], widths: list[float], right=()) -> None:
        """A table with rules between rows and no fills; columns in ``right`` right-aligned."""
        from fpdf.enums import TableBordersLayout, TableCellFillMode
        from fpdf.fonts import FontFace

        pdf = self.pdf
        if not rows:
            pdf.set_text_color(*MUTED)
            pdf.cell(0, 6, "None yet.", new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(*INK)
            return
        self.ensure(14)
        pdf.set_font(self.font, "", 9)
        pdf.set_draw_color(*RULE)
        # fpdf2 paints a table's heading row with the current fill colour (a chart's bar
        # colour, after a chart): white makes sure no table carries a stray fill.
        pdf.set_fill_color(255, 255, 255)
        pdf.set_line_width(0.2)
        align = tuple("RIGHT" if i in right else "LEFT" for i in range(len(header)))
        scale = self.width / sum(widths)
        with pdf.table(
            col_widths=[w * scale for w in widths],
            width=self.width,
            text_align=align,
            line_height=5,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            cell_fill_mode=TableCellFillMode.NONE,
            headings_style=FontFace(emphasis="BOLD", color=MUTED, fill_color=None),
            padding=(1.2, 1.5),
        ) as t:
            row = t.row()
            for h in header:
                row.cell(self.text(h))
            for r in rows:
                row = t.row()
                for v in r:
                    row.cell(self.text(v))
        pdf.ln(3)

    def columns_chart(self, title: str, groups, series, height: float = 48) -> None:
        """Grouped vertical bars around a zero line (losses hang below it).

        ``groups`` = [(label, [value or None per series])]; ``series`` = [(name, colour)].
        """
        pdf = self.pdf
        values = [v for _, vs in groups for v in vs if v is not None]
        if not values:
            return
        self.ensure(height + 22)
        hi, lo = max(max(values), 0.0), min(min(values), 0.0)
        span = (hi - lo) or 1.0
        pdf.set_font(self.font, "B", 9.5)
        pdf.cell(0, 6, self.text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(self.font, "", 7.5)
        x0, y0 = pdf.l_margin, pdf.get_y() + 2
        # Legend.
        x = x0
        for name, colour in series:
            pdf.set_fill_color(*colour)
            pdf.rect(x, y0, 3, 3, style="F")
            pdf.set_xy(x + 4, y0 - 1)
            pdf.set_text_color(*INK)
            pdf.cell(30, 5, self.text(name))
            x += 34
        top = y0 + 7
        zero = top + height * hi / span
        slot = self.width / len(groups)
        bar = min(12.0, (slot - 6) / len(series))
        pdf.set_draw_color(*RULE)
        pdf.line(x0, zero, x0 + self.width, zero)
        for g, (label, vs) in enumerate(groups):
            left = x0 + g * slot + (slot - bar * len(series)) / 2
            for i, v in enumerate(vs):
                if v is None:
                    continue
                h = height * abs(v) / span
                y = zero - h if v >= 0 else zero
                pdf.set_fill_color(*series[i][1])
                pdf.rect(left + i * bar, y, bar - 0.8, max(h, 0.3), style="F")
                pdf.set_text_color(*MUTED)
                pdf.set_xy(left + i * bar - 4, y - 4 if v >= 0 else y + h)
                pdf.cell(bar + 8, 4, self.text(_short(v)), align="C")
            pdf.set_text_color(*INK)
            # Below the value labels of bars that reach the bottom of the chart.
            pdf.set_xy(x0 + g * slot, top + height + 6)
            pdf.multi_cell(slot, 3.5, self.text(label), align="C")
        pdf.set_y(top + height + 15)
        pdf.set_text_color(*INK)

    def waterfall(self, title: str, steps: list[tuple[str, float, str]], height=55) -> None:
        """A P&L waterfall: subtotals stand on the zero line, deductions float down from the
        running total (DESIGN §4)."""
        pdf = self.pdf
        self.ensure(height + 24)
        running, bars = 0.0, []
        for label, value, kind in steps:
            if kind == "total":
                bars.append((label, 0.0, value, BRAND))
                running = value
            else:
                bars.append((label, running, running - value, DEDUCT))
                running -= value
        ends = [b for _, a, b, _ in bars] + [a for _, a, _, _ in bars]
        hi, lo = max(max(ends), 0.0), min(min(ends), 0.0)
        span = (hi - lo) or 1.0
        pdf.set_font(self.font, "B", 9.5)
        pdf.cell(0, 6, self.text(title), new_x="LMARGIN", new_y="NEXT")
        x0, top = pdf.l_margin, pdf.get_y() + 5
        zero = top + height * hi / span
        slot = self.width / len(bars)
        pdf.set_draw_color(*RULE)
        pdf.line(x0, zero, x0 + self.width, zero)
        pdf.set_font(self.font, "", 7)
        for i, (label, a, b, colour) in enumerate(bars):
            y_a, y_b = zero - height * a / span, zero - height * b / span
            x = x0 + i * slot + 2
            pdf.set_fill_color(*colour)
            pdf.rect(x, min(y_a, y_b), slot - 4, max(abs(y_b - y_a), 0.3), style="F")
            value = b - a
            pdf.set_text_color(*MUTED)
            pdf.set_xy(x0 + i * slot, min(y_a, y_b) - 4)
            pdf.cell(slot, 4, self.text(_short(value)), align="C")
            pdf.set_text_color(*INK)
            pdf.set_xy(x0 + i * slot, top + height + 3)
            pdf.multi_cell(slot, 3.2, self.text(label), align="C")
        pdf.set_y(top + height + 14)


def _short(value: float) -> str:
    """A chart label: 1.2M, 350k, -90k (the axis is in the reporting currency)."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if size >= 1e4:
        return f"{value / 1e3:,.0f}k"
    return f"{value:,.0f}"


def to_pdf(doc: dict) -> bytes:
    """The plan as an A4 document: title block with logo slots, sections, right-aligned
    amounts with their currency, the P&L waterfall and the objectives as charts, and page
    numbers."""
    out = _Writer(doc)
    out.title_block()
    if doc["analysis"] is not None:
        out.heading("Customer analysis")
        out.pairs(doc["analysis"])
    if doc["position"] is not None:
        p = doc["position"]
        out.heading("Our position")
        out.pairs(
            [
                ("Share of wallet", _pct(p["share_of_wallet"])),
                ("Relationship stage", p["stage"]),
                ("Competitors", p["competitors"]),
            ]
        )
    if doc.get("pnl"):
        pnl = doc["pnl"]
        out.heading("Account P&L")
        out.table(
            ["", *pnl["years"]],
            [[r["label"], *(_signed(v, r["kind"]) for v in r["values"])] for r in pnl["rows"]],
            [60] + [40] * len(pnl["years"]),
            right=set(range(1, len(pnl["years"]) + 1)),
        )
        year = 0  # the waterfall of the last complete year (the first column)
        out.waterfall(
            f"Waterfall {pnl['years'][year]} ({out.head['currency']})",
            [
                (r["label"], float(r["values"][year] or 0), r["kind"])
                for r in pnl["rows"]
                if r["label"] not in ("Invoiced sales",)
            ],
        )
    if doc["objectives"] is not None:
        out.heading("Objectives")
        rows = _objective_rows(doc)
        measures = _objective_measures(doc)
        out.table(
            ["Year", "Metric", "Target", "Actual", "Attained", "Status"],
            [
                [y, m, _measure_text(t, k), _measure_text(a, k), _pct(p), s]
                for (y, m, t, a, p, s, _), k in zip(rows, measures, strict=True)
            ],
            [12, 34, 30, 30, 18, 20],
            right={2, 3, 4},
        )
        measure_of = dict(zip((r[1] for r in rows), measures, strict=True))
        for metric in dict.fromkeys(r[1] for r in rows):
            mine = [r for r in rows if r[1] == metric]
            unit = out.head["currency"] if measure_of[metric] == "money" else ""
            out.columns_chart(
                f"{metric}: target and actual" + (f" ({unit})" if unit else ""),
                [(str(r[0]), [_f(r[2]), _f(r[3])]) for r in mine],
                [("Target", BRAND_LIGHT), ("Actual", BRAND)],
                height=36,
            )
    if doc["value_propositions"] is not None:
        out.heading("Value propositions")
        out.table(
            ["Solution", "The customer's measurable gain"],
            [[v.solution, v.customer_gain] for v in doc["value_propositions"]],
            [1, 1],
        )
    if doc["whitespace"] is not None:
        out.heading("Whitespace")
        rows = _whitespace_rows(doc)
        until = doc.get("whitespace_until")
        if until:
            out.pdf.set_text_color(*MUTED)
            out.pdf.multi_cell(
                0,
                5,
                out.text(
                    f"Invoiced sales of the 12 months to {until:%Y-%m-%d}; potential entered."
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
            out.pdf.set_text_color(*INK)
            out.pdf.ln(1)
        out.table(
            ["Product line", "Business unit", "Current sales", "Potential", "Gap"],
            [[ln, u, money(c), money(p), money(g)] for ln, u, c, p, g in rows],
            [40, 36, 28, 28, 28],
            right={2, 3, 4},
        )
    if doc["risks"] is not None:
        out.heading("Risks")
        out.table(
            ["Risk", "Likelihood", "Impact", "Mitigation"],
            [
                [r.description, r.get_likelihood_display(), r.get_impact_display(), r.mitigation]
                for r in doc["risks"]
            ],
            [60, 20, 18, 62],
        )
    if doc["actions"] is not None:
        out.heading("Actions")
        out.table(
            ["Action", "Owner", "Due", "Status"],
            [
                [t, o, _date(d), s + (" — overdue" if late else "")]
                for t, o, d, s, late in _action_rows(doc)
            ],
            [78, 36, 22, 30],
        )
    for section in doc.get("app_sections", ()):
        out.heading(section["title"])
        out.table(section["header"], section["rows"], [1] * len(section["header"]))
    return bytes(out.pdf.output())


def _f(value) -> float | None:
    return None if value is None else float(value)
