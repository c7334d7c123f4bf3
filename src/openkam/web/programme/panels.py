"""The partnership's panel on the account page."""

from __future__ import annotations

from openkam.web.accounts.models import Account
from openkam.web.programme.models import Partnership


def partnership_panel(request, account) -> dict | None:
    """Key accounts (and any account with a recorded partnership) show the customer's
    agreement; a key account without one says so."""
    partnership = Partnership.objects.filter(account=account).select_related("agreed_by").first()
    if partnership is None and account.key_status != Account.KeyStatus.KEY:
        return None
    return {
        "account": account,
        "partnership": partnership,
        "may_edit": account.editable_by(request.user),
    }
