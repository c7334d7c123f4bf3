"""The recommended portfolio: which accounts are key, and who manages and sponsors each.

The model is lexicographic (``docs/selection.md`` §4 states it with its proof sketch):

**Stage 1, money.** With xₐ = 1 when account *a* is key and t = Σₐ xₐ,

    maximise   M(x) = Σₐ gₐ xₐ − C_KAM · max(0, m(t) − P)
    subject to L ≤ t ≤ U                               (programme size)
               xₐ = 1 forced in, xₐ = 0 forced out     (slow demotion, overrides, entry)
               m(t) = ⌈t / h_K⌉ ≤ n_K and l_K · m(t) ≤ t
               ⌈t / h_S⌉ ≤ n_S and l_S · ⌈t / h_S⌉ ≤ t

where gₐ is the account's expected gain, C_KAM the cost of one full-time KAM, P the number of
eligible KAMs who carry key accounts today, n_K and n_S the eligible KAMs and sponsors, l and
h their minimum and maximum loads. A KAM in post is paid for already: the review charges a
KAM's cost only for KAMs the portfolio adds, and never empties a KAM to save their cost
(releasing a person is a decision about people, not about accounts). Every KAM costs the same
and every key account needs exactly one KAM and one sponsor, so the money depends only on
*which* accounts are key and on how many KAMs carry them: t accounts need at least ⌈t/h_K⌉
KAMs, and m KAMs can carry t accounts exactly when l_K·m ≤ t ≤ h_K·m. For each size t the
best portfolio is therefore the forced-in accounts plus the t − f free accounts of highest
gain, and one sort with a pass over t gives the exact optimum (no solver, no gap tolerance).

**Stage 2, continuity.** Among the money-optimal portfolios, the one with the fewest
decision changes (key ↔ not key), then the fewest KAM and sponsor changes: each key account
that keeps an eligible KAM keeps them unless a rule forces a change — the KAM would carry
more than h_K, too few accounts remain for every KAM in post to carry l_K, or a KAM must
reach the minimum l_K. The same for sponsors. :func:`_place` solves this exactly.

Because stage 1 is a sorted pass, the cost of forcing any excluded account in (or any chosen
account out) is exact and cheap: the same pass with the account's rank moved
(:attr:`Solution.include_loss`, :attr:`Solution.exclude_loss`), with no re-solve.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from openkam.engine.selection.criteria import Programme

__all__ = ["Candidate", "Move", "SelectionInfeasible", "Solution", "solve_portfolio"]


class SelectionInfeasible(ValueError):
    """No portfolio satisfies the programme rules; ``reasons`` says which rules clash."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("no portfolio satisfies the programme rules: " + "; ".join(reasons))


@dataclass(frozen=True)
class Candidate:
    """An account as the optimisation sees it.

    ``fixed``: None (free), ``"in"`` (must be key) or ``"out"`` (may not be key).
    ``kam`` and ``sponsor`` are today's holders (eligible or not); ``current_key`` whether
    the account is key today.
    """

    account_id: str
    gain: float
    fixed: str | None = None
    kam: str | None = None
    sponsor: str | None = None
    current_key: bool = False


@dataclass(frozen=True)
class Move:
    """A change of KAM or sponsor of one key account, with the rule that forces it.

    ``code``: ``new`` (the account had no holder), ``ineligible`` (today's holder may not
    hold it), ``over_max`` (today's holder would carry more than the maximum),
    ``fewer`` (the portfolio needs fewer people than hold accounts today),
    ``min_load`` (moved so that another person reaches the minimum load).
    """

    role: str
    account_id: str
    old: str | None
    new: str
    code: str
    #: ``over_max``: the holder's count; ``fewer``: how many people the portfolio needs.
    count: int = 0


@dataclass
class Solution:
    """The optimum: the chosen accounts with their KAM and sponsor, and the explanations."""

    objective: float
    selected: dict[str, tuple[str, str]] = field(default_factory=dict)
    kam_load: dict[str, int] = field(default_factory=dict)
    sponsor_load: dict[str, int] = field(default_factory=dict)
    #: Every KAM or sponsor change among the chosen accounts.
    moves: list[Move] = field(default_factory=list)
    #: KAMs needed for the chosen size (stage 1).
    kams_needed: int = 0
    #: Eligible KAMs who carry key accounts today (their cost is not charged again).
    kams_in_post: int = 0
    #: Free accounts not chosen: how much the money objective falls if the account is forced
    #: in (None: no portfolio with it satisfies the rules).
    include_loss: dict[str, float | None] = field(default_factory=dict)
    #: Free accounts chosen: how much the money objective falls if it is forced out.
    exclude_loss: dict[str, float | None] = field(default_factory=dict)
    #: Free accounts not chosen with a positive gain: the rule that keeps them out
    #: (``programme_max``, ``kam_capacity``, ``sponsor_capacity`` or ``kam_cost``).
    why_out: dict[str, str] = field(default_factory=dict)


def _people_needed(t: int, n: int, lo: int, hi: int) -> int | None:
    """The fewest people of load ``lo``–``hi`` (or none) who carry ``t`` accounts, or None."""
    m = -(-t // hi)
    return m if m <= n and m * lo <= t else None


def _check(cands, kams, sponsors, p: Programme) -> None:
    forced = sum(c.fixed == "in" for c in cands)
    open_ = sum(c.fixed != "out" for c in cands)
    reasons = []
    if not kams:
        reasons.append("there is no active key account manager to assign")
    if not sponsors:
        reasons.append("there is no active executive sponsor to assign")
    if forced > p.max_accounts:
        reasons.append(
            f"{forced} accounts must be key (retained by slow demotion or included by "
            f"override) but the programme allows at most {p.max_accounts}"
        )
    if open_ < p.min_accounts:
        reasons.append(
            f"only {open_} accounts may be key (above the entry threshold, retained or "
            f"included) but the programme needs at least {p.min_accounts}"
        )
    if kams and len(kams) * p.kam_max < max(p.min_accounts, forced):
        reasons.append(
            f"too few KAMs: {len(kams)} KAMs × {p.kam_max} accounts each = "
            f"{len(kams) * p.kam_max} < {max(p.min_accounts, forced)} key accounts needed"
        )
    if sponsors and len(sponsors) * p.sponsor_max < max(p.min_accounts, forced):
        reasons.append(
            f"too few executive sponsors: {len(sponsors)} × {p.sponsor_max} accounts each = "
            f"{len(sponsors) * p.sponsor_max} < {max(p.min_accounts, forced)} key accounts needed"
        )
    if reasons:
        raise SelectionInfeasible(reasons)


def _place(
    accounts: Sequence[str],
    prefer: set[str],
    gains: Mapping[str, float],
    current: Mapping[str, str | None],
    eligible: Sequence[str],
    lo: int,
    hi: int,
    counts: Iterable[int],
    role: str,
) -> tuple[dict[str, str], list[Move]]:
    """Give every account one holder of ``eligible``, each carrying ``lo``–``hi`` or none,
    with as few changes from ``current`` as possible.

    ``counts`` are the allowed numbers of people used; the one with the fewest changes wins
    (then the smaller). For a given number m the fewest changes come from keeping the m
    people who hold the most accounts today (up to ``hi`` each, the highest-gain accounts
    kept); a person left below ``lo`` is filled from the accounts that must move anyway,
    and only when those are too few is an account moved from a person above ``lo``
    (exactly Σ max(lo, kept) − t such moves, the fewest possible).
    """
    elig = set(eligible)
    groups: dict[str, list[str]] = {}
    orphans: list[Move] = []
    for a in accounts:
        holder = current.get(a)
        if holder in elig:
            groups.setdefault(holder, []).append(a)
        else:
            orphans.append(Move(role, a, holder, "", "new" if holder is None else "ineligible"))
    for g in groups.values():
        g.sort(key=lambda a: (-gains[a], a))
    in_post = sorted(groups, key=lambda p: (-min(len(groups[p]), hi), p))
    # People without an account here: those who held key accounts today come first.
    idle = sorted((p for p in eligible if p not in groups), key=lambda p: p not in prefer)
    order = {p: i for i, p in enumerate(eligible)}

    best = None
    for m in counts:
        if m > len(eligible) or (m == 0 and accounts):
            continue
        used = in_post[:m] + idle[: max(0, m - len(in_post))]
        kept = {p: list(groups.get(p, [])[:hi]) for p in used}
        moves = [Move(role, a, p, "", "fewer", m) for p in in_post[m:] for a in groups[p]]
        moves += [
            Move(role, a, p, "", "over_max", len(groups[p]))
            for p in used
            for a in groups.get(p, [])[hi:]
        ]
        pool = orphans + moves
        deficit = sum(max(0, lo - len(kept[p])) for p in used)
        for _ in range(deficit - len(pool)):
            donor = max((p for p in used if len(kept[p]) > lo), key=lambda p: len(kept[p]))
            a = kept[donor].pop()
            pool.append(Move(role, a, donor, "", "min_load"))
            moves.append(pool[-1])
        if best is None or len(moves) < best[0]:
            best = (len(moves), used, kept, pool)
    if best is None:  # pragma: no cover - the caller checked that some count is feasible
        raise SelectionInfeasible([f"no {role} can be assigned under the load rules"])

    _, used, kept, pool = best
    load = {p: len(kept[p]) for p in used}
    holder = {a: p for p in used for a in kept[p]}
    placed = []
    for mv in sorted(pool, key=lambda mv: (-gains[mv.account_id], mv.account_id)):
        room = [p for p in used if load[p] < hi]
        # Fill the people below the minimum first, then the lightest loads.
        p = min(room, key=lambda p: (load[p] >= lo, load[p], order[p]))
        load[p] += 1
        holder[mv.account_id] = p
        placed.append(Move(role, mv.account_id, mv.old, p, mv.code, mv.count))
    return holder, placed


def _sizes(cands, nk, ns, p: Programme, kam_cost: float, in_post: int):
    """Feasible sizes t with their KAM count and best money value, and the free order."""
    forced = [c for c in cands if c.fixed == "in"]
    free = [c for c in cands if c.fixed is None]
    # Ties broken toward continuity: among equal gains, today's key accounts first, then
    # those with a KAM today (fewest decision changes, then fewest KAM changes).
    free.sort(key=lambda c: (-c.gain, not c.current_key, c.kam is None, c.account_id))
    g = np.array([c.gain for c in free], dtype=float)
    prefix = np.concatenate([[0.0], np.cumsum(g)])
    f = len(forced)
    base = float(sum(c.gain for c in forced))
    sizes = []
    for t in range(max(p.min_accounts, f), min(p.max_accounts, f + len(free)) + 1):
        m = _people_needed(t, nk, p.kam_min, p.kam_max)
        if m is None or _people_needed(t, ns, p.sponsor_min, p.sponsor_max) is None:
            continue
        sizes.append((t, m, base + prefix[t - f] - kam_cost * max(0, m - in_post)))
    return forced, free, g, prefix, f, base, sizes


def solve_portfolio(
    candidates: Sequence[Candidate],
    kams: Sequence[str],
    sponsors: Sequence[str],
    programme: Programme,
    kam_cost: float,
    continuity_bonus: float | None = None,
    time_limit: float | None = None,
) -> Solution:
    """Solve the two stages of the module docstring exactly.

    ``continuity_bonus`` and ``time_limit`` are accepted for compatibility and ignored:
    continuity is now a lexicographic second objective, and the solution is exact.
    A person in both ``kams`` and ``sponsors`` is used as KAM only, so that nobody is KAM
    and sponsor of the same account.

    Raises
    ------
    SelectionInfeasible
        With the clashing rules (too few KAMs or sponsors for the programme size, more
        accounts forced in than allowed, too few eligible accounts, load rules that cannot
        be met together).
    """
    cands = list(candidates)
    kams = list(dict.fromkeys(kams))
    sponsors = [s for s in dict.fromkeys(sponsors) if s not in set(kams)]
    p = programme
    _check(cands, kams, sponsors, p)
    nk, ns = len(kams), len(sponsors)
    eligible_kams = set(kams)
    in_post = len({c.kam for c in cands if c.current_key and c.kam in eligible_kams})
    forced, free, g, prefix, f, base, sizes = _sizes(cands, nk, ns, p, kam_cost, in_post)
    if not sizes:
        raise SelectionInfeasible(
            [
                f"the load rules cannot be met together ({nk} KAMs carrying "
                f"{p.kam_min}–{p.kam_max} each, {ns} sponsors carrying "
                f"{p.sponsor_min}–{p.sponsor_max}, programme of "
                f"{p.min_accounts}–{p.max_accounts} accounts, {f} forced in, "
                f"{f + len(free)} eligible)"
            ]
        )

    # Stage 1: the best size; among equal money, the fewest decision changes.
    def flips(t):
        chosen = set(range(t - f))
        return sum(c.current_key != (i in chosen) for i, c in enumerate(free))

    top = max(v for _, _, v in sizes)
    tied = [s for s in sizes if abs(s[2] - top) <= 1e-9 * max(1.0, abs(top))]
    t, m, value = min(tied, key=lambda s: (flips(s[0]) if len(tied) > 1 else 0, s[0]))
    j = t - f
    chosen = forced + free[:j]

    # Stage 2: KAMs and sponsors with the fewest changes.
    gains = {c.account_id: c.gain for c in chosen}
    ids = [c.account_id for c in chosen]
    # Any count of KAMs that costs no more than m keeps the money (those in post are paid
    # for already): the most continuous one is chosen.
    top_count = min(nk, t // p.kam_min)
    kam_counts = range(m, (top_count if kam_cost <= 0 else min(top_count, max(m, in_post))) + 1)
    s_needed = _people_needed(t, ns, p.sponsor_min, p.sponsor_max)
    kam_of, kam_moves = _place(
        ids,
        {c.kam for c in cands if c.current_key and c.kam},
        gains,
        {c.account_id: c.kam for c in chosen},
        kams,
        p.kam_min,
        p.kam_max,
        kam_counts,
        "kam",
    )
    sponsor_of, sponsor_moves = _place(
        ids,
        {c.sponsor for c in cands if c.current_key and c.sponsor},
        gains,
        {c.account_id: c.sponsor for c in chosen},
        sponsors,
        p.sponsor_min,
        p.sponsor_max,
        range(s_needed, min(ns, t // p.sponsor_min) + 1),
        "sponsor",
    )
    sol = Solution(objective=float(value), kams_needed=m, kams_in_post=in_post)
    sol.selected = {a: (kam_of[a], sponsor_of[a]) for a in ids}
    sol.kam_load = {k: 0 for k in kams}
    sol.sponsor_load = {s: 0 for s in sponsors}
    for k, s in sol.selected.values():
        sol.kam_load[k] += 1
        sol.sponsor_load[s] += 1
    sol.moves = kam_moves + sponsor_moves
    _explain_free(sol, free, g, prefix, f, base, sizes, t, p, kam_cost, nk, ns, in_post)
    return sol


def _explain_free(sol, free, g, prefix, f, base, sizes, t, p, kam_cost, nk, ns, in_post) -> None:
    """Exact cost of forcing each free account in (or out), by the sorted pass."""
    if not free:
        return
    n = len(free)
    rank = np.arange(n)
    j_star = t - f
    ts = np.array([s[0] for s in sizes])
    js = ts - f
    fixed_part = base - kam_cost * np.maximum(
        0, np.array([s[1] for s in sizes], dtype=float) - in_post
    )
    best = sol.objective
    # Chunks keep memory at O(chunk × sizes) on 100,000 candidates.
    for lo in range(0, n, 20_000):
        r = rank[lo : lo + 20_000, None]
        gg = g[lo : lo + 20_000, None]
        # Forced in: if it is among the best j anyway the value is P[j], else it replaces
        # the j-th: P[j−1] + g.
        with np.errstate(invalid="ignore"):
            inc = np.where(
                js[None, :] >= 1,
                np.where(r < js[None, :], prefix[js][None, :], prefix[np.maximum(js - 1, 0)] + gg)
                + fixed_part[None, :],
                -np.inf,
            )
            # Forced out: if it is among the best j, the (j+1)-th takes its place.
            nxt = np.where(js + 1 <= n, prefix[np.minimum(js + 1, n)], -np.inf)
            exc = (
                np.where(r < js[None, :], nxt[None, :] - gg, prefix[js][None, :])
                + fixed_part[None, :]
            )
        inc_best, exc_best = inc.max(axis=1), exc.max(axis=1)
        for i in range(len(gg)):
            c = free[lo + i]
            if lo + i < j_star:
                v = exc_best[i]
                sol.exclude_loss[c.account_id] = None if np.isneginf(v) else float(best - v)
            else:
                v = inc_best[i]
                sol.include_loss[c.account_id] = None if np.isneginf(v) else float(best - v)
    # The rule that keeps a positive-gain account out at the optimum.
    grow = _people_needed(t + 1, nk, p.kam_min, p.kam_max)
    for c in free[j_star:]:
        if c.gain <= 0:
            continue
        if t >= p.max_accounts:
            sol.why_out[c.account_id] = "programme_max"
        elif grow is None:
            sol.why_out[c.account_id] = "kam_capacity"
        elif _people_needed(t + 1, ns, p.sponsor_min, p.sponsor_max) is None:
            sol.why_out[c.account_id] = "sponsor_capacity"
        else:
            sol.why_out[c.account_id] = "kam_cost"
