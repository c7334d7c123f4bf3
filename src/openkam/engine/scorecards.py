"""Scorecards of key account managers and sponsors, credited by the months each account was held.

The seeds judge a key account manager on margin, net contribution and the customer's
lifetime value, not on top-line revenue (Ryals & McDonald, *Key Account Plans*, 2008; Ryals,
"Making customer relationship management work: the measurement and profitable management of
customer relationships", *Journal of Marketing* 69(4), 2005). A figure belongs to whoever
held the account when it was earned, so:

- **Month crediting rule.** A month of an account goes to the person who held the role on
  the month's first day (assignments run from ``start`` inclusive to ``end`` exclusive). A
  handover on 1 July splits the year at the month boundary: January–June to the first
  holder, July–December to the second; a handover on 15 July gives July to the first.
- **To the cent.** The parts add up to the account's period figure (its year or quarter
  row, rounded once by the profitability engine). Month rows are each rounded, so their sum
  can differ from the period row by a few cents; that difference is handed to the holders
  in proportion to their months, by largest remainder (DESIGN §4, "splitting money").
- **Lifetime value built** (ΔCLV) of an account over a period is its contribution CLV at
  the end snapshot minus the start snapshot, split among its holders by months held, by
  largest remainder.
- **Composite score**: a weighted mean, 0–100, of measures put on one scale (see
  :func:`composite_scores`).

Everything here works on plain Python values and NumPy/Arrow arrays; no Django.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from openkam.engine.money import split_cents

__all__ = [
    "MONEY",
    "MEASURES",
    "LOWER_IS_BETTER",
    "ScorePeriod",
    "parse_period",
    "split_cents",
    "credit_months",
    "person_totals",
    "split_delta_clv",
    "competition_ranks",
    "composite_scores",
]

#: Money columns credited, in cents. Gross margin and net contribution follow from them
#: (net sales − cogs − cost to serve), so every part keeps the waterfall's identity.
MONEY = ("net_sales", "cogs", "cost_to_serve")

#: The measures a composite score can weigh, in the order pages show them.
MEASURES = (
    "net_contribution",
    "contribution_margin_pct",
    "cost_to_serve_pct",
    "delta_clv",
    "plan_attainment_pct",
    "coverage_pct",
    "sponsor_visits_pct",
    "commitments_kept_pct",
    "net_sales",
)
#: Measures where less is better (their scale is reversed).
LOWER_IS_BETTER = frozenset({"cost_to_serve_pct"})
#: Measures that are already a share from 0 to 100 and are scored as they are.
ABSOLUTE = frozenset(
    {"plan_attainment_pct", "coverage_pct", "sponsor_visits_pct", "commitments_kept_pct"}
)


# --- periods ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|YTD))?$")


@dataclass(frozen=True)
class ScorePeriod:
    """A scorecard period: a year ("2025"), a quarter ("2025-Q3") or a year to date
    ("2025-YTD", January to the last month with figures)."""

    label: str
    start: dt.date  # first day, inclusive
    end: dt.date  # first day after, exclusive
    kind: str  # "year", "quarter" or "ytd"

    @property
    def months(self) -> list[str]:
        """The period's months as labels ("2025-01" …)."""
        out, year, month = [], self.start.year, self.start.month
        while dt.date(year, month, 1) < self.end:
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def prior(self) -> ScorePeriod:
        """The period before, of the same length (2024 for 2025, 2025-Q2 for 2025-Q3, the
        same months of the year before for a year to date)."""
        if self.kind == "year":
            return parse_period(str(self.start.year - 1))
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            year, q = (self.start.year - 1, 4) if q == 1 else (self.start.year, q - 1)
            return parse_period(f"{year}-Q{q}")
        last = self.last_day
        return parse_period(f"{self.start.year - 1}-YTD", last_month=(last.year - 1, last.month))


def _month_after(year: int, month: int) -> dt.date:
    return dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)


def parse_period(label: str, last_month: tuple[int, int] | None = None) -> ScorePeriod:
    """The period a label names: "2025", "2025-Q3" or "2025-YTD".

    A year to date runs from January to ``last_month`` (year, month), the last month with
    figures; without it, to December.
    """
    m = _PERIOD.match((label or "").strip().upper())
    if not m:
        raise ValueError(
            f"unknown period {label!r}: give a year (2025), a quarter (2025-Q3) or a year to date (2025-YTD)"
        )
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return ScorePeriod(f"{year}", dt.date(year, 1, 1), dt.date(year + 1, 1, 1), "year")
    if part == "YTD":
        last = 12
        if last_month is not None and last_month[0] == year:
            last = last_month[1]
        return ScorePeriod(f"{year}-YTD", dt.date(year, 1, 1), _month_after(year, last), "ytd")
    q = int(part[1])
    first = 3 * (q - 1) + 1
    return ScorePeriod(
        f"{year}-Q{q}", dt.date(year, first, 1), _month_after(year, first + 2), "quarter"
    )


def month_days(months: Sequence[str]) -> list[dt.date]:
    """First days of month labels."""
    return [dt.date(int(m[:4]), int(m[5:7]), 1) for m in months]


def days_in(month: str) -> int:
    return calendar.monthrange(int(month[:4]), int(month[5:7]))[1]


# --- splitting money ---------------------------------------------------------------------
# One rule for every split in the engine (largest remainder): :func:`openkam.engine.money.split_cents`.


# --- crediting -----------------------------------------------------------------------------


def _ordinals(values) -> np.ndarray:
    """Day ordinals of dates (None: far future, for open-ended assignments)."""
    far = dt.date.max.toordinal()
    return np.array([far if v is None else v.toordinal() for v in values], dtype=np.int64).reshape(
        -1
    )


def _holders(
    accounts: np.ndarray, days: np.ndarray, assignments: Mapping[str, Sequence]
) -> np.ndarray:
    """Index of the assignment holding each (account code, day), or -1.

    Assignments of one account must not overlap (one KAM at a time); each (account, day) is
    looked up with one binary search on (account, start) keys.
    """
    a_acc = np.asarray(assignments["account_code"], dtype=np.int64)
    a_start = _ordinals(assignments["start"])
    a_end = _ordinals(assignments["end"])
    shift = np.int64(1 << 23)  # day ordinals are below 2**22 until the year 11,000
    order = np.lexsort((a_start, a_acc))
    keys = a_acc[order] * shift + a_start[order]
    probe = accounts * shift + days
    pos = np.searchsorted(keys, probe, side="right") - 1
    found = np.full(len(probe), -1, dtype=np.int64)
    ok = pos >= 0
    cand = order[np.where(ok, pos, 0)]
    ok &= (a_acc[cand] == accounts) & (days < a_end[cand])
    found[ok] = cand[ok]
    return found


def credit_months(
    months: Mapping[str, Sequence],
    assignments: Mapping[str, Sequence],
    period_totals: Mapping[str, Mapping[str, int]] | None = None,
) -> pa.Table:
    """Credit each account-month to the person who held the account on the month's first day.

    Parameters
    ----------
    months
        Columns ``account_id``, ``month`` ("YYYY-MM") and the :data:`MONEY` columns in cents
        (int), one row per account and month of the period.
    assignments
        Columns ``account_id``, ``person_id``, ``start`` (date, inclusive) and ``end``
        (date, exclusive, or None) of one role; an account's assignments must not overlap.
    period_totals
        ``{account_id: {money column: cents}}``, the account's figures for the whole period
        as the profitability engine rounded them (its year or quarter row). When given,
        each account's parts add up to it: the difference from the sum of its (separately
        rounded) months goes to its holders in proportion to their months, by largest
        remainder.

    Returns
    -------
    pyarrow.Table
        One row per (person, account): ``person_id`` (null for months nobody held),
        ``account_id``, ``months_held``, the :data:`MONEY` columns, ``gross_margin`` and
        ``net_contribution`` (cents, int64); sorted by person and account.
    """
    acc_ids = np.asarray(months["account_id"], dtype=object)
    n = len(acc_ids)
    vocab, acc_codes = np.unique(
        np.concatenate([acc_ids, np.asarray(assignments["account_id"], dtype=object)]).astype(str),
        return_inverse=True,
    )
    m_codes, a_codes = acc_codes[:n].astype(np.int64), acc_codes[n:].astype(np.int64)
    days = np.array(
        [dt.date(int(m[:4]), int(m[5:7]), 1).toordinal() for m in months["month"]],
        dtype=np.int64,
    )
    holder = _holders(m_codes, days, {**assignments, "account_code": a_codes})
    people = np.asarray(assignments["person_id"], dtype=object)

    # Group by (holder, account): the holder index is an assignment, so map it to its
    # person first (one person may hold an account twice, in two assignments).
    person_vocab, person_codes = np.unique(people.astype(str), return_inverse=True)
    p_of_row = np.where(holder >= 0, person_codes[np.where(holder >= 0, holder, 0)], -1)
    pairs = (p_of_row + 1) * np.int64(len(vocab) + 1) + m_codes
    groups, inverse = np.unique(pairs, return_inverse=True)
    g_person = groups // np.int64(len(vocab) + 1) - 1
    g_account = groups % np.int64(len(vocab) + 1)
    held = np.bincount(inverse, minlength=len(groups)).astype(np.int64)
    sums = {}
    for col in MONEY:
        values = np.asarray(months[col], dtype=np.int64)
        sums[col] = np.zeros(len(groups), dtype=np.int64)
        np.add.at(sums[col], inverse, values)

    if period_totals:
        # The few cents between the period row and its months' sum, per account.
        by_account: dict[int, list[int]] = defaultdict(list)
        for g, a in enumerate(g_account):
            by_account[int(a)].append(g)
        for a, rows in by_account.items():
            total = period_totals.get(str(vocab[a]))
            if not total:
                continue
            for col in MONEY:
                residual = int(total[col]) - int(sums[col][rows].sum())
                if not residual:
                    continue
                if len(rows) == 1:  # one holder: the whole difference is theirs
                    sums[col][rows[0]] += residual
                    continue
                for g, part in zip(rows, split_cents(residual, held[rows].tolist()), strict=True):
                    sums[col][g] += part

    person_out = [None if p < 0 else str(person_vocab[p]) for p in g_person]
    gross = sums["net_sales"] - sums["cogs"]
    table = pa.table(
        {
            "person_id": pa.array(person_out, pa.string()),
            "account_id": pa.array([str(vocab[a]) for a in g_account], pa.string()),
            "months_held": pa.array(held, pa.int64()),
            **{c: pa.array(sums[c], pa.int64()) for c in MONEY},
            "gross_margin": pa.array(gross, pa.int64()),
            "net_contribution": pa.array(gross - sums["cost_to_serve"], pa.int64()),
        }
    )
    return table.sort_by([("person_id", "ascending"), ("account_id", "ascending")])


def person_months(
    months: Mapping[str, Sequence], assignments: Mapping[str, Sequence]
) -> dict[str, dict[str, dict[str, int]]]:
    """``{person_id: {month: {money column: cents}}}``: each person's credited months, for
    trend lines (months nobody held are left out)."""
    acc_ids = np.asarray(months["account_id"], dtype=object).astype(str)
    a_ids = np.asarray(assignments["account_id"], dtype=object).astype(str)
    vocab, codes = np.unique(np.concatenate([acc_ids, a_ids]), return_inverse=True)
    n = len(acc_ids)
    days = np.array(
        [dt.date(int(m[:4]), int(m[5:7]), 1).toordinal() for m in months["month"]],
        dtype=np.int64,
    )
    holder = _holders(codes[:n].astype(np.int64), days, {**assignments, "account_code": codes[n:]})
    people = list(assignments["person_id"])
    out: dict = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(MONEY, 0)))
    cols = {c: np.asarray(months[c], dtype=np.int64) for c in MONEY}
    for i in np.flatnonzero(holder >= 0):
        cell = out[people[holder[i]]][months["month"][i]]
        for c in MONEY:
            cell[c] += int(cols[c][i])
    return {p: dict(v) for p, v in out.items()}


def person_totals(credited: pa.Table) -> dict[str | None, dict]:
    """Each person's sums of a :func:`credit_months` table, with their ratios.

    ``contribution_margin_pct`` = net contribution / net sales × 100 and
    ``cost_to_serve_pct`` = cost to serve / net sales × 100; both None when net sales ≤ 0
    (a ratio over no sales, or over returns, means nothing).
    """
    out: dict = {}
    rows = credited.to_pylist()
    for r in rows:
        t = out.setdefault(
            r["person_id"],
            {"months_held": 0, **dict.fromkeys((*MONEY, "gross_margin", "net_contribution"), 0)},
        )
        t["months_held"] += r["months_held"]
        for c in (*MONEY, "gross_margin", "net_contribution"):
            t[c] += r[c]
    for t in out.values():
        sales = t["net_sales"]
        t["contribution_margin_pct"] = t["net_contribution"] / sales * 100 if sales > 0 else None
        t["cost_to_serve_pct"] = t["cost_to_serve"] / sales * 100 if sales > 0 else None
    return out


def split_delta_clv(
    start: Mapping[str, int | None],
    end: Mapping[str, int | None],
    held: Mapping[str, Mapping[str | None, int]],
) -> dict[tuple[str | None, str], int | None]:
    """Lifetime value built, per (person, account), in cents.

    ΔCLV of an account = its contribution CLV in the ``end`` snapshot − in the ``start``
    snapshot (None when either snapshot has no value for it). ``held`` gives
    ``{account_id: {person_id: months held}}`` (None: months nobody held); the account's
    ΔCLV is split among them in proportion to their months, by largest remainder, so the
    parts add up to the account's ΔCLV to the cent.
    """
    out: dict = {}
    for account, holders in held.items():
        people = list(holders)
        a, b = start.get(account), end.get(account)
        if a is None or b is None:
            for p in people:
                out[(p, account)] = None
            continue
        delta = int(b) - int(a)
        if len(people) == 1:  # one holder: the whole change is theirs
            out[(people[0], account)] = delta
            continue
        for p, part in zip(people, split_cents(delta, [holders[p] for p in people]), strict=True):
            out[(p, account)] = part
    return out


# --- ranks and score -----------------------------------------------------------------------


def competition_ranks(values: Mapping[str, float | None]) -> dict[str, int | None]:
    """Rank 1 for the highest value; ties share a rank and the next rank skips ("1, 2, 2,
    4"); None for people without a value."""
    present = sorted(((v, k) for k, v in values.items() if v is not None), key=lambda x: -x[0])
    ranks: dict[str, int | None] = dict.fromkeys(values)
    for i, (v, k) in enumerate(present):
        ranks[k] = i + 1 if i == 0 or v != present[i - 1][0] else ranks[present[i - 1][1]]
    return ranks


def _percentiles(values: Mapping[str, float | None], reverse: bool) -> dict[str, float | None]:
    """Each value's place among the others, 0 (lowest) to 100 (highest), ties averaged;
    a single value scores 50 (no peer to compare with)."""
    keys = [k for k, v in values.items() if v is not None]
    out: dict[str, float | None] = dict.fromkeys(values)
    if not keys:
        return out
    if len(keys) == 1:
        out[keys[0]] = 50.0
        return out
    arr = np.array([values[k] for k in keys], dtype=float)
    if reverse:
        arr = -arr
    order = arr.argsort(kind="stable")
    ranks = np.empty(len(arr))
    ranks[order] = np.arange(len(arr), dtype=float)
    for v in np.unique(arr):  # ties get their mean rank
        same = arr == v
        ranks[same] = ranks[same].mean()
    for k, r in zip(keys, ranks / (len(arr) - 1) * 100, strict=True):
        out[k] = float(r)
    return out


def composite_scores(
    measures: Mapping[str, Mapping[str, float | None]], weights: Mapping[str, float]
) -> dict[str, dict]:
    """A weighted score from 0 to 100 per person, and each measure's points.

    Each measure is first put on a 0–100 scale: shares that are already 0–100 (plan
    attainment, coverage, sponsor visits kept, operations commitments kept) count as they
    are, capped at 100; money and
    ratios (net contribution, ΔCLV, margin, cost-to-serve share, net sales) by the person's
    percentile among the people scored together, reversed where less is better (cost to
    serve). Comparing KAMs with their peers rather than in currency keeps a KAM of small
    accounts comparable with one of large accounts on the same scale (a percentile-rank
    "relative performance evaluation", Holmström 1982, *Bell J. Econ.* 13(2)).

    The score is Σ weight × points / Σ weight over the measures the person has a value for,
    so a missing measure (no plan, no CLV snapshot) neither counts as zero nor as full
    marks. ``measures`` is ``{person: {measure: value}}``; ``weights`` ``{measure: weight}``.
    Returns ``{person: {"score": float | None, "points": {measure: float | None}}}``.
    """
    people = list(measures)
    points: dict[str, dict[str, float | None]] = {p: {} for p in people}
    for m in MEASURES:
        column = {p: measures[p].get(m) for p in people}
        if m in ABSOLUTE:
            scaled = {
                p: None if v is None else max(0.0, min(100.0, float(v))) for p, v in column.items()
            }
        else:
            scaled = _percentiles(column, reverse=m in LOWER_IS_BETTER)
        for p in people:
            points[p][m] = scaled[p]
    out = {}
    for p in people:
        used = [(float(weights.get(m, 0)), points[p][m]) for m in MEASURES]
        used = [(w, v) for w, v in used if w > 0 and v is not None]
        total = sum(w for w, _ in used)
        score = sum(w * v for w, v in used) / total if total > 0 else None
        out[p] = {"score": score, "points": points[p]}
    return out


def visits_expected(days_held: int, every_days: int) -> int:
    """Visits a sponsor owes an account held ``days_held`` days at a cadence of one visit
    every ``every_days`` days: one per started cadence interval."""
    if days_held <= 0:
        return 0
    return -(-days_held // max(1, every_days))


def overlap_days(
    start: dt.date, end: dt.date | None, lo: dt.date, hi: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The part of [start, end) inside [lo, hi), or None."""
    a = max(start, lo)
    b = min(end or dt.date.max, hi)
    return (a, b) if a < b else None


def months_between(start: dt.date, end: dt.date | None, months: Iterable[str]) -> list[str]:
    """The month labels whose first day falls in [start, end) (the crediting rule)."""
    out = []
    for m in months:
        first = dt.date(int(m[:4]), int(m[5:7]), 1)
        if start <= first and (end is None or first < end):
            out.append(m)
    return out
