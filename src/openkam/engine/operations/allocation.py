"""Allocating scarce supply to open order lines, under a stated policy.

Supply arrives over time (stock on hand, then expected receipts, each with its
``available_date``); each receipt is allocated in date order to what is still open, so a
line's *confirmed date* is the date of the last receipt that gave it units (never before
``as_of``). Quantities are whole units.

Policies
--------
``protect`` (the default, after ERP product allocation — SAP's "product allocation" and
allocated available-to-promise by customer priority: Kilger & Meyr, "Demand Fulfilment and
ATP", in Stadtler & Kilger, *Supply Chain Management and Advanced Planning*, 5th ed. 2015):
    1. quantities protected by commitments first: each commitment claims up to its
       protected quantity (not yet used by earlier receipts) for its account's open lines of
       the product; when the claims on a receipt exceed it, they share it in proportion to
       their claims;
    2. the rest is shared among all lines still open in proportion to their open quantity.
    Every share is in whole units: each part is rounded down and the units left over go,
    one each, to the largest fractional parts, ties to the earliest order (order date, then
    order id and line number) — the largest-remainder method (Hamilton), as money is split
    elsewhere in OpenKAM.
``fcfs``
    First come, first served: each receipt fills the earliest orders first.
``optimise``
    A linear programme (HiGHS through :func:`scipy.optimize.milp`) that maximises the
    contribution of the confirmed units plus ``commitment_weight`` per unit confirmed within a
    commitment's protected quantity, subject to the supply of each product, every unit that
    can be shipped being shipped (it decides who gets scarce units, not whether to ship). Receipts then go
    to the chosen quantities by descending value, then earliest order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

POLICIES = ("protect", "fcfs", "optimise")

#: The per-line keys of the allocation's JSON (the CLI's contract).
LINE_KEYS = (
    "order_id",
    "line_no",
    "account_id",
    "product_id",
    "open_quantity",
    "confirmed_quantity",
    "confirmed_date",
    "short_quantity",
    "rule",
)


@dataclass(frozen=True)
class Protection:
    """A commitment's protected quantity: up to ``quantity`` units of each of ``products``
    for ``account_id``'s open lines (a commitment on a product line protects that many
    units of each product of the line)."""

    commitment_id: str
    account_id: str
    products: tuple[str, ...]
    quantity: int


@dataclass
class Allocation:
    """The outcome of :func:`allocate`: one entry per open line, aligned with ``lines``.

    Attributes
    ----------
    policy
        The policy applied.
    lines
        The open lines as given (order_id, line_no, account_id, product_id, order_date,
        open_quantity), in the order given.
    confirmed
        Units confirmed per line (int64).
    confirmed_date
        The date the confirmed units are available (None where nothing is confirmed).
    protected
        Units of ``confirmed`` that came from a commitment's protected quantity.
    rule
        What decided each line, in words ("protected by commitment COM-1", "pro rata",
        "in full", "no supply", "first come first served", "optimised").
    """

    policy: str
    lines: pa.Table
    confirmed: np.ndarray
    confirmed_date: list
    protected: np.ndarray
    rule: list[str]
    open_units: np.ndarray = field(repr=False, default=None)

    @property
    def short(self) -> np.ndarray:
        """Open minus confirmed, per line (in the lines' own quantities)."""
        return self.open_quantity - self.confirmed

    @property
    def open_quantity(self) -> np.ndarray:
        return np.asarray(
            pc.cast(self.lines["open_quantity"], pa.float64()).to_numpy(zero_copy_only=False)
        )

    def rows(self) -> list[dict]:
        """The lines as JSON-ready dicts with :data:`LINE_KEYS`."""
        cols = {
            name: self.lines[name].to_pylist()
            for name in ("order_id", "line_no", "account_id", "product_id")
        }
        open_q = self.open_quantity
        out = []
        for i in range(self.lines.num_rows):
            day = self.confirmed_date[i]
            out.append(
                {
                    "order_id": cols["order_id"][i],
                    "line_no": cols["line_no"][i],
                    "account_id": cols["account_id"][i],
                    "product_id": cols["product_id"][i],
                    "open_quantity": _num(open_q[i]),
                    "confirmed_quantity": int(self.confirmed[i]),
                    "confirmed_date": day.isoformat() if day is not None else None,
                    "short_quantity": _num(open_q[i] - self.confirmed[i]),
                    "rule": self.rule[i],
                }
            )
        return out

    def by_account(self) -> dict[str, dict]:
        """Open, confirmed and short units per account (protected units apart)."""
        codes, uniques = _codes(self.lines["account_id"])
        open_q = np.bincount(codes, self.open_quantity, minlength=len(uniques))
        conf = np.bincount(codes, self.confirmed, minlength=len(uniques))
        prot = np.bincount(codes, self.protected, minlength=len(uniques))
        lines = np.bincount(codes, minlength=len(uniques))
        return {
            str(a): {
                "lines": int(lines[i]),
                "open_quantity": _num(open_q[i]),
                "confirmed_quantity": int(conf[i]),
                "protected_quantity": int(prot[i]),
                "short_quantity": _num(open_q[i] - conf[i]),
            }
            for i, a in enumerate(uniques)
        }


def _num(x: float):
    x = round(float(x), 3)
    return int(x) if x == int(x) else x


def _codes(values) -> tuple[np.ndarray, list]:
    """Integer codes of the values (a list, NumPy or Arrow array) and the distinct values,
    in order of first appearance (Arrow's dictionary encoding: no Python-level sort)."""
    array = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(list(values))
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_pylist()


def share(group: np.ndarray, weight: np.ndarray, amount: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """Split ``amount[g]`` units among the elements of each group ``g`` in proportion to
    ``weight``, in whole units, by largest remainder (ties: lower ``tie`` first).

    A group gets ``min(amount[g], Σ weight)``; no element gets more than its weight.
    Exact integer arithmetic: element i's exact share is ``A·wᵢ / W``; it gets its floor,
    and the ``A − Σ floors`` units left go to the largest ``A·wᵢ mod W``.

    >>> share(np.array([0, 0, 0]), np.array([1, 1, 1]), np.array([2]), np.array([2, 0, 1]))
    array([0, 1, 1])
    """
    group = np.asarray(group, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.int64)
    amount = np.asarray(amount, dtype=np.int64)
    n_groups = len(amount)
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    total = _group_sum(group, weight, n_groups)
    give = np.minimum(amount, total)
    w_g, a_g = total[group], give[group]
    num = a_g * weight
    base = num // np.maximum(w_g, 1)
    rem = num - base * w_g
    left = give - _group_sum(group, base, n_groups)
    idx = np.flatnonzero((left[group] > 0) & (rem > 0))
    if len(idx):
        order = np.lexsort((tie[idx], -rem[idx], group[idx]))
        g_sorted = group[idx][order]
        starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
        run = np.repeat(starts, np.diff(np.r_[starts, len(g_sorted)]))
        position = np.arange(len(g_sorted)) - run
        winners = idx[order[position < left[g_sorted]]]
        base[winners] += 1
    return base


def _group_sum(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    # Integer sums (bincount's float64 is exact only below 2**53; stay exact regardless).
    out = np.zeros(n, dtype=np.int64)
    if len(group) < 4096:
        np.add.at(out, group, values)
    else:
        _sorted_add(out, group, values)
    return out


def _sorted_add(out: np.ndarray, group: np.ndarray, values: np.ndarray) -> None:
    # bincount is ~20x faster than add.at; it is exact while the sums stay below 2**53.
    sums = np.bincount(group, weights=values.astype(np.float64), minlength=len(out))
    if sums.max(initial=0) < 2**52:
        out += sums.astype(np.int64)
    else:  # pragma: no cover - beyond a quadrillion units
        np.add.at(out, group, values)


def _sequential(
    group: np.ndarray, want: np.ndarray, amount: np.ndarray, priority: np.ndarray
) -> np.ndarray:
    """Fill each group's ``amount`` in ``priority`` order (lower first), up to ``want``."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((priority, group))
    g, w = group[order], want[order]
    cum = np.cumsum(w)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    before_group = np.repeat(np.r_[0, cum[starts[1:] - 1]], np.diff(np.r_[starts, n]))
    before = cum - w - before_group
    got = np.clip(amount[g] - before, 0, w)
    out = np.empty(n, dtype=np.int64)
    out[order] = got
    return out


@dataclass
class _Supply:
    """Receipts per product in date order: ``rounds[r]`` = (product codes, units, dates)."""

    rounds: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    total: np.ndarray


def _supply_rounds(
    supply: pa.Table, product_index: Mapping[str, int], n_products: int, as_of: dt.date
) -> _Supply:
    total = np.zeros(n_products, dtype=np.int64)
    if supply.num_rows == 0:
        return _Supply([], total)
    products = supply["product_id"].to_pylist()
    keep = np.array([p in product_index for p in products], dtype=bool)
    codes = np.array([product_index.get(p, -1) for p in products], dtype=np.int64)[keep]
    units = np.floor(
        pc.cast(supply["quantity"], pa.float64()).to_numpy(zero_copy_only=False)
    ).astype(np.int64)[keep]
    days = (
        pc.cast(supply["available_date"], pa.int32()).to_numpy(zero_copy_only=False)[keep]
    ).astype(np.int64)
    # Stock already on hand is available from as_of.
    days = np.maximum(days, (as_of - dt.date(1970, 1, 1)).days)
    key = codes * 1_000_000 + days
    uniq, inverse = np.unique(key, return_inverse=True)
    units = np.bincount(inverse, weights=units.astype(np.float64)).astype(np.int64)
    codes, days = uniq // 1_000_000, uniq % 1_000_000
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    rank = np.arange(len(codes)) - np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    np.add.at(total, codes, units)
    rounds = [
        (codes[rank == r], units[rank == r], days[rank == r])
        for r in range(int(rank.max()) + 1 if len(rank) else 0)
    ]
    return _Supply(rounds, total)


def _claims(
    protections: Sequence[Protection],
    account_index: Mapping[str, int],
    product_index: Mapping[str, int],
    n_products: int,
):
    """Protections as claims per (account, product): arrays and the key of each claim."""
    merged: dict[tuple[int, int], list] = {}
    for p in protections:
        a = account_index.get(p.account_id)
        if a is None or p.quantity <= 0:
            continue
        for prod in p.products:
            code = product_index.get(prod)
            if code is None:
                continue
            entry = merged.setdefault((a, code), [0, []])
            entry[0] += int(p.quantity)
            entry[1].append(p.commitment_id)
    keys = sorted(merged)
    claim_key = np.array([a * n_products + c for a, c in keys], dtype=np.int64)
    claim_product = np.array([c for _, c in keys], dtype=np.int64)
    claim_units = np.array([merged[k][0] for k in keys], dtype=np.int64)
    labels = [", ".join(sorted(set(merged[k][1]))) for k in keys]
    return claim_key, claim_product, claim_units, labels


def allocate(
    lines: pa.Table,
    supply: pa.Table,
    *,
    policy: str = "protect",
    protections: Sequence[Protection] = (),
    as_of: dt.date,
    unit_value: np.ndarray | None = None,
    commitment_weight: float | None = None,
) -> Allocation:
    """Allocate ``supply`` to the open ``lines`` under ``policy``.

    Parameters
    ----------
    lines
        Open order lines: order_id, line_no, account_id, product_id, order_date,
        open_quantity (see :func:`openkam.engine.operations.open_lines`). Only whole units
        are confirmed; a fractional open quantity leaves its fraction short.
    supply
        product_id, available_date, quantity (the ``supply`` import kind).
    policy
        "protect" (default), "fcfs" or "optimise" (see the module's docstring).
    protections
        The commitments' protected quantities (used by "protect" and "optimise").
    as_of
        The allocation date: supply available earlier counts as available on it.
    unit_value
        "optimise": contribution per unit of each line (default 0: commitments only,
        then earliest order).
    commitment_weight
        "optimise": value per unit confirmed within a protected quantity (default: one
        more than the largest unit value, so commitments come first and contribution
        decides the rest).

    Returns
    -------
    Allocation
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    n = lines.num_rows
    lp, product_names = _codes(lines["product_id"]) if n else (np.zeros(0, np.int64), [])
    la, account_names = _codes(lines["account_id"]) if n else (np.zeros(0, np.int64), [])
    n_products = len(product_names)
    product_index = {str(p): i for i, p in enumerate(product_names)}
    account_index = {str(a): i for i, a in enumerate(account_names)}
    open_q = pc.cast(lines["open_quantity"], pa.float64()).to_numpy(zero_copy_only=False)
    units = np.floor(np.asarray(open_q) + 1e-9).astype(np.int64)
    seq = _order_sequence(lines)
    sup = _supply_rounds(supply, product_index, n_products, as_of)

    claim_key, claim_product, claim_units, claim_labels = _claims(
        protections if policy != "fcfs" else (), account_index, product_index, n_products
    )
    line_claim = np.full(n, -1, dtype=np.int64)
    if len(claim_key):
        key = la * n_products + lp
        pos = np.searchsorted(claim_key, key)
        pos_c = np.minimum(pos, len(claim_key) - 1)
        hit = claim_key[pos_c] == key
        line_claim[hit] = pos_c[hit]

    if policy == "optimise":
        target = _optimise(
            lp, la, units, line_claim, claim_units, sup.total, unit_value, commitment_weight
        )
        value = np.zeros(n) if unit_value is None else np.asarray(unit_value, dtype=float)
        # Dates: committed lines first, then by value, then the earliest order.
        priority = np.lexsort((seq, -value, -(line_claim >= 0).astype(np.int64)))
        rank = np.empty(n, dtype=np.int64)
        rank[priority] = np.arange(n)
        confirmed, last_day, protected = _run_sequential(lp, target, rank, sup)
        protected = _protected_within(line_claim, claim_units, confirmed, rank)
    elif policy == "fcfs":
        confirmed, last_day, protected = _run_sequential(lp, units, seq, sup)
    else:
        confirmed, last_day, protected = _run_protect(
            lp, units, seq, line_claim, claim_product, claim_units, sup
        )

    # Day numbers to dates in C (NaT, i.e. None, where nothing is confirmed).
    days = np.where(last_day < 0, np.iinfo(np.int64).min, last_day).astype("datetime64[D]")
    dates = days.tolist()
    rule = _rules(policy, units, confirmed, protected, line_claim, claim_labels, lp, sup.total)
    # A fraction of a unit is never confirmed: say so where that is all that is short.
    fraction = (np.asarray(open_q) > units) & (confirmed == units)
    if fraction.any():
        for i in np.flatnonzero(fraction):
            if rule[i] == "in full":
                rule[i] = "whole units only"
    return Allocation(
        policy=policy,
        lines=lines,
        confirmed=confirmed,
        confirmed_date=dates,
        protected=protected,
        rule=rule,
        open_units=units,
    )


def _order_sequence(lines: pa.Table) -> np.ndarray:
    """Rank of each line by (order_date, order_id, line_no): 0 is the earliest order."""
    n = lines.num_rows
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = pc.sort_indices(
        lines,
        sort_keys=[
            ("order_date", "ascending"),
            ("order_id", "ascending"),
            ("line_no", "ascending"),
        ],
    ).to_numpy()
    seq = np.empty(n, dtype=np.int64)
    seq[order] = np.arange(n)
    return seq


def _run_protect(lp, units, seq, line_claim, claim_product, claim_units, sup: _Supply):
    n = len(lp)
    n_products = len(sup.total)
    remaining = units.copy()
    confirmed = np.zeros(n, dtype=np.int64)
    protected = np.zeros(n, dtype=np.int64)
    last_day = np.full(n, -1, dtype=np.int64)
    claim_left = claim_units.copy()
    n_claims = len(claim_units)
    # A claim's tie order is the earliest order among its lines.
    claim_first = np.full(n_claims, np.iinfo(np.int64).max, dtype=np.int64)
    has_claim = line_claim >= 0
    if n_claims:
        np.minimum.at(claim_first, line_claim[has_claim], seq[has_claim])
    for codes, qty, days in sup.rounds:
        avail = np.zeros(n_products, dtype=np.int64)
        avail[codes] = qty
        day_of = np.full(n_products, -1, dtype=np.int64)
        day_of[codes] = days
        got = np.zeros(n, dtype=np.int64)
        if n_claims:
            sel = np.flatnonzero(has_claim & (remaining > 0) & (avail[lp] > 0))
            if len(sel):
                claim_open = _group_sum(line_claim[sel], remaining[sel], n_claims)
                want = np.minimum(claim_left, claim_open)
                grant = share(claim_product, want, avail, claim_first)
                part = share(line_claim[sel], remaining[sel], grant, seq[sel])
                got[sel] += part
                protected[sel] += part
                claim_left -= grant
                avail -= _group_sum(claim_product, grant, n_products)
        sel = np.flatnonzero((remaining - got > 0) & (avail[lp] > 0))
        if len(sel):
            got[sel] += share(lp[sel], remaining[sel] - got[sel], avail, seq[sel])
        hit = got > 0
        last_day[hit] = day_of[lp[hit]]
        remaining -= got
        confirmed += got
    return confirmed, last_day, protected


def _run_sequential(lp, want, priority, sup: _Supply):
    n = len(lp)
    n_products = len(sup.total)
    remaining = want.copy()
    confirmed = np.zeros(n, dtype=np.int64)
    last_day = np.full(n, -1, dtype=np.int64)
    for codes, qty, days in sup.rounds:
        avail = np.zeros(n_products, dtype=np.int64)
        avail[codes] = qty
        day_of = np.full(n_products, -1, dtype=np.int64)
        day_of[codes] = days
        sel = np.flatnonzero((remaining > 0) & (avail[lp] > 0))
        if not len(sel):
            continue
        got = _sequential(lp[sel], remaining[sel], avail, priority[sel])
        hit = got > 0
        last_day[sel[hit]] = day_of[lp[sel[hit]]]
        remaining[sel] -= got
        confirmed[sel] += got
    return confirmed, last_day, np.zeros(n, dtype=np.int64)


def _protected_within(line_claim, claim_units, confirmed, rank) -> np.ndarray:
    """Units of ``confirmed`` that fall within their claim's protected quantity (best
    ranked lines first), for the rule and the summary of the "optimise" policy."""
    protected = np.zeros(len(confirmed), dtype=np.int64)
    sel = np.flatnonzero(line_claim >= 0)
    if len(sel):
        protected[sel] = _sequential(line_claim[sel], confirmed[sel], claim_units, rank[sel])
    return protected


def _optimise(lp, la, units, line_claim, claim_units, supply_total, unit_value, weight):
    """Units per line maximising Σ value·x + weight·Σ protected units, s.t. supply.

    The constraint matrix is the incidence matrix of a bipartite structure (each line in one
    product row and at most one claim row), hence totally unimodular: the LP optimum HiGHS
    returns at a vertex is integral; ``milp`` with integrality keeps it so regardless.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, hstack

    n = len(lp)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    value = np.zeros(n) if unit_value is None else np.asarray(unit_value, dtype=float)
    if weight is None:
        weight = float(np.abs(value).max(initial=0.0)) + 1.0
    n_claims = len(claim_units)
    n_products = len(supply_total)
    # Variables: x (n lines) then y (n_claims protected units).
    c = -np.r_[value, np.full(n_claims, weight)]
    rows = np.arange(n)
    a_supply = coo_matrix((np.ones(n), (lp, rows)), shape=(n_products, n))
    a_supply = hstack([a_supply, coo_matrix((n_products, n_claims))])
    # Every unit that can be shipped is: the LP decides who gets the scarce units, it does not
    # leave goods in the warehouse that a customer ordered (even at a negative contribution).
    demand = np.bincount(lp, weights=units.astype(float), minlength=n_products)
    shipped = np.minimum(demand, supply_total.astype(float))
    constraints = [LinearConstraint(a_supply.tocsr(), shipped, supply_total.astype(float))]
    if n_claims:
        sel = np.flatnonzero(line_claim >= 0)
        a_x = coo_matrix((-np.ones(len(sel)), (line_claim[sel], sel)), shape=(n_claims, n))
        a_y = coo_matrix((np.ones(n_claims), (np.arange(n_claims), np.arange(n_claims))))
        a_claim = hstack([a_x, a_y]).tocsr()
        constraints.append(LinearConstraint(a_claim, -np.inf, 0.0))
    upper = np.r_[units.astype(float), claim_units.astype(float)]
    result = milp(
        c,
        constraints=constraints,
        integrality=np.ones(n + n_claims),
        bounds=Bounds(np.zeros(n + n_claims), upper),
    )
    if result.x is None:  # pragma: no cover - the problem is always feasible (x = 0)
        raise RuntimeError(f"allocation LP failed: {result.message}")
    return np.rint(result.x[:n]).astype(np.int64)


def _rules(policy, units, confirmed, protected, line_claim, claim_labels, lp, supply_total):
    """What decided each line, in words, computed for all lines at once."""
    n = len(units)
    if n == 0:
        return []
    demand = np.bincount(lp, weights=units.astype(float), minlength=len(supply_total))
    scarce = demand > supply_total
    fallback = {"fcfs": "first come first served", "optimise": "optimised"}.get(policy, "pro rata")
    words = np.array(["no supply", "in full", fallback], dtype=object)
    kind = np.where(supply_total[lp] == 0, 0, np.where(scarce[lp], 2, 1))
    out = words[kind]
    hit = (protected > 0) & (supply_total[lp] > 0)
    if hit.any():
        labels = np.array([f"protected by commitment {x}" for x in claim_labels], dtype=object)
        out[hit] = labels[line_claim[hit]]
    return out.tolist()


def what_if(
    lines: pa.Table,
    supply: pa.Table,
    protections: Sequence[Protection],
    *,
    as_of: dt.date,
    key_accounts: Iterable[str],
    unit_value: np.ndarray | None = None,
    with_protection: Allocation | None = None,
) -> list[dict]:
    """What each account gains or loses because commitments are protected: the default
    policy against the same policy with no protected quantities (plain pro rata).

    Returns one dict per account with units confirmed both ways, ``units_lost`` (positive:
    the account gets fewer units because of the protections; negative: it gains) and
    ``contribution_lost`` (Σ lost units × the line's unit value, rounded to the cent),
    non-key accounts first, largest loss first.
    """
    key = set(key_accounts)
    protected = with_protection or allocate(
        lines, supply, policy="protect", protections=protections, as_of=as_of
    )
    plain = allocate(lines, supply, policy="protect", protections=(), as_of=as_of)
    value = np.zeros(lines.num_rows) if unit_value is None else np.asarray(unit_value, float)
    codes, uniques = _codes(lines["account_id"]) if lines.num_rows else (np.zeros(0, np.int64), [])
    diff = plain.confirmed - protected.confirmed
    m = len(uniques)
    with_p = np.bincount(codes, protected.confirmed, minlength=m)
    without = np.bincount(codes, plain.confirmed, minlength=m)
    lost_units = np.bincount(codes, diff, minlength=m)
    lost_value = np.bincount(codes, diff * value, minlength=m)
    rows = [
        {
            "account_id": str(a),
            "key": str(a) in key,
            "confirmed_with_priority": int(with_p[i]),
            "confirmed_without_priority": int(without[i]),
            "units_lost": int(lost_units[i]),
            "contribution_lost": round(float(lost_value[i]), 2),
        }
        for i, a in enumerate(uniques)
    ]
    rows.sort(key=lambda r: (r["key"], -r["units_lost"], r["account_id"]))
    return rows
