"""The selection panel on the account page."""

from __future__ import annotations

from openkam.web.portfolio.models import Override, Review


def selection_panel(request, account):
    review = Review.objects.defer("inputs").first()
    row = review.row(account.account_id) if review is not None else None
    if row is not None:
        from openkam.web.portfolio.views import QUADRANT_LABELS

        row["quadrant_label"] = QUADRANT_LABELS.get(row["quadrant"], row["quadrant"])
    return {
        "account": account,
        "review": review,
        "row": row,
        "override": Override.objects.filter(account=account, active=True).first(),
    }
