"""Invoice lines and cost-to-serve activity records, month by month, in bounded chunks.

Each month draws its orders from its own random stream (seeded by the seed and the month),
and the lines of each block of at most ``ORDER_BLOCK`` orders from the block's own stream,
so the output depends only on the seed and the arguments, not on how it is written to files,
and memory stays bounded by one block whatever the ledger's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from openkam.engine.schema import ACTIVITIES, INVOICES, MONEY, PRICE, QUANTITY
from openkam.engine.synth import catalog
from openkam.engine.synth.columns import dates, decimals, int32s, numbered_ids, pick
from openkam.engine.synth.orders import FREQUENCY_SHARE, OrderPlan
from openkam.engine.synth.products import Products
from openkam.engine.synth.profiles import PAY_EARLY, PAY_ON_TIME, Accounts
from openkam.engine.synth.reference import account_id_digits
from openkam.engine.synth.timeline import Calendar

#: Orders per block of lines: bounds memory (a block is well under a million lines).
ORDER_BLOCK = 1 << 16
#: Invoiced value of the goods on one pallet of dedicated stock, EUR (a pallet of
#: cartridges, drums or cartons of fasteners); its carrying cost is the pool's rate.
PALLET_VALUE = 3000.0
#: An invoice paid within this many days earns the early-payment discount.
EARLY_PAYMENT_DAYS = 10
#: Stream tags, so that adding a draw to one part never shifts another part's numbers.
_MONTH_STREAM, _BLOCK_STREAM = 101, 102

P = catalog.POOL_INDEX


@dataclass
class Totals:
    """What later tables need from the ledger, accumulated while it is generated."""

    #: Invoiced amount (after on-invoice discount, returns netted) per account and month, cents.
    invoiced: np.ndarray
    #: Invoiced amount of invoices paid early enough for the early-payment discount, cents.
    paid_early: np.ndarray
    #: Cost of goods sold per account, cents.
    cogs: np.ndarray
    #: Cost-to-serve per account at the unit rates given to the generator, EUR.
    cost_to_serve: np.ndarray
    #: Driver units consumed per pool and month.
    pool_volume: np.ndarray
    counts: dict[str, int] = field(default_factory=lambda: {"invoices": 0, "activities": 0})


class LedgerGenerator:
    """Generates the invoice and activity tables month by month (months in order)."""

    def __init__(
        self,
        acc: Accounts,
        prod: Products,
        cal: Calendar,
        plan: OrderPlan,
        unit_rate: np.ndarray,
        seed: int,
    ) -> None:
        self.acc, self.prod, self.cal, self.plan, self.seed = acc, prod, cal, plan, seed
        #: Cost per driver unit of each pool (rows) and month, before calibration.
        self.unit_rate = unit_rate
        n_lines = len(catalog.PRODUCT_LINES)
        self.account_ids = numbered_ids("ACC-", np.arange(1, acc.n + 1), account_id_digits(acc.n))
        self.product_ids = pa.array(prod.ids)
        self.bu_names = pa.array(acc.bu_names)
        self.acc_cum = (np.arange(acc.n)[:, None] + acc.line_cum).ravel()
        self.n_lines = n_lines
        line_start = np.searchsorted(prod.line, np.arange(n_lines))
        self.line_first = line_start
        self.line_last = np.append(line_start[1:], prod.n) - 1
        self.acq_day = cal.business_days[acc.acq_bd]
        self.active = plan.active
        self.next_invoice = 1
        self.next_credit = 1
        self.next_activity = 1
        months = cal.months
        self.totals = Totals(
            invoiced=np.zeros((acc.n, months)),
            paid_early=np.zeros((acc.n, months)),
            cogs=np.zeros(acc.n),
            cost_to_serve=np.zeros(acc.n),
            pool_volume=np.zeros((len(catalog.POOLS), months)),
        )

    # -- orders ----------------------------------------------------------------------------

    def month(self, m: int) -> Iterator[tuple[str, pa.Table]]:
        """Yield ``("invoices", table)`` and ``("activities", table)`` chunks of month ``m``."""
        acc, cal, plan = self.acc, self.cal, self.plan
        rng = np.random.default_rng([self.seed, _MONTH_STREAM, m])
        k, r = plan.orders[:, m], plan.returns[:, m]
        a = np.concatenate([np.repeat(np.arange(acc.n), k), np.repeat(np.arange(acc.n), r)])
        is_ret = np.zeros(len(a), dtype=bool)
        is_ret[k.sum() :] = True
        n = len(a)
        lo = np.maximum(cal.bd_lo[m], acc.acq_bd[a])
        bd = lo + (rng.random(n) * (cal.bd_hi[m] - lo)).astype(np.int64)
        first = (plan.acq_month == m) & (k > 0)
        bd[(np.cumsum(k) - k)[first]] = acc.acq_bd[first]
        day = cal.business_days[bd].astype(np.int64)
        order = np.lexsort((rng.random(n), day))
        a, is_ret, day = a[order], is_ret[order], day[order]

        lines = np.where(
            is_ret,
            1 + rng.poisson(0.4, n),
            1 + rng.poisson(np.maximum(acc.lines_per_order[a] - 1, 0), n),
        )
        lines = np.minimum(lines, np.where(is_ret, 5, 99))
        expedited = ~is_ret & (rng.random(n) < acc.expedite[a])
        unit = acc.bu_flat[
            acc.bu_offset[a] + (acc.bu_count[a] * rng.random(n) ** 1.8).astype(np.int64)
        ]
        due, paid = self._payment(rng, a, day, is_ret)
        tickets = np.where(is_ret, 0, rng.poisson(acc.tickets_per_order[a]))
        tech = np.where(is_ret, 0, rng.poisson(acc.tech_per_order[a]))

        sales_no = self.next_invoice + np.cumsum(~is_ret) - 1
        credit_no = self.next_credit + np.cumsum(is_ret) - 1
        self.next_invoice += int((~is_ret).sum())
        self.next_credit += int(is_ret.sum())
        number = np.where(is_ret, credit_no, sales_no)

        for b, start in enumerate(range(0, n, ORDER_BLOCK)):
            o = slice(start, start + ORDER_BLOCK)
            yield (
                "invoices",
                self._lines(
                    m, b, a[o], is_ret[o], day[o], lines[o], unit[o], due[o], paid[o], number[o]
                ),
            )
            yield (
                "activities",
                self._order_activities(
                    rng, a[o], is_ret[o], day[o], lines[o], expedited[o], tickets[o], tech[o]
                ),
            )
        yield "activities", self._monthly_activities(rng, m)

    def _payment(self, rng, a, day, is_ret):
        """Due and paid dates: terms per account, paid early, on time, late or very late."""
        acc, n = self.acc, len(a)
        due = day + acc.terms[a]
        cls = acc.pay_class[a]
        slip = rng.exponential(1.0, n)
        paid = np.select(
            [cls == PAY_EARLY, cls == PAY_ON_TIME],
            [
                day + rng.integers(5, EARLY_PAYMENT_DAYS + 1, n),
                # On-time payers still slip now and then.
                due + np.rint(rng.normal(0, 3, n)) + np.where(rng.random(n) < 0.1, slip * 10, 0),
            ],
            # Late and very late payers differ in their mean delay (late_days).
            due + slip * acc.late_days[a],
        )
        paid = np.maximum(np.rint(paid).astype(np.int64), day)
        # Credit notes are settled by offsetting them against open invoices on issue.
        due = np.where(is_ret, day, due)
        paid = np.where(is_ret, day, paid)
        return due, paid

    # -- invoice lines ---------------------------------------------------------------------

    def _lines(self, m, b, a_o, ret_o, day_o, nl, unit_o, due_o, paid_o, number_o) -> pa.Table:
        acc, prod, cal = self.acc, self.prod, self.cal
        rng = np.random.default_rng([self.seed, _BLOCK_STREAM, m, b])
        n_orders = len(nl)
        total = int(nl.sum())
        oi = np.repeat(np.arange(n_orders), nl)
        line_no = np.arange(total) - np.repeat(np.cumsum(nl) - nl, nl) + 1
        a = a_o[oi]
        ret = ret_o[oi]

        pl = np.searchsorted(self.acc_cum, a + rng.random(total), side="right") - a * self.n_lines
        pl = np.clip(pl, 0, self.n_lines - 1)
        p = np.searchsorted(prod.cum, pl + rng.random(total), side="right")
        p = np.clip(p, self.line_first[pl], self.line_last[pl])

        age = np.clip((day_o - self.acq_day[a_o]) / 365.25, 0, None)[oi]
        x = prod.base_qty[p] * acc.qty_scale[a] * rng.lognormal(0, 0.6, total)
        x *= np.exp((1 - FREQUENCY_SHARE) * acc.growth[a] * age)
        x = np.where(ret, x * 0.3, x)
        pack = prod.pack[p]
        units = np.where(
            prod.bulk[p],
            np.maximum(np.rint(x * 2) / 2, 0.5),
            np.maximum(np.rint(x / pack), 1) * pack,
        )
        qty = np.rint(units * 1000).astype(np.int64)
        qty = np.where(ret, -qty, qty)

        year = min(m // 12, prod.price.shape[0] - 1)
        price = prod.price[year, p]
        gross = qty * (price / 1e5)  # 1e-3 units x 1e-4 EUR = 1e-7 EUR; /1e5 gives cents
        promo = np.where(rng.random(total) < 0.04, rng.uniform(0.05, 0.15, total), 0)
        rate = np.clip(acc.discount[a] + rng.normal(0, 0.01, total) + promo, 0, 0.6)
        discount = np.rint(gross * rate).astype(np.int64)
        cogs = np.rint(qty / 1000 * prod.cost[year, p] * 100).astype(np.int64)
        scrapped = ret & (rng.random(total) < acc.scrap_share[a])
        cogs = np.where(scrapped, 0, cogs)

        net_order = np.bincount(oi, weights=gross - discount, minlength=n_orders)
        t = self.totals
        t.invoiced[:, m] += np.bincount(a_o, weights=net_order, minlength=acc.n)
        early = ~ret_o & (paid_o - day_o <= EARLY_PAYMENT_DAYS) & (paid_o < cal.end)
        t.paid_early[:, m] += np.bincount(
            a_o, weights=np.where(early, net_order, 0), minlength=acc.n
        )
        t.cogs += np.bincount(a, weights=cogs, minlength=acc.n)
        t.counts["invoices"] += total

        ids = pa.concat_arrays(
            [
                numbered_ids("INV-", number_o[~ret_o], 10),
                numbered_ids("CRN-", number_o[ret_o], 10),
            ]
        )
        # Orders are interleaved; map each order to its id in the concatenated array.
        where = np.empty(n_orders, dtype=np.int64)
        where[~ret_o] = np.arange(int((~ret_o).sum()))
        where[ret_o] = int((~ret_o).sum()) + np.arange(int(ret_o.sum()))
        paid_ok = paid_o < cal.end
        return pa.Table.from_arrays(
            [
                pick(ids, where[oi]),
                int32s(line_no),
                dates(day_o[oi]),
                pick(self.account_ids, a),
                pick(self.product_ids, p),
                decimals(qty, QUANTITY),
                decimals(price, PRICE),
                decimals(discount, MONEY),
                decimals(cogs, MONEY),
                dates(due_o[oi]),
                dates(np.where(paid_ok, paid_o, 0)[oi], paid_ok[oi]),
                pick(self.bu_names, unit_o[oi]),
            ],
            schema=INVOICES.schema_without("currency"),
        )

    # -- activities ------------------------------------------------------------------------

    def _order_activities(self, rng, a, ret, day, nl, expedited, tickets, tech) -> pa.Table:
        acc, cal = self.acc, self.cal
        sale = ~ret
        parts = [
            (P["order_handling"], a[sale], day[sale], nl[sale] * 1000),
            (
                np.where(expedited[sale], P["expedited_delivery"], P["delivery"]),
                a[sale],
                day[sale],
                np.full(int(sale.sum()), 1000),
            ),
            (P["returns_handling"], a[ret], day[ret], nl[ret] * 1000),
        ]
        pack = sale & acc.special_packaging[a]
        parts.append((P["special_packaging"], a[pack], day[pack], np.full(int(pack.sum()), 1000)))
        ta, td = np.repeat(a, tickets), np.repeat(day, tickets)
        td = np.minimum(td + rng.integers(0, 8, len(td)), cal.end - 1)
        parts.append((P["customer_service"], ta, td, np.full(len(ta), 1000)))
        sa, sd = np.repeat(a, tech), np.repeat(day, tech)
        sd = np.minimum(sd + rng.integers(0, 15, len(sd)), cal.end - 1)
        hours = np.maximum(np.rint(rng.gamma(2.0, 1.25, len(sa)) * 4) / 4, 0.25)
        parts.append((P["technical_support"], sa, sd, np.rint(hours * 1000).astype(np.int64)))
        return self._activity_table(parts)

    def _monthly_activities(self, rng, m: int) -> pa.Table:
        acc, cal = self.acc, self.cal
        active = self.active[:, m]
        bd_lo, bd_hi = cal.bd_lo[m], cal.bd_hi[m]
        visits = rng.poisson(acc.visits_per_month * active)
        va = np.repeat(np.arange(acc.n), visits)
        vd = cal.business_days[rng.integers(bd_lo, max(bd_hi, bd_lo + 1), len(va))]
        month_end = max(bd_hi - 1, bd_lo)
        kam = np.flatnonzero(acc.key & active)
        hours = np.rint(acc.kam_hours[kam] * rng.uniform(0.8, 1.2, len(kam)) * 2) / 2
        # Dedicated stock covers some months of the account's recent demand.
        stock = np.flatnonzero((acc.stock_cover > 0) & active)
        recent = self.totals.invoiced[stock, max(m - 2, 0) : m + 1].mean(axis=1) / 100
        pallets = acc.stock_cover[stock] * np.maximum(recent, 0) / PALLET_VALUE
        pallets = np.maximum(np.rint(pallets * rng.uniform(0.9, 1.1, len(stock))), 1)
        last_day = cal.month_hi[m] - 1
        parts = [
            (P["sales_visits"], va, vd, np.full(len(va), 1000)),
            (P["kam_time"], kam, np.full(len(kam), cal.business_days[month_end]), hours * 1000),
            (P["dedicated_stock"], stock, np.full(len(stock), last_day), pallets * 1000),
        ]
        return self._activity_table(parts)

    def _activity_table(self, parts) -> pa.Table:
        pool = np.concatenate([np.broadcast_to(pp, len(aa)) for pp, aa, _, _ in parts]).astype(
            np.int64
        )
        a = np.concatenate([aa for _, aa, _, _ in parts]).astype(np.int64)
        day = np.concatenate([dd for _, _, dd, _ in parts]).astype(np.int64)
        qty = np.rint(np.concatenate([qq for _, _, _, qq in parts])).astype(np.int64)
        order = np.argsort(day, kind="stable")
        pool, a, day, qty = pool[order], a[order], day[order], qty[order]
        cal = self.cal
        month = cal.month_of(day)
        n_months = cal.months
        self.totals.cost_to_serve += np.bincount(
            a, weights=qty / 1000 * self.unit_rate[pool, month], minlength=self.acc.n
        )
        self.totals.pool_volume += np.bincount(
            pool * n_months + month, weights=qty / 1000, minlength=len(catalog.POOLS) * n_months
        ).reshape(len(catalog.POOLS), n_months)
        ids = numbered_ids("ACT-", self.next_activity + np.arange(len(a)), 10)
        self.next_activity += len(a)
        self.totals.counts["activities"] += len(a)
        return pa.Table.from_arrays(
            [
                dates(day),
                pick(self.account_ids, a),
                pick(POOL_NAMES, pool),
                decimals(qty, QUANTITY),
                ids,
            ],
            schema=ACTIVITIES.arrow_schema,
        )


POOL_NAMES = pa.array([p.name for p in catalog.POOLS])
