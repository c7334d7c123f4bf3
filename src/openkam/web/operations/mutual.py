"""The commitments section of the mutual plan: only commitments marked customer-visible,
copied field by field as plain strings (the mutual plan's allow-list rule)."""

from __future__ import annotations

from decimal import Decimal

#: What the customer reads for each measure (the measured value's unit).
_UNIT = {"otif_pct": " %", "fill_rate_pct": " %", "avg_lead_time_days": " days"}


def _number(value) -> str:
    if value is None:
        return ""
    value = Decimal(str(value))
    return f"{int(value):,}" if value == value.to_integral() else f"{value.normalize():f}"


def commitment_rows(plan) -> list[dict[str, str]]:
    """One row per customer-visible commitment to the plan's account: what, covering what,
    from, to, measure and target, and the latest measured result (value and period)."""
    from openkam.web.operations.models import Commitment
    from openkam.web.operations.services import commitment_status

    qs = Commitment.objects.filter(account=plan.account, customer_visible=True).select_related(
        "product"
    )
    items = list(qs.order_by("start_date", "pk"))
    if not items:
        return []
    latest: dict[str, dict] = {}
    for r in commitment_status(commitments=qs):
        if r["status"] in ("kept", "broken"):
            latest[r["commitment_id"]] = r
    rows = []
    for c in items:
        unit = _UNIT.get(c.measure, "")
        status = latest.get(c.commitment_id)
        result = ""
        if status is not None:
            result = f"{_number(status['value'])}{unit} in {status['period']}"
        rows.append(
            {
                "what": c.description or c.get_kind_display(),
                "covers": c.scope,
                "from": c.start_date.isoformat(),
                "to": c.end_date.isoformat(),
                "measure": c.get_measure_display() if c.measure != "none" else "",
                "target": f"{_number(c.target)}{unit}" if c.target is not None else "",
                "result": result,
            }
        )
    return rows


def register_section() -> None:
    from openkam.web.planning.mutual import MutualSection, register

    register(
        MutualSection(
            "commitments",
            "Our operations commitments to you",
            ("Commitment", "Covers", "From", "To", "Measure", "Target", "Latest result"),
            commitment_rows,
        )
    )
