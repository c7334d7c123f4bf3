"""The previous selection implementation (as of commit da5d43c), kept to measure against:
a MILP over every (account, KAM) and (account, sponsor) pair solved with HiGHS, and one
re-solve per explained excluded account. Benchmarks only; not part of the package."""

# ruff: noqa
from __future__ import annotations

import math
from collections.abc import Mapping

from openkam.engine.selection.criteria import Programme, SelectionConfig, config_to_dict
from openkam.engine.selection.hysteresis import eligibility
from openkam.engine.selection.matrix import quadrant
from openkam.engine.selection.recommend import account_value, expected_gain
from openkam.engine.selection.scoring import score_axis

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix


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


class OverrideError(ValueError):
    """An override was refused (no written reason, or an unknown decision)."""


def account_value(clv: float | None, net_contribution: float | None, econ: Economics) -> float:
    """The value KAM would work on: the contribution-based CLV, or, without one,
    ``fallback_years`` × annual net contribution (0 when neither is known)."""
    if clv is not None and not math.isnan(clv):
        return float(clv)
    if net_contribution is not None and not math.isnan(net_contribution):
        return econ.fallback_years * float(net_contribution)
    return 0.0


def expected_gain(value: float, attractiveness: float, strength: float, econ: Economics) -> float:
    """Expected gain of making an account key, before the KAM's own cost.

    gₐ = ρ · max(Vₐ, 0) · √(Aₐ · Sₐ) / 10 − c_account

    where Vₐ is the account's value (:func:`account_value`), ρ the uplift rate at full mutual
    attractiveness, and √(A·S)/10 ∈ [0, 1] the geometric mean of the two attractiveness
    scores: Cheverton's mutual attractiveness, zero when either side is not attracted.
    A negative value has nothing for KAM to grow, hence max(V, 0).
    """
    mutual = math.sqrt(max(attractiveness, 0.0) * max(strength, 0.0)) / 10.0
    return econ.uplift_rate * max(value, 0.0) * mutual - econ.account_cost


def _override_map(overrides) -> dict[str, dict]:
    out = {}
    for account_id, o in (overrides or {}).items():
        decision = o.get("decision")
        if decision not in ("key", "not_key"):
            raise OverrideError(f"override of {account_id}: decision must be 'key' or 'not_key'")
        if not str(o.get("reason") or "").strip():
            raise OverrideError(
                f"override of {account_id}: a written reason is required to go against the "
                "recommendation"
            )
        out[account_id] = o
    return out


def recommend_previous(
    values: Mapping[str, Mapping[str, float | None]],
    config: SelectionConfig,
    kams: Sequence[str],
    sponsors: Sequence[str],
    *,
    current: Mapping[str, Mapping] | None = None,
    below_exit: Mapping[str, int] | None = None,
    overrides: Mapping[str, Mapping] | None = None,
    explain_limit: int = 15,
) -> dict:
    """Score the portfolio and recommend the key accounts with their KAM and sponsor.

    Parameters
    ----------
    values
        ``{account_id: {criterion_key: raw value}}`` for every criterion (data, assessed and
        input); ``clv`` and ``net_contribution`` also give the value of the account.
    config
        Criteria, matrix thresholds, programme rules, slow-demotion rule and economics.
    kams, sponsors
        Ids of the people who may be assigned.
    current
        ``{account_id: {"is_key": bool, "kam": id, "sponsor": id}}``: today's status.
    below_exit
        Consecutive earlier reviews each key account scored below the exit threshold.
    overrides
        ``{account_id: {"decision": "key"|"not_key", "reason": str}}``; a reason is required.
    explain_limit
        How many excluded accounts with a positive gain are re-solved with the account
        forced in, to price what including it would cost (the best-gain ones first).

    Returns
    -------
    dict
        ``{"accounts": [...], "constraints": {...}, "objective": float, "config": {...}}``;
        every account has ``account_id, attractiveness, relative_strength, quadrant,
        decision, kam, sponsor, reasons, binding, expected_gain, eligibility, below_exit,
        override, contributions``.

    Raises
    ------
    OverrideError
        An override without a reason.
    SelectionInfeasible
        The programme rules cannot be met.
    """
    overrides = _override_map(overrides)
    current = current or {}
    below_exit = below_exit or {}
    econ = config.economics
    attr = score_axis(values, config.axis("attractiveness"))
    strength = score_axis(values, config.axis("strength"))

    rows: dict[str, dict] = {}
    cands = []
    for a in values:
        A, S = attr[a].score, strength[a].score
        now = current.get(a, {})
        el = eligibility(A, bool(now.get("is_key")), int(below_exit.get(a, 0)), config.hysteresis)
        value = account_value(values[a].get("clv"), values[a].get("net_contribution"), econ)
        gain = expected_gain(value, A, S, econ)
        fixed = {"retained": "in", "ineligible": "out", "demoted": "out"}.get(el.status)
        reasons = [el.reason]
        if fixed == "in" and value < 0:
            # Slow demotion spares a key account the churn of one weak review; it does not
            # keep one that destroys value (DESIGN §1: losing money is accepted only where
            # the lifetime value is high). The optimiser then decides, as for any candidate;
            # the champion can still keep it by an override with a written reason.
            fixed = None
            reasons.append("slow demotion does not keep an account whose value is negative")
        o = overrides.get(a)
        if o:
            fixed = "in" if o["decision"] == "key" else "out"
            reasons.append(f"override by the champion ({o['decision']}): {o['reason']}")
        rows[a] = {
            "account_id": a,
            "attractiveness": round(A, 4),
            "relative_strength": round(S, 4),
            "quadrant": quadrant(A, S, config.attractiveness_threshold, config.strength_threshold),
            "value": round(value, 2),
            "expected_gain": round(gain, 2),
            "eligibility": el.status,
            "below_exit": el.below_exit,
            "current": "key" if now.get("is_key") else "not_key",
            "override": dict(o) if o else None,
            "reasons": reasons,
            "binding": [],
            "contributions": {
                "attractiveness": [c.as_dict() for c in attr[a].contributions],
                "relative_strength": [c.as_dict() for c in strength[a].contributions],
            },
        }
        cands.append(Candidate(a, gain, fixed, now.get("kam"), now.get("sponsor")))

    p = config.programme
    solve = dict(
        kams=list(kams),
        sponsors=list(sponsors),
        programme=p,
        kam_cost=econ.kam_cost,
        continuity_bonus=econ.continuity_bonus,
    )
    sol = solve_portfolio(cands, **solve)
    size = len(sol.selected)
    kams_full = all(v >= p.kam_max for v in sol.kam_load.values())
    sponsors_full = all(v >= p.sponsor_max for v in sol.sponsor_load.values())

    by_gain = sorted(
        (cd for cd in cands if cd.account_id not in sol.selected and cd.fixed is None),
        key=lambda cd: -cd.gain,
    )
    priced = {cd.account_id for cd in by_gain[:explain_limit] if cd.gain > 0}
    for cd in cands:
        row = rows[cd.account_id]
        chosen = cd.account_id in sol.selected
        row["decision"] = "key" if chosen else "not_key"
        row["kam"], row["sponsor"] = sol.selected.get(cd.account_id, (None, None))
        _explain(row, cd, chosen, size, p, econ, kams_full, sponsors_full)
        if cd.account_id in priced:
            forced = [
                Candidate(c.account_id, c.gain, "in" if c is cd else c.fixed, c.kam, c.sponsor)
                for c in cands
            ]
            try:
                alt = solve_portfolio(forced, **solve)
                loss = sol.objective - alt.objective
                row["reasons"].append(
                    f"including it instead would lower the portfolio's expected value by "
                    f"{loss:,.0f}"
                )
            except SelectionInfeasible:
                row["reasons"].append("including it is infeasible under the programme rules")

    accounts = sorted(rows.values(), key=lambda r: (r["decision"] != "key", -r["attractiveness"]))
    return {
        "accounts": accounts,
        "constraints": {
            "programme": {
                "min": p.min_accounts,
                "max": p.max_accounts,
                "selected": size,
                "binding": "max"
                if size == p.max_accounts
                else "min"
                if size == p.min_accounts
                else None,
            },
            "kams": [
                {
                    "person_id": k,
                    "load": v,
                    "min": p.kam_min,
                    "max": p.kam_max,
                    "binding": v == p.kam_max,
                }
                for k, v in sol.kam_load.items()
            ],
            "sponsors": [
                {
                    "person_id": s,
                    "load": v,
                    "min": p.sponsor_min,
                    "max": p.sponsor_max,
                    "binding": v == p.sponsor_max,
                }
                for s, v in sol.sponsor_load.items()
            ],
            "forced_in": sum(cd.fixed == "in" for cd in cands),
            "forced_out": sum(cd.fixed == "out" for cd in cands),
            "kam_cost": econ.kam_cost,
            "kams_used": sum(1 for v in sol.kam_load.values() if v > 0),
        },
        "objective": round(sol.objective, 2),
        "config": config_to_dict(config),
    }


def _explain(row, cd, chosen, size, p, econ, kams_full, sponsors_full) -> None:
    reasons, binding = row["reasons"], row["binding"]
    gain = f"expected gain {cd.gain:,.0f}"
    if chosen:
        if cd.fixed == "in":
            binding.append("override" if row["override"] else "slow_demotion")
            reasons.append("kept key: " + ("override" if row["override"] else "slow demotion"))
        elif cd.gain > 0:
            reasons.append(f"chosen: {gain} adds to the portfolio's value")
        else:
            binding.append("programme_min")
            reasons.append(
                f"chosen although {gain} ≤ 0: the programme needs at least {p.min_accounts}"
            )
        return
    if cd.fixed == "out":
        binding.append(
            "override"
            if row["override"]
            else "slow_demotion"
            if row["eligibility"] == "demoted"
            else "entry_threshold"
        )
        return
    if cd.gain <= 0:
        binding.append("value")
        reasons.append(f"not chosen: {gain} does not pay for the KAM investment")
        return
    if size == p.max_accounts:
        binding.append("programme_max")
        reasons.append(f"not chosen: the programme is full ({p.max_accounts}) with better accounts")
    elif kams_full:
        binding.append("kam_capacity")
        reasons.append(f"not chosen: every KAM already carries {p.kam_max} key accounts")
    elif sponsors_full:
        binding.append("sponsor_capacity")
        reasons.append(f"not chosen: every sponsor already sponsors {p.sponsor_max}")
    else:
        binding.append("kam_cost")
        reasons.append(
            f"not chosen: {gain} does not cover a share of a KAM's cost ({econ.kam_cost:,.0f}) "
            f"with at least {p.kam_min} accounts per KAM"
        )
