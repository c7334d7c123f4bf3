"""The recommended portfolio as a mixed-integer linear programme (solved with HiGHS through
:func:`scipy.optimize.milp`).

Decision variables: xₐ = 1 when account *a* is key; yₐₖ = 1 when KAM *k* manages *a*;
zₐₛ = 1 when executive *s* sponsors *a*; uₖ = 1 when KAM *k* carries any key account.

    maximise   Σₐ gₐ xₐ − C_KAM Σₖ uₖ + ε Σ (current assignments kept)
    subject to Σₖ yₐₖ = xₐ,  Σₛ zₐₛ = xₐ                 (one KAM, one sponsor per key account)
               L ≤ Σₐ xₐ ≤ U                              (programme size, default 5–25)
               l_K uₖ ≤ Σₐ yₐₖ ≤ h_K uₖ                  (a KAM carries 2–5, or none)
               Σₐ zₐₛ ≤ h_S                               (a sponsor carries at most 2)
               xₐ = 1 for accounts that must stay (hysteresis, included by override),
               xₐ = 0 for accounts that may not be key (below entry, demoted, excluded)

gₐ is the account's net expected gain without the KAM's own cost (see
:func:`~openkam.engine.selection.recommend.expected_gain`); a KAM is a full-time job, so
their cost C_KAM is a fixed charge paid once any account is assigned to them. ε is a
continuity bonus small enough never to outweigh money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from openkam.engine.selection.criteria import Programme

__all__ = ["Candidate", "SelectionInfeasible", "Solution", "solve_portfolio"]


class SelectionInfeasible(ValueError):
    """No portfolio satisfies the programme rules; ``reasons`` says which rules clash."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("no portfolio satisfies the programme rules: " + "; ".join(reasons))


@dataclass(frozen=True)
class Candidate:
    """An account as the optimisation sees it.

    ``fixed``: None (free), ``"in"`` (must be key) or ``"out"`` (may not be key).
    """

    account_id: str
    gain: float
    fixed: str | None = None
    kam: str | None = None
    sponsor: str | None = None


@dataclass
class Solution:
    """The optimum: the chosen accounts with their KAM and sponsor, and the objective."""

    objective: float
    selected: dict[str, tuple[str, str]] = field(default_factory=dict)
    kam_load: dict[str, int] = field(default_factory=dict)
    sponsor_load: dict[str, int] = field(default_factory=dict)


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


def solve_portfolio(
    candidates: Sequence[Candidate],
    kams: Sequence[str],
    sponsors: Sequence[str],
    programme: Programme,
    kam_cost: float,
    continuity_bonus: float = 1.0,
    time_limit: float = 20.0,
) -> Solution:
    """Solve the MILP of the module docstring.

    Raises
    ------
    SelectionInfeasible
        With the clashing rules (too few KAMs or sponsors for the programme size, more
        accounts forced in than allowed, too few eligible accounts, load rules that cannot
        be met together).
    """
    cands = list(candidates)
    p = programme
    _check(cands, kams, sponsors, p)
    n, nk, ns = len(cands), len(kams), len(sponsors)
    ix = np.arange(n)
    iy = n + ix[:, None] * nk + np.arange(nk)[None, :]
    iz = n + n * nk + ix[:, None] * ns + np.arange(ns)[None, :]
    iu = n + n * nk + n * ns + np.arange(nk)
    nvar = iu[-1] + 1

    c = np.zeros(nvar)
    c[ix] = -np.array([cd.gain for cd in cands], dtype=float)
    c[iu] = kam_cost
    kam_pos = {k: j for j, k in enumerate(kams)}
    sp_pos = {s: j for j, s in enumerate(sponsors)}
    for a, cd in enumerate(cands):
        if cd.kam in kam_pos:
            c[iy[a, kam_pos[cd.kam]]] -= continuity_bonus
        if cd.sponsor in sp_pos:
            c[iz[a, sp_pos[cd.sponsor]]] -= continuity_bonus

    rows = 2 * n + 1 + 2 * nk + ns
    A = lil_matrix((rows, nvar))
    lo, hi = np.zeros(rows), np.zeros(rows)
    r = 0
    for a in range(n):
        A[r, iy[a]] = 1
        A[r, a] = -1
        A[r + 1, iz[a]] = 1
        A[r + 1, a] = -1
        r += 2
    A[r, ix] = 1
    lo[r], hi[r] = p.min_accounts, p.max_accounts
    r += 1
    for k in range(nk):
        A[r, iy[:, k]] = 1
        A[r, iu[k]] = -p.kam_max
        lo[r], hi[r] = -np.inf, 0
        A[r + 1, iy[:, k]] = 1
        A[r + 1, iu[k]] = -p.kam_min
        lo[r + 1], hi[r + 1] = 0, np.inf
        r += 2
    for s in range(ns):
        A[r, iz[:, s]] = 1
        lo[r], hi[r] = -np.inf, p.sponsor_max
        r += 1

    lb, ub = np.zeros(nvar), np.ones(nvar)
    for a, cd in enumerate(cands):
        if cd.fixed == "in":
            lb[a] = 1
        elif cd.fixed == "out":
            ub[a] = 0
            ub[iy[a]] = 0
            ub[iz[a]] = 0
    res = milp(
        c,
        constraints=LinearConstraint(A.tocsr(), lo, hi),
        integrality=np.ones(nvar),
        bounds=Bounds(lb, ub),
        options={"time_limit": time_limit},
    )
    if res.x is None:
        raise SelectionInfeasible(
            [
                f"the load rules cannot be met together ({nk} KAMs carrying "
                f"{p.kam_min}–{p.kam_max} each, {ns} sponsors carrying at most "
                f"{p.sponsor_max}, programme of {p.min_accounts}–{p.max_accounts} accounts, "
                f"{sum(cd.fixed == 'in' for cd in cands)} forced in, "
                f"{sum(cd.fixed != 'out' for cd in cands)} eligible): {res.message}"
            ]
        )
    x = np.round(res.x).astype(int)
    sol = Solution(objective=0.0)
    sol.kam_load = {k: int(x[iy[:, j]].sum()) for j, k in enumerate(kams)}
    sol.sponsor_load = {s: int(x[iz[:, j]].sum()) for j, s in enumerate(sponsors)}
    for a, cd in enumerate(cands):
        if x[a]:
            kam = kams[int(np.argmax(x[iy[a]]))]
            sponsor = sponsors[int(np.argmax(x[iz[a]]))]
            sol.selected[cd.account_id] = (kam, sponsor)
    # The money objective, without the continuity bonus.
    sol.objective = float(
        sum(cd.gain for cd in cands if cd.account_id in sol.selected)
        - kam_cost * sum(1 for v in sol.kam_load.values() if v > 0)
    )
    return sol
