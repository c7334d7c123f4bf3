"""The programme dashboard for the CEO and the KAM champion.

Is the key account programme paying? The key accounts' share of revenue beside their share
of net contribution and of lifetime value; the programme against the rest of the
portfolio; loss-making key accounts with their trend and whether their lifetime value
justifies them; each KAM and sponsor; where the key accounts sit on the whale curve
(accounts sorted by contribution, cumulative contribution as a share of the total; Kaplan &
Narayanan 2001, "Measuring and managing customer profitability", *J. Cost Management*).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from openkam.engine import scorecards as engine
from openkam.web.accounts.models import Account
from openkam.web.people.models import Assignment
from openkam.web.scorecards import services


def _share(part: int, whole: int) -> float | None:
    """part / whole × 100; None over a whole ≤ 0 (a share of a loss means nothing)."""
    return part / whole * 100 if whole > 0 else None


def programme_accounts(period: engine.ScorePeriod) -> set[str]:
    """Accounts held by a key account manager at any time in the period."""
    return set(
        Assignment.objects.filter(role=Assignment.Role.KAM, start__lt=period.end)
        .filter(Q(end__isnull=True) | Q(end__gt=period.start))
        .values_list("account__account_id", flat=True)
    )


def _period_figures(period: engine.ScorePeriod) -> dict[str, dict[str, int]]:
    """Every account's figures for the period (its period row; summed months for a year
    to date), in cents, own rows only (a group's subsidiaries are accounts of their own
    here, so no sale counts twice in the portfolio's totals)."""
    from openkam.web.profitability.models import AccountPeriodFigures

    run = services._profitability_run()
    grain = services._period_label(period)
    qs = AccountPeriodFigures.objects.filter(computation=run, rolled_up=False)
    if grain:
        qs = qs.filter(grain=grain[0], period=grain[1])
    else:
        qs = qs.filter(grain="month", period__in=period.months)
    out: dict = defaultdict(lambda: {"net_sales": 0, "net_contribution": 0})
    for key, sales, contribution in qs.values_list("account_key", "net_sales", "net_contribution"):
        out[key]["net_sales"] += services._cents(sales)
        out[key]["net_contribution"] += services._cents(contribution)
    return dict(out)


def dashboard(period: engine.ScorePeriod) -> dict:
    """The dashboard's figures for ``period`` (money as Decimal in the reporting currency)."""
    figures = _period_figures(period)
    prior = _period_figures(period.prior())
    key = programme_accounts(period)
    _start, end_snap = services.snapshots_for(period)
    clv = services.snapshot_values(end_snap) if end_snap else {}
    if not clv:
        # No snapshot at the period's end: the latest values known, said so on the page.
        from openkam.web.lifetime_value.figures import clv_by_account

        clv = {k: None if v is None else services._cents(v) for k, v in clv_by_account().items()}
        clv_as_of = "latest CLV run"
    else:
        clv_as_of = end_snap.as_of.isoformat()

    def totals(accounts):
        sales = sum(figures[a]["net_sales"] for a in accounts if a in figures)
        contribution = sum(figures[a]["net_contribution"] for a in accounts if a in figures)
        value = sum(clv[a] for a in accounts if clv.get(a) is not None)
        return {
            "accounts": len(accounts),
            "net_sales": services._money(sales),
            "net_contribution": services._money(contribution),
            "contribution_margin_pct": _share(contribution, sales),
            "clv": services._money(value),
            "_cents": (sales, contribution, value),
        }

    everyone = set(figures) | set(clv)
    programme = totals(key & everyone)
    rest = totals(everyone - key)
    whole = totals(everyone)
    ws, wc, wv = whole["_cents"]
    ps, pc, pv = programme["_cents"]
    shares = {
        "revenue": _share(ps, ws),
        "contribution": _share(pc, wc),
        "clv": _share(pv, wv),
    }
    for t in (programme, rest, whole):
        t.pop("_cents")

    names = dict(Account.objects.filter(account_id__in=key).values_list("account_id", "name"))
    months = _monthly(key, period)
    losses = []
    for a in sorted(key):
        f = figures.get(a)
        if f is None or f["net_contribution"] >= 0:
            continue
        before = prior.get(a, {}).get("net_contribution")
        value = clv.get(a)
        losses.append(
            {
                "account_id": a,
                "name": names.get(a, ""),
                "net_sales": services._money(f["net_sales"]),
                "net_contribution": services._money(f["net_contribution"]),
                "prior_net_contribution": services._money(before),
                "trend": "improving"
                if before is not None and f["net_contribution"] > before
                else "worsening"
                if before is not None and f["net_contribution"] < before
                else "no prior figure",
                "monthly": months.get(a, []),
                "clv": services._money(value),
                # A loss now is justified when the relationship is worth more than nothing
                # over its lifetime (DESIGN §1.2: a supplier may lose money for a while on an
                # account whose CLV is high).
                "justified": None if value is None else value > 0,
            }
        )
    losses.sort(key=lambda r: r["net_contribution"])

    # The whale curve: all accounts by contribution, highest first.
    ordered = sorted(figures.items(), key=lambda kv: -kv[1]["net_contribution"])
    total = sum(f["net_contribution"] for _, f in ordered)
    running, curve, key_points = 0, [], []
    peak = (0, 0.0)
    for i, (account, f) in enumerate(ordered, start=1):
        running += f["net_contribution"]
        share = _share(running, total) if total > 0 else None
        curve.append(share)
        if share is not None and share > peak[1]:
            peak = (i, share)
        if account in key:
            key_points.append(
                {
                    "account_id": account,
                    "name": names.get(account, ""),
                    "rank": i,
                    "cumulative_pct": share,
                    "net_contribution": services._money(f["net_contribution"]),
                }
            )

    cards = services.compute(period)
    return {
        "period": period.label,
        "currency": services.currency(),
        "clv_as_of": clv_as_of,
        "shares": shares,
        "programme": programme,
        "rest": rest,
        "portfolio": whole,
        "loss_makers": losses,
        "whale": {
            "accounts": len(ordered),
            "curve": curve,
            "peak_rank": peak[0],
            "peak_pct": peak[1] if total > 0 else None,
            "key_accounts": key_points,
        },
        "kams": [c for c in cards["people"] if c["role"] == "kam"],
        "sponsors": [c for c in cards["people"] if c["role"] == "sponsor"],
        "revenue_warning": cards["revenue_warning"],
    }


def _monthly(accounts: set[str], period: engine.ScorePeriod) -> dict[str, list]:
    """Each account's monthly net contribution over the period, for sparkline trends."""
    cells = services._figure_rows(accounts, "month", period.months)
    out: dict = defaultdict(list)
    for (account, month), money in sorted(cells.items()):
        out[account].append(
            {
                "month": month,
                "net_contribution": services._money(
                    money["net_sales"] - money["cogs"] - money["cost_to_serve"]
                ),
            }
        )
    return dict(out)


def as_json(data: dict) -> dict:
    """Decimals as numbers, for the API and the page's chart data."""

    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, Decimal):
            return float(v)
        return v

    return plain(data)
