"""The panel this app adds to the account page."""

from __future__ import annotations

from openkam.web.core import runs
from openkam.web.core.models import Computation
from openkam.web.lifetime_value.figures import account_values
from openkam.web.lifetime_value.models import ClvSettings


def clv_panel(request, account):
    """Lifetime value and near-term outlook of the account, with the assumptions behind it."""
    run = runs.current(Computation.Kind.CLV)
    return {
        "run": run,
        "currency": run.currency if run else None,
        "account": account,
        "value": account_values(account.account_id) if run else None,
        "params": run.params if run else ClvSettings.load().__dict__,
    }
