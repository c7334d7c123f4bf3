"""The account list sorted by a money column, without a lookup per account per request.

Sorting by net sales (or contribution, margin, lifetime value) orders every account by
its stored figure: as a query, one correlated lookup per account and a sort of all of
them (0.6–0.8 s with 100,000 accounts). The order only changes with a new run, so it is
worked out once per process and run — the accounts with a figure, in order — and a page
of the list is a slice of it (of the accounts a filter keeps). Accounts without a figure
come after, by id, as the query puts them (NULLS LAST).
"""

from __future__ import annotations

from openkam.web.accounts.models import Account
from openkam.web.accounts.paging import PAGE_SIZE, Page, capped_count
from openkam.web.core.derived import of_run, run_key
from openkam.web.core.kept import Kept

#: ``{(kind, run, finished, field, year): [account pk, …]}``, the last few orders.
_orders: Kept[list[int]] = Kept(16)


def ranked(field: str, year: str | None, descending: bool) -> list[int] | None:
    """The pks of the accounts with a figure, in the list's order (None: no run)."""
    from openkam.web.core.models import Computation
    from openkam.web.core.runs import current

    kind = Computation.Kind.CLV if field == "clv" else Computation.Kind.PROFITABILITY
    run = current(kind)
    if run is None or (field != "clv" and not year):
        return None
    key = (kind, field, year, descending)
    return of_run(run_key(run), key, lambda: _ranking(run, field, year, descending), _orders)


def _ranking(run, field: str, year, descending: bool) -> list[int]:
    from openkam.web.lifetime_value.models import AccountValue
    from openkam.web.profitability.models import AccountPeriodFigures

    if field == "clv":
        rows = AccountValue.objects.filter(computation=run).values_list(
            "account_key", "clv_contribution"
        )
    else:
        # The rolled-up row comes last and wins, as in profitability.figures.year_figure.
        rows = (
            AccountPeriodFigures.objects.filter(computation=run, grain="year", period=year)
            .order_by("rolled_up")
            .values_list("account_key", field)
        )
    value = dict(rows)
    pks = dict(Account.objects.values_list("account_id", "pk"))
    items = [(v, pks[k]) for k, v in value.items() if v is not None and k in pks]
    # Ties by id ascending in either direction, as the query orders them.
    items.sort(key=(lambda t: (-t[0], t[1])) if descending else (lambda t: t))
    return [pk for _, pk in items]


def money_page(
    queryset,
    ordered,
    field: str,
    year,
    descending: bool,
    number,
    *,
    filtered: bool = False,
    counted: tuple[int, bool] | None = None,
) -> Page | None:
    """Page ``number`` of the list in the money column's order, or None when there is no
    run to order by. ``ordered`` is the same list as a query (for the accounts without a
    figure, after the ranked ones); a ``filtered`` list keeps the ranked accounts it holds
    (one read of its ids). ``counted``: the ``(count, capped)`` the caller knows."""
    order = ranked(field, year, descending)
    if order is None:
        return None
    if filtered:
        allowed = set(queryset.order_by().values_list("pk", flat=True))
        order = [pk for pk in order if pk in allowed]
    count, capped = counted or capped_count(queryset)
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    if not capped:
        number = min(number, max(1, -(-count // PAGE_SIZE)))
    start = (number - 1) * PAGE_SIZE
    pks = order[start : start + PAGE_SIZE]
    by_pk = queryset.in_bulk(pks)
    rows = [by_pk[pk] for pk in pks if pk in by_pk]
    if len(pks) < PAGE_SIZE:  # past the ranked accounts: those without a figure
        rest = ordered.filter(_sort__isnull=True)
        skip = max(0, start - len(order))
        rows += list(rest[skip : skip + PAGE_SIZE - len(pks)])
    return Page(
        object_list=rows,
        number=number,
        count=count,
        count_capped=capped,
        has_next=start + PAGE_SIZE < count,
        has_previous=number > 1,
        next_query={"page": number + 1},
        previous_query={"page": number - 1},
    )
