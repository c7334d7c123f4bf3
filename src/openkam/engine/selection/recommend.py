"""A selection review in one call: scores, matrix, slow demotion, overrides, the optimal
portfolio, and an explanation for every account.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from openkam.engine.selection.criteria import Economics, SelectionConfig, config_to_dict
from openkam.engine.selection.hysteresis import eligibility
from openkam.engine.selection.matrix import quadrant
from openkam.engine.selection.optimisation import Candidate, Move, Solution, solve_portfolio
from openkam.engine.selection.scoring import score_arrays

__all__ = ["OverrideError", "account_value", "expected_gain", "money", "recommend"]


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


def money(amount: float, currency: str) -> str:
    """``amount`` rounded to whole units with thousands separators and its currency, e.g.
    ``2,949,750 EUR`` (a minus sign for negatives)."""
    text = f"{abs(amount):,.0f}"
    return f"{'−' if round(amount) < 0 else ''}{text} {currency}"


def _score(x: float) -> str:
    return f"{x:.1f}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def recommend(
    values: Mapping[str, Mapping[str, float | None]],
    config: SelectionConfig,
    kams: Sequence[str],
    sponsors: Sequence[str],
    *,
    current: Mapping[str, Mapping] | None = None,
    below_exit: Mapping[str, int] | None = None,
    overrides: Mapping[str, Mapping] | None = None,
    names: Mapping[str, str] | None = None,
    ineligible: Mapping[str, str] | None = None,
    currency: str = "EUR",
    details: bool = True,
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
        Ids of the people who may be assigned (a person in both is used as KAM only).
    current
        ``{account_id: {"is_key": bool, "kam": id, "sponsor": id}}``: today's status.
    below_exit
        Consecutive earlier reviews each key account scored below the exit threshold.
    overrides
        ``{account_id: {"decision": "key"|"not_key", "reason": str}}``; a reason is required.
    names
        Person id → name, for the sentences (the id when absent).
    ineligible
        Person id → why they may not hold an account (e.g. "not a full-time KAM"), for
        today's holders who are not in ``kams`` / ``sponsors``.
    currency
        The currency of the values, shown with every amount.
    details
        Whether to include each criterion's contribution per account.

    Returns
    -------
    dict
        ``{"accounts": [...], "constraints": {...}, "objective": float, "config": {...}}``;
        every account has ``account_id, attractiveness, relative_strength,
        strength_assessed, quadrant, value, expected_gain, eligibility, below_exit,
        current_decision, current_kam, current_sponsor, decision, kam, sponsor, changes,
        override, reasons, binding`` (and ``contributions`` with ``details``). ``reasons``
        are plain sentences, the first one the headline; ``changes`` lists every change of
        decision, KAM or sponsor as ``{"field", "from", "to", "reason"}``.

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
    names = dict(names or {})
    ineligible = dict(ineligible or {})
    econ, h, p = config.economics, config.hysteresis, config.programme
    attr = score_arrays(values, config.axis("attractiveness"))
    strength = score_arrays(values, config.axis("strength"))

    rows: dict[str, dict] = {}
    cands = []
    for i, a in enumerate(attr.accounts):
        A, S = float(attr.score[i]), float(strength.score[i])
        now = current.get(a, {})
        is_key = bool(now.get("is_key"))
        el = eligibility(A, is_key, int(below_exit.get(a, 0)), h)
        value = account_value(values[a].get("clv"), values[a].get("net_contribution"), econ)
        gain = expected_gain(value, A, S, econ)
        fixed = {"retained": "in", "ineligible": "out", "demoted": "out"}.get(el.status)
        spared = False
        if fixed == "in" and value < 0:
            # Slow demotion spares a key account the churn of one weak review; it does not
            # keep one that destroys value (DESIGN §1: losing money is accepted only where
            # the lifetime value is high). The optimiser then decides, as for any candidate;
            # the champion can still keep it by an override with a written reason.
            fixed, spared = None, True
        o = overrides.get(a)
        if o:
            fixed = "in" if o["decision"] == "key" else "out"
        assessed = bool(strength.assessed[i])
        row = {
            "account_id": a,
            "attractiveness": round(A, 4),
            "relative_strength": round(S, 4),
            "strength_assessed": assessed,
            "quadrant": quadrant(A, S, config.attractiveness_threshold, config.strength_threshold)
            if assessed
            else "not_assessed",
            "value": round(value, 2),
            "expected_gain": round(gain, 2),
            "eligibility": el.status,
            "below_exit": el.below_exit,
            "current": "key" if is_key else "not_key",
            "current_decision": "key" if is_key else "not_key",
            "current_kam": now.get("kam"),
            "current_sponsor": now.get("sponsor"),
            "override": dict(o) if o else None,
            "reasons": [],
            "binding": [],
            "changes": [],
            "_spared": spared,
        }
        if details:
            row["contributions"] = {
                "attractiveness": attr.contributions(i),
                "relative_strength": strength.contributions(i),
            }
        rows[a] = row
        cands.append(
            Candidate(a, gain, fixed, now.get("kam"), now.get("sponsor"), current_key=is_key)
        )

    sol = solve_portfolio(cands, kams, sponsors, p, kam_cost=econ.kam_cost)
    moves: dict[tuple[str, str], Move] = {(m.role, m.account_id): m for m in sol.moves}
    ctx = _Context(config, currency, names, ineligible, sol, len(kams), len(sponsors))
    strength_labels = ", ".join(c.label.lower() for c in config.axis("strength"))
    for cd in cands:
        row = rows[cd.account_id]
        chosen = cd.account_id in sol.selected
        row["decision"] = "key" if chosen else "not_key"
        row["kam"], row["sponsor"] = sol.selected.get(cd.account_id, (None, None))
        _explain(row, cd, chosen, ctx)
        if not row["strength_assessed"]:
            row["reasons"].append(
                "Relative strength not assessed: nobody has scored how the customer sees us "
                f"({strength_labels}); until "
                f"then the missing-value rules count it as {_score(row['relative_strength'])} "
                "in the expected gain, and the matrix leaves it out."
            )
        _changes(row, cd, chosen, moves, ctx)
        del row["_spared"]

    accounts = sorted(rows.values(), key=lambda r: (r["decision"] != "key", -r["attractiveness"]))
    size = len(sol.selected)
    previous_kam: dict[str, int] = {}
    previous_sponsor: dict[str, int] = {}
    for cd in cands:
        if cd.current_key:
            if cd.kam:
                previous_kam[cd.kam] = previous_kam.get(cd.kam, 0) + 1
            if cd.sponsor:
                previous_sponsor[cd.sponsor] = previous_sponsor.get(cd.sponsor, 0) + 1

    def people(loads, previous, lo, hi):
        out = []
        for person, load in loads.items():
            before = previous.get(person, 0)
            out.append(
                {
                    "person_id": person,
                    "name": names.get(person, person),
                    "load": load,
                    "previous_load": before,
                    "min": lo,
                    "max": hi,
                    "binding": load == hi,
                    "emptied": before > 0 and load == 0,
                    "below_min": 0 < load < lo,
                }
            )
        return out

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
            "kams": people(sol.kam_load, previous_kam, p.kam_min, p.kam_max),
            "sponsors": people(sol.sponsor_load, previous_sponsor, p.sponsor_min, p.sponsor_max),
            "ineligible_holders": [
                {
                    "person_id": person,
                    "name": names.get(person, person),
                    "why": ineligible.get(person, "not eligible"),
                    "accounts": count,
                }
                for person, count in sorted(
                    {
                        **{k: v for k, v in previous_kam.items() if k not in set(kams)},
                        **{
                            s: v
                            for s, v in previous_sponsor.items()
                            if s not in set(sponsors) or s in set(kams)
                        },
                    }.items()
                )
            ],
            "forced_in": sum(cd.fixed == "in" for cd in cands),
            "forced_out": sum(cd.fixed == "out" for cd in cands),
            "kam_cost": econ.kam_cost,
            "kams_used": sum(1 for v in sol.kam_load.values() if v > 0),
            "kams_needed": sol.kams_needed,
            "kams_in_post": sol.kams_in_post,
            "not_assessed": sum(not r["strength_assessed"] for r in accounts),
            "changes": {
                "decision": sum(
                    any(c["field"] == "decision" for c in r["changes"]) for r in accounts
                ),
                # Reassignments of key accounts (the end of a leaving account's KAM or
                # sponsor is counted with its decision).
                "kam": sum(
                    any(c["field"] == "kam" and c["from"] and c["to"] for c in r["changes"])
                    for r in accounts
                ),
                "sponsor": sum(
                    any(c["field"] == "sponsor" and c["from"] and c["to"] for c in r["changes"])
                    for r in accounts
                ),
            },
        },
        "objective": round(sol.objective, 2),
        "currency": currency,
        "config": config_to_dict(config),
    }


class _Context:
    """What the sentences need besides the account's own row."""

    def __init__(self, config, currency, names, ineligible, sol: Solution, nk, ns):
        self.config, self.currency, self.names, self.ineligible = (
            config,
            currency,
            names,
            ineligible,
        )
        self.sol, self.nk, self.ns = sol, nk, ns

    def money(self, amount: float) -> str:
        return money(amount, self.currency)

    def name(self, person: str | None) -> str:
        return self.names.get(person, person) if person else "nobody"


def _explain(row: dict, cd: Candidate, chosen: bool, ctx: _Context) -> None:
    """The reasons in plain sentences (headline first) and the binding rule's code."""
    cfg, sol = ctx.config, ctx.sol
    h, p, econ = cfg.hysteresis, cfg.programme, cfg.economics
    reasons, binding = row["reasons"], row["binding"]
    A = _score(row["attractiveness"])
    g = ctx.money(cd.gain)
    is_key = cd.current_key
    o = row["override"]
    if o:
        binding.append("override")
        verb = "Key account" if o["decision"] == "key" else "Not a key account"
        reasons.append(f"{verb} by the champion's override: “{o['reason']}”.")
        return
    status = row["eligibility"]
    if cd.fixed == "in":  # retained by slow demotion, value not negative
        # "slow_demotion" only where the count keeps it (below exit); at or above exit a
        # key account simply stays.
        binding.append("slow_demotion" if row["attractiveness"] < h.exit else "retained")
        if row["attractiveness"] >= h.exit:
            extra = (
                f", though below the entry threshold {h.entry:.1f}: slow demotion keeps key "
                "accounts between the two thresholds"
                if row["attractiveness"] < h.entry
                else ""
            )
            reasons.append(
                f"Stays a key account: its attractiveness {A} is at or above the exit "
                f"threshold {h.exit:.1f}{extra}."
            )
        else:
            left = h.reviews - row["below_exit"]
            reasons.append(
                f"Kept as a key account: slow demotion keeps it for "
                f"{_plural(left, 'more review')} although its attractiveness {A} is below "
                f"the exit threshold {h.exit:.1f}."
            )
        return
    if status == "demoted":
        binding.append("slow_demotion")
        reasons.append(
            f"Leaves the programme: its attractiveness {A} has been below the exit threshold "
            f"{h.exit:.1f} for {row['below_exit']} consecutive reviews (slow demotion lets a key "
            f"account go after {_plural(h.reviews, 'review')})."
        )
        return
    if status == "ineligible":
        binding.append("entry_threshold")
        reasons.append(
            f"Not a candidate: its attractiveness {A} is below the entry threshold {h.entry:.1f}."
        )
        return
    # A free candidate: the optimiser decided.
    spared = row["_spared"]
    mutual = (max(row["attractiveness"], 0) * max(row["relative_strength"], 0)) ** 0.5 / 10
    how = (
        f"value {ctx.money(row['value'])} × uplift {econ.uplift_rate:.0%} × mutual "
        f"attractiveness {mutual:.2f} − {ctx.money(econ.account_cost)} per key account"
    )
    if spared and not chosen:
        binding.append("value")
        reasons.append(
            f"Leaves the programme although slow demotion would keep it: its value "
            f"{ctx.money(row['value'])} is negative, and slow demotion does not keep an "
            "account that destroys value (an override with a written reason can)."
        )
        return
    if chosen:
        lead = "Stays a key account" if is_key else "Recommended as a key account"
        if cd.gain > 0:
            binding.append("gain")
            text = f"{lead}: expected gain {g} ({how})."
            loss = sol.exclude_loss.get(cd.account_id)
            if loss is not None and loss > 0:
                text += (
                    f" Leaving it out would lower the programme's expected value by "
                    f"{ctx.money(loss)}."
                )
            reasons.append(text)
        else:
            binding.append("programme_min")
            reasons.append(
                f"{lead} although its expected gain {g} is not positive: the programme needs "
                f"at least {_plural(p.min_accounts, 'key account')}."
            )
        if spared:
            reasons.append(
                f"Slow demotion does not keep it (its value {ctx.money(row['value'])} is "
                "negative); the optimiser chose it on its merits."
            )
        return
    lead = "Leaves the programme" if is_key else "Not recommended"
    if cd.gain <= 0:
        binding.append("value")
        reasons.append(f"{lead}: its expected gain {g} does not pay for key account management.")
        return
    why = sol.why_out.get(cd.account_id, "kam_cost")
    binding.append(why)
    loss = sol.include_loss.get(cd.account_id)
    cost = (
        f"; including it would lower the programme's expected value by {ctx.money(loss)}"
        if loss is not None
        else "; no portfolio with it meets the programme rules"
    )
    if why == "programme_max":
        text = (
            f"{lead}: the programme is full ({_plural(p.max_accounts, 'key account')}) with "
            f"accounts of higher expected gain than its {g}{cost}."
        )
    elif why == "kam_capacity":
        text = (
            f"{lead}: the {_plural(ctx.nk, 'eligible KAM')} cannot carry another key account "
            f"({p.kam_min}–{p.kam_max} each){cost}."
        )
    elif why == "sponsor_capacity":
        text = (
            f"{lead}: the {_plural(ctx.ns, 'eligible sponsor')} cannot sponsor another key "
            f"account ({p.sponsor_min}–{p.sponsor_max} each){cost}."
        )
    else:
        text = (
            f"{lead}: its expected gain {g} does not pay for another KAM "
            f"({ctx.money(econ.kam_cost)}){cost}."
        )
    reasons.append(text)


def _move_reason(mv: Move, ctx: _Context) -> str:
    p = ctx.config.programme
    role = "KAM" if mv.role == "kam" else "sponsor"
    lo, hi = (p.kam_min, p.kam_max) if mv.role == "kam" else (p.sponsor_min, p.sponsor_max)
    load = (ctx.sol.kam_load if mv.role == "kam" else ctx.sol.sponsor_load).get(mv.new, 0)
    old, new = ctx.name(mv.old), ctx.name(mv.new)
    if mv.code == "new":
        return (
            f"It has no {role} today: {new} takes it ({load} of at most {hi} key accounts "
            "after this review)."
        )
    if mv.code == "ineligible":
        why = ctx.ineligible.get(mv.old, f"not an eligible {role}")
        return f"{old} may not be its {role} ({why}); {new} has room."
    if mv.code == "over_max":
        n = mv.count - hi
        which = "the one" if n == 1 else f"the {n}"
        return (
            f"{old} would carry {mv.count} key accounts, more than the maximum of {hi}; "
            f"{which} with the lowest expected gain {'moves' if n == 1 else 'move'}, this one "
            f"to {new}."
        )
    if mv.code == "fewer":
        return (
            f"Too few key accounts remain for every {role} in post to carry the minimum of "
            f"{lo}; {_plural(mv.count, role)} carry them, and {old}'s key accounts move to "
            f"{new}."
        )
    return f"Moved from {old} so that {new} carries the minimum of {lo} key accounts."


def _changes(row: dict, cd: Candidate, chosen: bool, moves, ctx: _Context) -> None:
    """Every change of decision, KAM or sponsor of one account, with its reason."""
    changes = row["changes"]
    if row["decision"] != row["current_decision"]:
        changes.append(
            {
                "field": "decision",
                "from": row["current_decision"],
                "to": row["decision"],
                "reason": row["reasons"][0],
            }
        )
    if not chosen:
        if row["current_decision"] == "key":
            # Leaving the programme ends its KAM's and sponsor's assignments: their load is
            # key accounts, and applying the review records the end (web: assign_many).
            for field, word in (("kam", "KAM"), ("sponsor", "sponsor")):
                if row[f"current_{field}"]:
                    changes.append(
                        {
                            "field": field,
                            "from": row[f"current_{field}"],
                            "to": None,
                            "reason": f"The account leaves the key account programme: the "
                            f"{word} assignment ends when the review is applied.",
                        }
                    )
        return
    for field in ("kam", "sponsor"):
        mv = moves.get((field, cd.account_id))
        if mv is not None:
            changes.append(
                {"field": field, "from": mv.old, "to": mv.new, "reason": _move_reason(mv, ctx)}
            )
