"""Hidden behaviour of each synthetic account: size, buying process, terms and service needs.

Everything that makes one account different from another is drawn here once, per account,
from the seed; the ledger generators then only read these arrays. The distributions are
chosen to give the shapes KAM decisions depend on:

* heavy-tailed size (lognormal), so a tenth of the accounts carries most of the revenue;
* discounts and rebates that grow with size and negotiation power;
* a few large, *demanding* accounts (many small expedited orders, heavy service, big
  discounts) that lose money after cost-to-serve, which lifts the whale curve's peak;
* Poisson purchasing with gamma-distributed rates and a dropout hazard (the BG/NBD story of
  Fader, Hardie & Lee 2005), staggered acquisition dates and a few fast-growing small accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openkam.engine.synth import catalog
from openkam.engine.synth.timeline import Calendar

#: Most a demanding account's ordering pattern splits its orders (see build_accounts).
DEMANDING_PATTERN_CAP = 2.0
#: Demanding accounts the key-account programme holds at most.
MAX_DEMANDING_KEY = 1
#: Expected volume (order rate × lines per order × quantity scale, the relative units of
#: build_accounts) from which a key account has its manager's full 30–60 hours a month.
KAM_FULL_EFFORT = 500.0

#: Payment behaviour classes.
PAY_EARLY, PAY_ON_TIME, PAY_LATE, PAY_VERY_LATE = 0, 1, 2, 3


@dataclass
class Accounts:
    """Per-account parameters (arrays of length ``n``) and the account hierarchy."""

    n: int
    z: np.ndarray  # log size, standard normal
    q: np.ndarray  # size percentile in [0, 1]
    industry: np.ndarray
    country: np.ndarray
    parent: np.ndarray  # index of the parent account, -1 for none
    acq_bd: np.ndarray  # index into calendar.business_days of the first purchase
    growth: np.ndarray  # log growth per year of order frequency and size
    fast_grower: np.ndarray
    rate: np.ndarray  # relative order rate (gamma heterogeneity times size)
    hazard: np.ndarray  # dropout hazard per year of ordering
    lines_per_order: np.ndarray
    qty_scale: np.ndarray
    power: np.ndarray  # negotiation power in [0, 1]
    discount: np.ndarray
    terms: np.ndarray  # payment terms in days
    pay_class: np.ndarray
    late_days: np.ndarray  # mean days paid after the due date (late payers)
    return_rate: np.ndarray  # credit notes per order
    scrap_share: np.ndarray  # share of returned goods that cannot be restocked
    expedite: np.ndarray  # share of deliveries that are expedited
    special_packaging: np.ndarray
    stock_cover: np.ndarray  # months of the account's demand held as dedicated stock (0: none)
    tickets_per_order: np.ndarray
    tech_per_order: np.ndarray  # technical support sessions per order
    visits_per_month: np.ndarray
    kam_hours: np.ndarray  # key account manager hours per month (0 for non-key)
    key: np.ndarray
    demanding: np.ndarray
    volume_rebate: np.ndarray  # rate of the volume rebate (0 for none)
    quarterly_rebate: np.ndarray
    marketing_rate: np.ndarray
    line_cum: np.ndarray  # (n, lines) cumulative product-line mix
    bu_names: list[str]  # distinct business-unit names
    bu_flat: np.ndarray  # indices into bu_names, grouped by account
    bu_offset: np.ndarray  # start of each account's units in bu_flat
    bu_count: np.ndarray


def key_account_count(n_accounts: int) -> int:
    """Size of the key-account program: 15–25 at a realistic scale, fewer for tiny demos."""
    return int(min(max(n_accounts // 4, 1), np.clip(round(n_accounts / 100), 15, 25)))


def _hierarchy(rng: np.random.Generator, z: np.ndarray) -> np.ndarray:
    """Parent index per account: groups of 2–6 subsidiaries, 5–10 % of accounts in all.

    Parents are drawn among the larger accounts; in the first two groups one subsidiary
    owns another, so the hierarchy is three levels deep somewhere. Parents always precede
    their children in the construction, so there is no cycle.
    """
    n = len(z)
    parent = np.full(n, -1, dtype=np.int64)
    target = int(round(0.07 * n))
    if n < 8 or target < 2:
        return parent
    order = rng.permutation(n)
    big = [i for i in order if z[i] > 0.3]
    others = [i for i in order if z[i] <= 0.3]
    used: set[int] = set()
    subs_total, group = 0, 0
    while subs_total < target and big:
        head = big.pop()
        if head in used:
            continue
        used.add(head)
        size = min(int(rng.integers(2, 7)), max(target - subs_total, 2))
        members = []
        while len(members) < size and (others or big):
            pool = others if others else big
            cand = pool.pop()
            if cand not in used:
                members.append(cand)
                used.add(cand)
        if not members:
            break
        parent[members] = head
        if group < 2 and len(members) >= 3:
            parent[members[-1]] = members[0]
        subs_total += len(members)
        group += 1
    return parent


def build_accounts(n: int, rng: np.random.Generator, cal: Calendar) -> Accounts:
    """Draw the behaviour of ``n`` accounts (see the module docstring for the shapes)."""
    if n < 1:
        raise ValueError("accounts must be at least 1")
    z = rng.standard_normal(n)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(z)] = np.arange(n)
    q = rank / max(n - 1, 1)
    by_size = np.argsort(-z)  # largest first

    industry = rng.choice(
        len(catalog.INDUSTRIES),
        n,
        p=np.array(catalog.INDUSTRY_WEIGHTS) / sum(catalog.INDUSTRY_WEIGHTS),
    )
    cw = np.array([c.weight for c in catalog.COUNTRIES])
    country = rng.choice(len(catalog.COUNTRIES), n, p=cw / cw.sum())
    parent = _hierarchy(rng, z)
    has_parent = parent >= 0
    # A subsidiary belongs to its group's industry.
    for _ in range(3):
        industry = np.where(has_parent, industry[np.maximum(parent, 0)], industry)

    # Demanding large accounts: a quarter of the top decile, a few more down to the 70th
    # percentile, and always one in the top 1 % and
    # one in the top 5 %, so that a money-losing whale is there at every seed.
    demanding = np.zeros(n, dtype=bool)
    demanding[by_size] = rng.random(n) < np.where(
        q[by_size] >= 0.9, 0.25, np.where(q[by_size] >= 0.7, 0.06, 0)
    )
    for top in (by_size[: max(3, n // 100)], by_size[: max(5, n // 20)]):
        if len(top) and not demanding[top].any():
            demanding[rng.choice(top)] = True

    # Fast growers: small accounts (below the 60th size percentile) on a steep trend.
    fast = (q < 0.6) & (rng.random(n) < 0.06)
    small = np.flatnonzero((q < 0.6) & ~fast)
    if fast.sum() < 4 and len(small) >= 4:
        fast[rng.choice(small, 4 - int(fast.sum()), replace=False)] = True
    growth = np.where(fast, rng.uniform(0.8, 1.3, n), rng.normal(0.03, 0.1, n))

    # Acquisition: most large accounts are existing customers at the start of the window;
    # the rest arrive through the window. Fast growers arrive in the first year.
    nbd = len(cal.business_days)
    established = (rng.random(n) < 0.45 + 0.4 * q) | demanding
    acq_bd = np.where(
        established,
        rng.integers(0, min(15, nbd), n),
        rng.integers(0, max(nbd - 10, 1), n),
    )
    acq_bd = np.where(fast, np.minimum(acq_bd, rng.integers(0, min(250, nbd), n)), acq_bd)

    # Purchase rates: gamma heterogeneity (BG/NBD's lambda) times a size effect.
    rate = np.exp(0.75 * z) * rng.gamma(2.5, 1 / 2.5, n)
    lines_per_order = 1 + 3.2 * np.exp(0.3 * z) * rng.lognormal(0, 0.25, n)
    qty_scale = np.exp(0.8 * z) * rng.lognormal(0, 0.25, n)
    # Ordering pattern: the same volume in many small orders or in a few large ones. It
    # moves cost-to-serve without moving revenue, so profit is not a function of size.
    pattern = rng.lognormal(0, 0.9, n)
    # A demanding account's profile is itself a pattern of many small orders (below): its
    # draw may neither undo it (few large orders) nor compound it into orders some fifty
    # times smaller than its size implies (at seed 42 one such key account lost 140 % of
    # its sales).
    pattern = np.where(demanding, np.clip(pattern, 1.0, DEMANDING_PATTERN_CAP), pattern)
    rate *= pattern
    qty_scale /= pattern
    rate = np.where(demanding, rate * 2.0, rate)
    lines_per_order = np.where(demanding, 1 + (lines_per_order - 1) * 0.4, lines_per_order)
    qty_scale = np.where(demanding, qty_scale * 0.7, qty_scale)

    # Dropout hazard per year of ordering (beta heterogeneity); big accounts rarely leave,
    # and a few small accounts buy once and never again.
    hazard = rng.beta(0.7, 2.8, n) * 1.1 * (1 - 0.85 * q**2)
    hazard = np.where((q < 0.5) & (rng.random(n) < 0.05), 1e9, hazard)
    hazard = np.where(demanding | fast, hazard * 0.1, hazard)

    power = rng.beta(2, 2, n)
    discount = 0.005 + 0.26 * q**2.2 * (0.6 + 0.8 * power) + rng.uniform(0, 0.01, n)
    discount = np.where(demanding, rng.uniform(0.27, 0.34, n), np.minimum(discount, 0.33))

    u = rng.random(n)
    terms = np.select(
        [q + 0.15 * power > 0.97, q + 0.15 * power > 0.85, q > 0.5],
        [90, 60, 45],
        30,
    )
    terms = np.where(u < 0.1, 30, terms)
    p_early = 0.22 * (1 - q)
    p_late = 0.18 + 0.22 * q
    p_very = 0.05 + 0.07 * (1 - q)
    v = rng.random(n)
    pay_class = np.select(
        [v < p_early, v < p_early + p_late, v < p_early + p_late + p_very],
        [PAY_EARLY, PAY_LATE, PAY_VERY_LATE],
        PAY_ON_TIME,
    )
    late_days = np.where(pay_class == PAY_VERY_LATE, rng.uniform(45, 90, n), rng.uniform(12, 35, n))

    return_rate = rng.beta(1.2, 40, n)
    heavy_returner = rng.random(n) < 0.06
    return_rate = np.where(heavy_returner, rng.uniform(0.12, 0.3, n), return_rate)
    return_rate = np.where(demanding, rng.uniform(0.10, 0.2, n), return_rate)
    scrap_share = rng.beta(2, 5, n)

    rush = rng.random(n) < 0.1  # accounts that plan badly and order for tomorrow
    expedite = np.where(rush, rng.uniform(0.15, 0.4, n), rng.beta(1, 14, n))
    # Demanding accounts expedite a fifth to a third of their deliveries: at an expedited
    # delivery's ~3.4 times the cost of a normal one that is already their largest service
    # cost (at half their deliveries, expediting alone cost one of them 64 % of its sales).
    expedite = np.where(demanding, rng.uniform(0.2, 0.35, n), expedite)
    special_packaging = demanding | (rng.random(n) < 0.08 + 0.15 * q)
    # Dedicated stock covers 0.5-2 months of demand, 2-3 for demanding accounts; carried at
    # ~25 % a year of its value at cost (catalog's dedicated_stock pool), each month of
    # cover costs ~1.7 % of the account's sales.
    has_stock = demanding | (rng.random(n) < 0.03 + 0.3 * q**4)
    stock_cover = np.where(has_stock, rng.uniform(0.5, 2.0, n), 0.0)
    stock_cover = np.where(demanding, rng.uniform(2.0, 3.0, n), stock_cover)
    tickets = 0.06 * rng.lognormal(0, 0.6, n) * np.where(demanding, 8, 1)
    tech = 0.01 * rng.lognormal(0, 1.0, n) * np.where(demanding, 10, 1)
    # Field sales visits go to large accounts; small ones are served by inside sales.
    visits = 0.01 + 1.2 * q**6 * rng.lognormal(0, 0.3, n) + np.where(demanding, 1.5, 0)

    # The key-account program: mostly large accounts by expected business (not simply the
    # largest), one demanding account and two fast growers (key development accounts).
    n_key = key_account_count(n)
    key = np.zeros(n, dtype=bool)
    n_big = max(n_key - 2, 1)
    volume = rate * lines_per_order * qty_scale  # expected business, relative units
    by_volume = np.argsort(-volume, kind="stable")
    cands = by_volume[: min(n, 3 * n_key)]
    weights = 1 / (1 + np.arange(len(cands))) ** 0.5
    chosen = rng.choice(cands, min(n_big, len(cands)), replace=False, p=weights / weights.sum())
    key[chosen] = True
    dem_idx = by_volume[demanding[by_volume]]
    if len(dem_idx) and not key[dem_idx].any() and n_big >= 2:
        key[chosen[-1]] = False
        key[dem_idx[0]] = True
    # The programme holds one demanding account, its "aggressive" customer (low price, high
    # cost to serve: Shapiro et al. 1987): of the demanding ones picked, the one with the
    # smallest orders. The others' places go to the next-largest candidates that are not
    # demanding, so that aggressive accounts do not make up a third of the programme.
    in_key = by_volume[key[by_volume]]
    picked = in_key[demanding[in_key]]
    picked = picked[np.argsort(volume[picked] / rate[picked], kind="stable")]
    drop = picked[MAX_DEMANDING_KEY:]
    spare = cands[~key[cands] & ~demanding[cands]][: len(drop)]
    key[drop[: len(spare)]] = False
    key[spare] = True
    growers = np.flatnonzero(fast & ~key)
    key[growers[: n_key - int(key.sum())]] = True
    # Key account management time grows with the account's business, less than in
    # proportion: 30-60 hours a month for a large key account, a quarter of that for a
    # development account, so that it costs a few % of a large account's sales. The team's
    # extra field visits (on top of the sales force's) scale the same way.
    effort = np.clip((volume / KAM_FULL_EFFORT) ** 0.7, 0.25, 1.0)
    kam_hours = np.where(key, rng.uniform(30, 60, n) * effort, 0.0)
    visits = visits + np.where(key, effort, 0)

    volume_rebate = np.where(q >= 0.85, 0.01 + 0.025 * power, 0.0)
    volume_rebate = np.where(demanding, rng.uniform(0.035, 0.045, n), volume_rebate)
    quarterly_rebate = (q >= 0.97) & (volume_rebate > 0)
    retailish = np.isin(
        industry,
        [catalog.INDUSTRIES.index(i) for i in ("Retail", "Food & Beverage", "Electronics")],
    )
    marketing_rate = np.where(
        retailish & (q >= 0.6) & (rng.random(n) < 0.5), rng.uniform(0.005, 0.025, n), 0.0
    )

    affinity = np.array(catalog.LINE_AFFINITY)[industry] * 0.6
    mix = rng.gamma(affinity)
    mix /= mix.sum(axis=1, keepdims=True)
    line_cum = np.cumsum(mix, axis=1)
    line_cum[:, -1] = 1.0

    bu_count = np.clip(1 + rng.poisson(0.5 + 3.5 * q**2), 1, len(catalog.BUSINESS_UNITS))
    bu_names: list[str] = []
    bu_index: dict[str, int] = {}
    flat = []
    for i in range(n):
        ctry = catalog.COUNTRIES[country[i]]
        city = ctry.cities[int(rng.integers(len(ctry.cities)))]
        templates = [0] + list(1 + rng.permutation(len(catalog.BUSINESS_UNITS) - 1))
        for t in templates[: bu_count[i]]:
            name = catalog.BUSINESS_UNITS[t].format(city=city)
            if name not in bu_index:
                bu_index[name] = len(bu_names)
                bu_names.append(name)
            flat.append(bu_index[name])
    bu_offset = np.concatenate([[0], np.cumsum(bu_count)[:-1]])

    return Accounts(
        n=n,
        z=z,
        q=q,
        industry=industry,
        country=country,
        parent=parent,
        acq_bd=acq_bd.astype(np.int64),
        growth=growth,
        fast_grower=fast,
        rate=rate,
        hazard=hazard,
        lines_per_order=lines_per_order,
        qty_scale=qty_scale,
        power=power,
        discount=discount,
        terms=terms.astype(np.int64),
        pay_class=pay_class.astype(np.int8),
        late_days=late_days,
        return_rate=return_rate,
        scrap_share=scrap_share,
        expedite=expedite,
        special_packaging=special_packaging,
        stock_cover=stock_cover,
        tickets_per_order=tickets,
        tech_per_order=tech,
        visits_per_month=visits,
        kam_hours=kam_hours,
        key=key,
        demanding=demanding,
        volume_rebate=volume_rebate,
        quarterly_rebate=quarterly_rebate,
        marketing_rate=marketing_rate,
        line_cum=line_cum,
        bu_names=bu_names,
        bu_flat=np.array(flat, dtype=np.int64),
        bu_offset=bu_offset.astype(np.int64),
        bu_count=bu_count.astype(np.int64),
    )
