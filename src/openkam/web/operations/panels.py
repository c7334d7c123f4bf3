"""The commitments panel on the account page (and the rows the plan shows)."""

from __future__ import annotations

from openkam.web.operations import services
from openkam.web.operations.models import Commitment


def commitment_rows(account, *, shared_only: bool = False) -> list[dict]:
    """``[{"c": commitment, "status": latest status row}]`` for ``account``."""
    qs = Commitment.objects.filter(account=account).select_related("account", "product", "owner")
    if shared_only:
        qs = qs.filter(customer_visible=True)
    items = list(qs.order_by("start_date", "pk"))
    if not items:
        return []
    latest: dict[str, dict] = {}
    for r in services.commitment_status(commitments=qs):
        if r["status"] in ("kept", "broken") or r["commitment_id"] not in latest:
            latest[r["commitment_id"]] = r
    return [{"c": c, "status": latest.get(c.commitment_id)} for c in items]


#: Open order lines shown on the account page (short ones first); the rest on the
#: allocation page.
PANEL_LINES = 15


def commitments_panel(request, account) -> dict | None:
    rows = commitment_rows(account)
    if not rows and account.key_status != account.KeyStatus.KEY:
        return None
    open_lines = services.account_open_lines(account)
    return {
        "account": account,
        "rows": rows,
        "may_create": services.may_create_for(request.user, account),
        "open": open_lines,
        "lines": open_lines["lines"][:PANEL_LINES],
        "more": max(0, len(open_lines["lines"]) - PANEL_LINES),
    }
