"""Draw per-customer summaries from the BG/NBD and Pareto/NBD generative processes.

Used to test that the estimators recover known parameters and to benchmark them on
summaries of any size. Sampling is vectorised: the x-th of n uniform event times is
Beta(x, n - x + 1)-distributed, so no customer's purchases are drawn one by one.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["simulate_bgnbd", "simulate_pareto_nbd"]


def _ages(T, n: int | None) -> np.ndarray:
    T = np.asarray(T, dtype=float)
    if T.ndim == 0:
        if n is None:
            raise ValueError("give n, the number of customers, when T is a single age")
        return np.full(n, float(T))
    if n is not None and n != len(T):
        raise ValueError(f"n = {n} but {len(T)} ages were given")
    if np.any(T < 0):
        raise ValueError("ages T must be non-negative")
    return T


def _last_of(
    x: np.ndarray, n: np.ndarray, span: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Time of the x-th of n Poisson events spread uniformly over (0, span]."""
    rec = np.zeros_like(span)
    pos = x > 0
    rec[pos] = span[pos] * rng.beta(x[pos], n[pos] - x[pos] + 1)
    return rec


def _table(x, recency, T, resolution: float | None) -> pa.Table:
    if resolution:
        # Observed times are whole days (or whatever the grid is): round up to the grid,
        # never beyond the age.
        recency = np.where(
            x > 0, np.minimum(np.ceil(recency / resolution - 1e-9) * resolution, T), 0.0
        )
    return pa.table(
        {
            "customer_id": pa.array(np.arange(len(x), dtype=np.int64)),
            "frequency": pa.array(x.astype(np.int64)),
            "recency": pa.array(recency),
            "T": pa.array(T),
        }
    )


def simulate_bgnbd(
    params: dict[str, float],
    T,
    n: int | None = None,
    *,
    seed: int | None = None,
    resolution: float | None = None,
) -> pa.Table:
    """Summaries ``customer_id, frequency, recency, T`` drawn from the BG/NBD process.

    Fader, Hardie & Lee (2005), section 2: lambda ~ Gamma(r, alpha) (rate alpha),
    p ~ Beta(a, b); repeat purchases arrive as a Poisson(lambda) process and after each
    one the customer drops out with probability p, so the number of repeat purchases
    before drop-out is geometric on {1, 2, ...}.

    Parameters
    ----------
    params
        ``r, alpha, a, b``.
    T
        Age of each customer at the end of the observation (array), or one age for all
        with ``n``.
    seed
        Seed of the random generator, for reproducible draws.
    resolution
        Time grid of observation (e.g. 1/7 for days when the unit is a week): recency is
        rounded up to it, as in summaries built from dated transactions.
    """
    rng = np.random.default_rng(seed)
    age = _ages(T, n)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=len(age))
    p = rng.beta(params["a"], params["b"], size=len(age))
    events = rng.poisson(lam * age)
    before_dropout = rng.geometric(np.clip(p, 1e-300, 1.0))
    x = np.minimum(events, before_dropout)
    return _table(x, _last_of(x, events, age, rng), age, resolution)


def simulate_pareto_nbd(
    params: dict[str, float],
    T,
    n: int | None = None,
    *,
    seed: int | None = None,
    resolution: float | None = None,
) -> pa.Table:
    """Summaries drawn from the Pareto/NBD process (Schmittlein, Morrison & Colombo 1987).

    lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta); the lifetime is Exponential(mu) and
    purchases arrive as a Poisson(lambda) process while alive. Parameters as in
    :func:`simulate_bgnbd` with ``params`` = ``r, alpha, s, beta``.
    """
    rng = np.random.default_rng(seed)
    age = _ages(T, n)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=len(age))
    mu = rng.gamma(params["s"], 1.0 / params["beta"], size=len(age))
    lifetime = rng.exponential(1.0 / np.maximum(mu, 1e-300))
    span = np.minimum(lifetime, age)
    x = rng.poisson(lam * span)
    return _table(x, _last_of(x, x, span, rng), age, resolution)
