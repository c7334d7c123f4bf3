"""The demo's commitments: what operations promised the key accounts.

Every key account gets an on-time-in-full commitment (shown on its mutual plan); those with
open orders for a product short of supply get a priority on it with a protected quantity;
some get a guaranteed lead time. One commitment is to an account that is not key, as
happens when a promise outlives a programme review.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from openkam.web.accounts.models import Account, Product
from openkam.web.operations import services
from openkam.web.operations.models import Commitment
from openkam.web.people.models import Person


def seed_commitments() -> int:
    """Create the demo's commitments (nothing when there is no order ledger or no owner)."""
    led = services.ledger()
    if not services.has_orders(led):
        return 0
    owners = list(
        Person.objects.filter(role__in=["operations", "supply_chain"]).order_by("person_id")
    ) or list(Person.objects.filter(function__in=["operations", "supply_chain"]))
    if not owners:
        return 0
    today = services.ledger_today(led)
    start = dt.date(today.year - 1, 1, 1)
    end = dt.date(today.year + 1, 12, 31)
    keys = list(Account.objects.filter(key_status=Account.KeyStatus.KEY).order_by("account_id"))
    scarce = _scarce_open(led, today, {a.account_id for a in keys})
    products = {
        p.product_id: p for p in Product.objects.filter(product_id__in=[p for _, p, _ in scarce])
    }
    made = []
    n = 0

    def add(**values):
        nonlocal n
        n += 1
        made.append(
            Commitment(
                commitment_id=f"COM-{n:05d}",
                warning=services._warning_for(values["account"]),
                **values,
            )
        )

    for i, account in enumerate(keys):
        owner = owners[i % len(owners)]
        add(
            account=account,
            kind=Commitment.Kind.OTIF,
            description="At least 92 % of order lines delivered on time and in full, every quarter.",
            start_date=start,
            end_date=end,
            owner=owner,
            measure=Commitment.Measure.OTIF_PCT,
            target=Decimal("92"),
            review_period=Commitment.ReviewPeriod.QUARTER,
            customer_visible=True,
        )
        if i % 4 == 1:
            add(
                account=account,
                kind=Commitment.Kind.LEAD_TIME,
                description="Standard items delivered within 9 days of the order on average.",
                start_date=start,
                end_date=end,
                owner=owner,
                measure=Commitment.Measure.AVG_LEAD_TIME_DAYS,
                target=Decimal("9"),
                review_period=Commitment.ReviewPeriod.QUARTER,
                customer_visible=True,
            )
    taken = set()
    for account_id, product_id, open_units in scarce:
        if account_id in taken or product_id not in products or len(taken) >= 8:
            continue
        taken.add(account_id)
        account = next(a for a in keys if a.account_id == account_id)
        add(
            account=account,
            kind=Commitment.Kind.PRIORITY_ALLOCATION,
            description="Priority access when this product is short: its protected quantity first.",
            product=products[product_id],
            protected_quantity=Decimal(max(1, int(open_units * 0.8))),
            start_date=start,
            end_date=end,
            owner=owners[len(taken) % len(owners)],
            measure=Commitment.Measure.FILL_RATE_PCT,
            target=Decimal("95"),
            review_period=Commitment.ReviewPeriod.QUARTER,
        )
    other = Account.objects.exclude(key_status=Account.KeyStatus.KEY).order_by("account_id").first()
    if other is not None:
        add(
            account=other,
            kind=Commitment.Kind.CONSIGNMENT_STOCK,
            description="Consignment stock at the customer's plant, agreed when it was key.",
            start_date=start,
            end_date=end,
            owner=owners[0],
            measure=Commitment.Measure.NONE,
            target=None,
        )
    Commitment.objects.bulk_create(made)
    services._results.clear()
    return len(made)


def _scarce_open(led, as_of, key_ids: set[str]) -> list[tuple[str, str, int]]:
    """(account, product, open units) of key accounts' open lines on products whose open
    demand exceeds the supply, largest first."""
    from openkam.engine import operations as engine

    # From the fulfilment, which this makes for the whole demo ledger: the first service
    # report then finds it ready.
    lines = engine.ledger_open_lines(led, as_of, cache=True)
    supply = engine.supply_table(led)
    if not lines.num_rows:
        return []
    have: dict[str, float] = {}
    for p, q in zip(supply["product_id"].to_pylist(), supply["quantity"].to_pylist(), strict=True):
        have[p] = have.get(p, 0.0) + float(q)
    demand: dict[str, float] = {}
    pairs: dict[tuple[str, str], float] = {}
    for a, p, q in zip(
        lines["account_id"].to_pylist(),
        lines["product_id"].to_pylist(),
        lines["open_quantity"].to_pylist(),
        strict=True,
    ):
        demand[p] = demand.get(p, 0.0) + float(q)
        if a in key_ids:
            pairs[(a, p)] = pairs.get((a, p), 0.0) + float(q)
    scarce = {p for p, d in demand.items() if d > have.get(p, 0.0)}
    found = [(a, p, int(q)) for (a, p), q in pairs.items() if p in scarce and q >= 1]
    found.sort(key=lambda r: (-r[2], r[0], r[1]))
    return found
