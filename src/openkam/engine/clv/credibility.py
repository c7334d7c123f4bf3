"""Credibility-weighted contribution margins: how much of its own margin an account has earned.

CLV on contribution multiplies the revenue the models expect from an account by its
contribution margin (net contribution ÷ invoiced sales). An account's own margin is a poor
guide when it rests on little business: an account with one 129 EUR order that cost 213 EUR
to serve shows −165 %, and the purchase models, knowing little of it, expect the population's
average business from it — millions at −165 %. Cost to serve is largely per order, so such a
margin does not carry over to more business.

The Bühlmann–Straub credibility estimate blends each account's margin with the portfolio's,
by how much business the account's margin rests on:

    m̃ᵢ = Zᵢ · m̄ᵢ + (1 − Zᵢ) · m̂,   Zᵢ = wᵢ / (wᵢ + k),   k = v / a

where m̄ᵢ is the account's own margin (Σ contribution ÷ Σ sales over its years), wᵢ its
sales, m̂ the portfolio's margin, v the expected variance of a year's margin within an account
per unit of sales (the "process variance") and a the variance of the accounts' true margins
between accounts. v and a are estimated from the accounts' yearly margins, each weighted by
its year's sales, with the unbiased non-parametric estimators of Bühlmann & Straub (1970); see
Klugman, Panjer & Willmot, *Loss Models*, 4th ed. (2012), §18.7 (the Bühlmann–Straub model
and its empirical Bayes estimation). An account with sales well above k keeps its own margin;
one well below it is valued at close to the portfolio's. When the data show no difference
between accounts beyond noise (â ≤ 0), every account gets the portfolio's margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CredibleMargins:
    """Each account's credibility-weighted margin, and the estimates behind it."""

    #: account id → margin blended with the portfolio's (m̃ᵢ).
    margins: dict[str, float]
    #: account id → its credibility Zᵢ ∈ [0, 1].
    weights: dict[str, float]
    #: The portfolio's margin m̂ (Σ contribution ÷ Σ sales of the years used).
    portfolio: float
    #: k = v / a in units of sales (None when a ≤ 0: no credible differences).
    k: float | None


def credible_margins(accounts, contribution, sales) -> CredibleMargins:
    """Bühlmann–Straub margins from one row per account and year.

    Parameters
    ----------
    accounts, contribution, sales
        Equal-length sequences: account id, net contribution and invoiced sales of one year
        of that account. Years with sales ≤ 0 carry no margin and are left out; an account
        with no such year gets no margin.
    """
    ids = np.asarray(accounts, dtype=object)
    nc = np.asarray(contribution, dtype=float)
    w = np.asarray(sales, dtype=float)
    if not (len(ids) == len(nc) == len(w)):
        raise ValueError("accounts, contribution and sales must have the same length")
    keep = w > 0
    ids, nc, w = ids[keep], nc[keep], w[keep]
    if not len(ids):
        return CredibleMargins({}, {}, float("nan"), None)
    names, code = np.unique(ids.astype(str), return_inverse=True)
    x = nc / w  # each year's margin
    w_i = np.bincount(code, weights=w)
    mean_i = np.bincount(code, weights=nc) / w_i  # the account's own margin, sales-weighted
    years = np.bincount(code)
    total = w_i.sum()
    portfolio = float(nc.sum() / total)

    # Process variance: spread of an account's yearly margins around its own, per unit of
    # sales (accounts with one year tell nothing of it).
    within = np.bincount(code, weights=w * (x - mean_i[code]) ** 2)
    dof = (years - 1).sum()
    v = float(within.sum() / dof) if dof > 0 else 0.0
    # Variance of the true margins between accounts, net of what the process variance alone
    # would put there.
    r = len(names)
    spread = float((w_i * (mean_i - portfolio) ** 2).sum())
    a = (spread - v * (r - 1)) / (total - float((w_i**2).sum()) / total) if r > 1 else 0.0
    if a > 0:
        k = v / a
        z = w_i / (w_i + k)
    else:
        k, z = None, np.zeros(r)
    blended = z * mean_i + (1 - z) * portfolio
    return CredibleMargins(
        margins=dict(zip(names.tolist(), blended.tolist(), strict=True)),
        weights=dict(zip(names.tolist(), z.tolist(), strict=True)),
        portfolio=portfolio,
        k=k,
    )
