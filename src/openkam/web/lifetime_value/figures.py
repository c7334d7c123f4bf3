"""Read access to the stored lifetime values, for pages and for other domains (selection,
plans, scorecards, the account list)."""

from __future__ import annotations

from decimal import Decimal

from openkam.web.core.models import Computation
from openkam.web.core.runs import current
from openkam.web.lifetime_value.models import AccountValue


def clv_by_account() -> dict[str, Decimal | None]:
    """Contribution-based CLV per account from the current CLV run ({} when none ran)."""
    run = current(Computation.Kind.CLV)
    if run is None:
        return {}
    return dict(
        AccountValue.objects.filter(computation=run).values_list("account_key", "clv_contribution")
    )


def account_values(account_key: str) -> AccountValue | None:
    run = current(Computation.Kind.CLV)
    if run is None:
        return None
    return AccountValue.objects.filter(computation=run, account_key=account_key).first()


def clv_figure():
    """A subquery expression: the outer account's contribution CLV from the current run."""
    from django.db.models import OuterRef, Subquery

    run = current(Computation.Kind.CLV)
    rows = AccountValue.objects.filter(computation=run, account_key=OuterRef("account_id"))
    return Subquery(rows.values("clv_contribution")[:1])


def clv_of(account_ids) -> dict[str, Decimal | None]:
    """Contribution-based CLV of a few accounts (a page of a list) from the current CLV run;
    accounts without a value are left out."""
    run = current(Computation.Kind.CLV)
    if run is None:
        return {}
    return dict(
        AccountValue.objects.filter(computation=run, account_key__in=list(account_ids)).values_list(
            "account_key", "clv_contribution"
        )
    )
