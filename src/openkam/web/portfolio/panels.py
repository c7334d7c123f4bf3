"""The selection panel on the account page."""

from __future__ import annotations

from openkam.web.portfolio.models import Override, Review


def selection_panel(request, account):
    review = Review.objects.first()
    row = None
    if review is not None:
        row = next((r for r in review.rows() if r["account_id"] == account.account_id), None)
    return {
        "account": account,
        "review": review,
        "row": row,
        "override": Override.objects.filter(account=account, active=True).first(),
    }
