"""The demo's key account plans: one story per account, dated around the demo's today.

Each key account gets a plan drawn from its own numbers and a seeded choice of content, so
that no two plans read alike: the customer analysis, the relationship stage, objectives for
last year (judged against the ledger), this year (prorated against the year to date) and
next year, value propositions, risks, and actions owned by several functions (supply chain
and operations too, not only sales), some done, some due, some overdue. Some plans are signed
off by the sponsor, some reviews are past due.

The content is a deterministic function of the seed, the demo's today and the ledger's figures,
so the same demo gives the same plans.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_CEILING, Decimal

from django.db.models import Q
from django.utils import timezone

from openkam.web.accounts.models import Account
from openkam.web.people.models import Person

#: Plans (by their place in the account order, modulo 5) whose sponsor has signed them off.
SIGNED = (0, 1, 3)

MARKET_POSITIONS = (
    "Number {rank} in {industry} in {region}, growing faster than its market.",
    "A {industry} group in {region} that buys through a central procurement team.",
    "A family-owned {industry} business in {region}, profitable and conservative.",
    "Consolidating its {industry} plants in {region} after two acquisitions.",
    "A {industry} challenger in {region} winning share on price.",
)
COMPETITION = (
    "Two global suppliers and a low-cost regional challenger.",
    "One incumbent with 60 % of the spend; we are the second source.",
    "Fragmented: five local distributors, none with our technical service.",
    "A strong incumbent on core lines; we lead in specialities.",
)
STRATEGIES = (
    "Consolidating suppliers; pushing cost-to-serve and lead times down.",
    "Expanding into adjacent markets; needs partners for new product lines.",
    "Cutting working capital: lower stock, longer payment terms.",
    "Sustainability targets for 2030: recycled content and lower transport emissions.",
    "Automating its plants; wants suppliers who integrate with its planning systems.",
)
STRENGTHS = (
    "Technical service on site; breadth of product lines.",
    "Delivery reliability above 97 % on time in full.",
    "A long relationship with their engineering team.",
    "Our formulations are specified in their products.",
)
WEAKNESSES = (
    "Many small expedited orders drive our cost to serve.",
    "We are invisible to their procurement director.",
    "Our prices are above the regional challenger's.",
    "Returns on two product lines are above average.",
)
OPPORTUNITIES = (
    "Vendor-managed inventory at the main plants.",
    "Their new plant opens next year and has no supplier yet.",
    "Specialities they still buy from a competitor.",
    "A joint sustainability programme on packaging.",
)
THREATS = (
    "Price pressure at the next tender.",
    "A competitor offers consignment stock.",
    "Their new CFO reviews every supplier above 1 M.",
    "Insourcing of one product line.",
)
COMPETITORS = ("Alvora, Brennick", "Castellan", "Dunmore Industrial", "Eskvale, Fortan")

PROPOSITIONS = (
    (
        "Vendor-managed inventory for the top 50 items",
        "cut their inventory 15 % and stock-outs to zero",
    ),
    ("Weekly consolidated deliveries", "one truck a week instead of nine; 8 % less transport cost"),
    ("Joint value engineering on their top product", "2 % lower bill of materials"),
    ("Recycled-content packaging", "30 % less virgin plastic toward their 2030 target"),
    ("EDI ordering from their ERP", "order handling time halved on both sides"),
    ("On-site technical support for line trials", "new product to market 3 months sooner"),
)
RISKS = (
    (
        "Tender opens to low-cost competitors",
        "medium",
        "high",
        "Total-cost-of-ownership case with their plant managers",
    ),
    (
        "Key contact (head of purchasing) retires this year",
        "high",
        "medium",
        "Build relationships with the successor now",
    ),
    (
        "Their volumes fall with the market",
        "medium",
        "medium",
        "Win the specialities to hold our revenue",
    ),
    (
        "Payment behaviour is slipping",
        "low",
        "high",
        "Finance reviews terms and credit limit quarterly",
    ),
)

#: Actions by the function that owns them; "kam" and "sponsor" are the account's own.
ACTIONS = {
    "supply_chain": (
        "Set up vendor-managed inventory at the main plant",
        "Agree a safety-stock level for the top 20 items",
        "Move to a weekly consolidated delivery schedule",
    ),
    "operations": (
        "Reserve line capacity for their Q4 peak",
        "Cut expedited deliveries by agreeing order cut-off times",
    ),
    "finance": (
        "Review payment terms and credit limit",
        "Rebate scheme: tie the rebate to order size, not only volume",
    ),
    "customer_service": ("Dedicated service desk contact for their buyers",),
    "technical": ("Line trial of the new formulation", "Root-cause review of last year's returns"),
    "marketing": ("Joint case study for the trade fair",),
    "sales": ("Price increase for next year agreed with purchasing",),
    "kam": ("Quarterly business review with their procurement team",),
    "sponsor": ("Executive sponsor visit and business review",),
}
#: What a loss-making account's plan does about its cost to serve.
LOSS_ACTIONS = (
    ("supply_chain", "Minimum order quantity and fewer, larger deliveries"),
    ("finance", "Renegotiate the volume rebate that pays out below our margin"),
    ("customer_service", "Charge expedited orders at cost from next quarter"),
)

STAGES = ("exploratory", "basic", "cooperative", "interdependent", "integrated")


def _people_by_function() -> dict[str, list[Person]]:
    """Active people per function: the organisation's ``function``, else their access role."""
    out: dict[str, list[Person]] = {}
    for function in ACTIONS:
        if function in ("kam", "sponsor"):
            continue
        found = Person.objects.filter(active=True).filter(Q(function=function) | Q(role=function))
        out[function] = list(found.order_by("person_id"))
    return out


def _figures(year: int) -> dict[str, object]:
    """Stored yearly figures per account (rolled up for parents, own for the rest)."""
    from openkam.web.profitability.figures import figures_by_account

    own = {r.account_key: r for r in figures_by_account(grain="year", period=str(year))}
    own.update(
        {
            r.account_key: r
            for r in figures_by_account(grain="year", period=str(year), rolled_up=True)
        }
    )
    return own


def _round(value: Decimal) -> Decimal:
    """A target as people write it (to the thousand above 50,000, the hundred above 5,000,
    else the ten),
    rounded up: a target is a floor to reach, so rounding never makes it easier."""
    size = abs(value)
    unit = Decimal(1000 if size >= 50_000 else 100 if size >= 5_000 else 10)
    return (value / unit).to_integral_value(rounding=ROUND_CEILING) * unit


def contribution_target(result: Decimal, stretch: Decimal) -> Decimal:
    """A contribution target moved from ``result`` by ``stretch`` × the result's size.

    A loss-making account is asked for a smaller loss (−200,000 with a stretch of 0.3 gives
    −140,000), not for a break-even it was never going to reach; a profitable one for more
    profit.
    """
    return result + stretch * abs(result)


def seed_plans(today: dt.date, seed: int = 42) -> int:
    """A living plan for each key account, dated around ``today``; returns how many."""
    from openkam.web.planning import services as plans
    from openkam.web.planning.models import (
        Action,
        Objective,
        PlanVersion,
        Risk,
        ValueProposition,
        WhitespaceCell,
    )

    last_year, this_year = today.year - 1, today.year
    last = _figures(last_year)
    by_function = _people_by_function()
    accounts = Account.objects.filter(key_status=Account.KeyStatus.KEY).select_related(
        "kam", "sponsor"
    )
    sales = _whitespace_sales(list(accounts), today)
    count = 0
    for account in accounts.order_by("account_id"):
        rng = random.Random(f"{seed}:{account.account_id}")
        figures = last.get(account.account_id)
        loss = figures is not None and figures.net_contribution < 0
        plan = plans.plan_for(account)
        plan.market_position = rng.choice(MARKET_POSITIONS).format(
            rank=rng.randint(1, 5),
            industry=(account.industry or "industrial").lower(),
            region=account.region or "its region",
        )
        plan.competitive_environment = rng.choice(COMPETITION)
        plan.business_strategy = rng.choice(STRATEGIES)
        plan.strengths = rng.choice(STRENGTHS)
        plan.weaknesses = WEAKNESSES[0] if loss else rng.choice(WEAKNESSES)
        plan.opportunities = rng.choice(OPPORTUNITIES)
        plan.threats = rng.choice(THREATS)
        plan.competitors = rng.choice(COMPETITORS)
        plan.share_of_wallet = Decimal(rng.randrange(15, 70, 5))
        # Loss-makers sit early in the relationship or are drifting apart; the rest spread.
        plan.relationship_stage = (
            rng.choice(("basic", "disintegrating")) if loss else rng.choice(STAGES)
        )
        plan.review_every_months = rng.choice((3, 3, 6, 2))
        # Most reviews happened within their cadence; one plan in five is past due (by its
        # place in the list, so that every demo has some, whatever the seed).
        overdue_review = count % 5 == 2
        days_ago = (
            plan.review_every_months * 31 + rng.randint(5, 40)
            if overdue_review
            else rng.randint(3, plan.review_every_months * 28)
        )
        plan.last_reviewed = today - dt.timedelta(days=days_ago)
        plan.next_review = plans.add_months(plan.last_reviewed, plan.review_every_months)
        plan.save()

        _objectives(plan, Objective, rng, last, this_year, loss)
        for solution, gain in rng.sample(PROPOSITIONS, rng.randint(1, 3)):
            ValueProposition.objects.create(plan=plan, solution=solution, customer_gain=gain)
        for description, likelihood, impact, mitigation in rng.sample(RISKS, rng.randint(1, 3)):
            Risk.objects.create(
                plan=plan,
                description=description,
                likelihood=likelihood,
                impact=impact,
                mitigation=mitigation,
            )
        _actions(plan, Action, account, rng, by_function, today, loss, overdue=count % 3 == 0)
        _whitespace(plan, WhitespaceCell, rng, sales.get(account.account_id, {}))
        version = plans.record_version(plan, None, note=f"Plan for {this_year} agreed")
        # The plan was agreed when it was last reviewed, not when the demo was loaded.
        agreed = timezone.make_aware(dt.datetime.combine(plan.last_reviewed, dt.time(10, 0)))
        PlanVersion.objects.filter(pk=version.pk).update(created=agreed)
        if account.sponsor_id and count % 5 in SIGNED:
            PlanVersion.objects.filter(pk=version.pk).update(
                signed_by=account.sponsor,
                signed_at=agreed + dt.timedelta(days=rng.randint(1, 6)),
            )
        count += 1
    return count


def _objectives(plan, Objective, rng, last, this_year, loss) -> None:
    """Last year's targets (judged on the ledger: met or missed by a few per cent), this
    year's (on last year's results, judged on the year to date) and next year's (a second
    step from last year's results)."""
    figures = last.get(plan.account.account_id)
    if figures is None:
        return
    # Last year's target was set a year ago; where the account landed against it is drawn
    # around its result, so some were met and some missed, by a believable margin.
    missed_by = Decimal(rng.choice(("-0.08", "-0.04", "0.03", "0.06", "0.10")))
    growth = Decimal(rng.choice(("0.02", "0.04", "0.06", "0.08", "0.12")))
    cut = Decimal(rng.choice(("0.3", "0.4", "0.5")))
    for year, steps in ((this_year - 1, 0), (this_year, 1), (this_year + 1, 2)):
        # Steps compound: two years of 5 % growth are 10.25 %, two years of cutting a loss
        # by 30 % leave 49 % of it (a smaller loss still, never a break-even by decree).
        sales_step = (1 + growth) ** steps - 1 if steps else missed_by
        stretch = (1 - (1 - cut) ** steps if loss else sales_step) if steps else missed_by
        Objective.objects.create(
            plan=plan,
            year=year,
            metric="net_sales",
            target=_round(figures.net_sales * (1 + sales_step)),
        )
        note = "Halve the loss: fewer, larger orders" if loss and cut == Decimal("0.5") else ""
        Objective.objects.create(
            plan=plan,
            year=year,
            metric="net_contribution",
            target=_round(contribution_target(figures.net_contribution, stretch)),
            note=note if steps else "",
        )


def _actions(plan, Action, account, rng, by_function, today, loss, overdue: bool) -> None:
    """Five to seven actions by several functions: done, due, and (if ``overdue``) the first
    one overdue."""
    team = {m.person.role: m.person for m in account.team_members.select_related("person")}
    functions = [f for f in ACTIONS if f not in ("kam", "sponsor")]
    # Supply chain always has a part: key accounts are served end to end.
    chosen = ["supply_chain", *rng.sample(functions[1:], rng.randint(2, 3)), "kam", "sponsor"]
    titles = [(f, rng.choice(ACTIONS[f])) for f in chosen]
    if loss:
        titles.insert(1, rng.choice(LOSS_ACTIONS))
    for i, (function, title) in enumerate(titles):
        if function == "kam":
            owner = account.kam
        elif function == "sponsor":
            owner = account.sponsor
        else:
            staff = by_function.get(function) or []
            owner = team.get(function) or (rng.choice(staff) if staff else account.kam)
        # Spread due dates from two months back to four ahead; past ones are done or dropped
        # unless this is the plan's overdue action.
        late = overdue and i == 0
        offset = -rng.randint(5, 45) if late else rng.randint(-60, 120)
        due = today + dt.timedelta(days=offset)
        if due < today:
            status = "in_progress" if late else rng.choice(("done", "done", "dropped"))
        else:
            status = rng.choice(("open", "open", "in_progress"))
        Action.objects.create(plan=plan, title=title, owner=owner, due=due, status=status)


def _whitespace_sales(accounts: list[Account], today: dt.date) -> dict[str, dict]:
    """Invoiced sales of the 12 months before ``today`` per key account (its subtree), product
    line and business unit, in one ledger query for all of them."""
    import narwhals as nw

    from openkam.web.accounts.models import Product
    from openkam.web.core.ledger import table

    invoices = table("invoices")
    if invoices is None or not accounts:
        return {}
    root = {sub: a.account_id for a in accounts for sub in a.subtree_ids()}
    start = today.replace(day=1) - dt.timedelta(days=365)
    rows = (
        invoices.filter(nw.col("account_id").is_in(list(root)), nw.col("invoice_date") >= start)
        .with_columns(
            sales=nw.col("quantity") * nw.col("unit_list_price") - nw.col("discount_amount")
        )
        .group_by("account_id", "product_id", "business_unit")
        .agg(nw.col("sales").sum())
        .collect()
        .to_arrow()
        .to_pylist()
    )
    line_of = dict(Product.objects.values_list("product_id", "product_line"))
    out: dict[str, dict] = {}
    for row in sorted(
        rows, key=lambda r: (r["account_id"], r["product_id"], r["business_unit"] or "")
    ):
        cells = out.setdefault(root[row["account_id"]], {})
        key = (line_of.get(row["product_id"], "(unknown product)"), row["business_unit"] or "")
        cells[key] = cells.get(key, Decimal(0)) + Decimal(row["sales"])
    return out


def _whitespace(plan, WhitespaceCell, rng, sales: dict) -> None:
    """Potential entered for a few cells: more of what they buy where they buy little, and a
    product line one business unit does not buy yet."""
    if not sales:
        return
    units = sorted({unit for _, unit in sales if unit})
    lines = sorted({line for line, _ in sales})
    cells = sorted(sales)
    for line, unit in rng.sample(cells, min(3, len(cells))):
        if not unit:
            continue
        factor = Decimal(rng.choice(("1.5", "2", "3")))
        WhitespaceCell.objects.create(
            plan=plan,
            product_line=line,
            business_unit=unit,
            potential=_round(sales[line, unit] * factor),
        )
    empty = [(ln, u) for ln in lines for u in units if (ln, u) not in sales]
    if empty:
        line, unit = rng.choice(empty)
        typical = sorted(sales.values())[len(sales) // 2]
        WhitespaceCell.objects.create(
            plan=plan,
            product_line=line,
            business_unit=unit,
            potential=_round(typical * 2),
            note="Not bought here yet",
        )
