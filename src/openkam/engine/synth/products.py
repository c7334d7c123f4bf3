"""The demo supplier's catalogue: products, list prices and standard costs per year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from openkam.engine.schema import PRODUCTS
from openkam.engine.synth import catalog

#: Typical value of one invoice line at list price for a median account, in EUR.
TYPICAL_LINE_VALUE = 320.0
PACK_SIZES = np.array([1, 5, 10, 12, 25, 50, 100, 250, 500, 1000])


@dataclass
class Products:
    """Per-product arrays, ordered by product line."""

    ids: list[str]
    names: list[str]
    line: np.ndarray  # product-line index
    bulk: np.ndarray  # sold by kg/litre with fractional quantities
    pack: np.ndarray  # units per pack (quantities are multiples of it)
    base_qty: np.ndarray  # typical units per line for a median account
    price: np.ndarray  # (years, products) list price in 1e-4 EUR
    cost: np.ndarray  # (years, products) standard cost per unit in EUR
    cum: np.ndarray  # popularity: line + cumulative share within the line

    @property
    def n(self) -> int:
        return len(self.ids)

    def table(self) -> pa.Table:
        """The ``products`` reference table (columns of ``schema.PRODUCTS``)."""
        line_names = [catalog.PRODUCT_LINES[i].name for i in self.line]
        return pa.Table.from_arrays(
            [pa.array(self.ids), pa.array(self.names), pa.array(line_names)],
            schema=PRODUCTS.arrow_schema,
        )


def build_products(rng: np.random.Generator, years: int) -> Products:
    """Draw the catalogue: lognormal prices around each line's median, COGS ratios by line."""
    ids, names, line, bulk, pack, base_qty, price0, ratio, increase, cum = ([] for _ in range(10))
    for li, pl in enumerate(catalog.PRODUCT_LINES):
        k = pl.products
        forms = catalog.PRODUCT_FORMS[pl.code]
        p = pl.median_price * rng.lognormal(0, 0.8, k)
        # Cheap piece goods are priced to the hundredth of a cent, the rest to the cent.
        p = np.where(p < 1, np.round(p, 4), np.round(p, 2))
        p = np.maximum(p, 0.01)
        q = TYPICAL_LINE_VALUE / p * rng.lognormal(0, 0.5, k)
        if pl.bulk:
            pk = np.ones(k, dtype=np.int64)
        else:
            fit = np.searchsorted(PACK_SIZES, q / 4, side="right") - 1
            pk = PACK_SIZES[np.clip(fit, 0, len(PACK_SIZES) - 1)]
        popularity = 1 / (1 + rng.permutation(k)) ** 0.9
        share = np.cumsum(popularity) / popularity.sum()
        share[-1] = 1.0
        cum.append(li + share)
        for j in range(k):
            ids.append(f"{pl.code}-{1001 + j}")
            form = forms[j % len(forms)]
            size = "per kg" if pl.bulk else (f"pack of {pk[j]}" if pk[j] > 1 else "each")
            names.append(f"{form} {pl.code[0]}{100 + 7 * j} ({size})")
        line.append(np.full(k, li))
        bulk.append(np.full(k, pl.bulk))
        pack.append(pk)
        base_qty.append(q)
        price0.append(p)
        ratio.append(pl.cogs_ratio * rng.uniform(0.85, 1.15, k))
        increase.append(np.full(k, pl.price_increase))
    price0 = np.concatenate(price0)
    inc = np.concatenate(increase)
    yrs = np.arange(years + 1)[:, None]
    price = np.round(price0 * 1e4 * (1 + inc) ** yrs).astype(np.int64)
    # Costs rise a little slower than list prices: margins improve slightly each year.
    cost = price0 * np.concatenate(ratio) * (1 + 0.85 * inc) ** yrs
    flat_cum = np.concatenate(cum)
    return Products(
        ids=ids,
        names=names,
        line=np.concatenate(line),
        bulk=np.concatenate(bulk),
        pack=np.concatenate(pack),
        base_qty=np.concatenate(base_qty),
        price=price,
        cost=cost,
        cum=flat_cum,
    )
