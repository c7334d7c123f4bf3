"""Business operations on commitments, service levels and allocation.

Pages, the API and the CLI call these; they check rights, save, write the audit trail and
call the engine (``openkam.engine.operations``), which knows nothing of Django.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q

from openkam.engine import operations as engine
from openkam.engine.ledger import Ledger
from openkam.engine.profitability.periods import (
    bounds,
    key_of,
    label,
    parse_label,
)
from openkam.web.accounts.models import Account, Product
from openkam.web.core import audit
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.kept import Kept
from openkam.web.core.ledger import money_table
from openkam.web.core.permissions import require_edit
from openkam.web.core.roles import may_write, person_of, runs_programme
from openkam.web.operations.models import Commitment, may_own
from openkam.web.people.models import Person

NOT_KEY_WARNING = (
    "{account} is not a key account: the commitment is recorded all the same, because"
    " promises outlive programme reviews"
)


def currency() -> str:
    """The reporting currency (the setting when present, else EUR)."""
    return getattr(settings, "OPENKAM_REPORTING_CURRENCY", None) or "EUR"


# --- commitments: create, edit, delete, import ------------------------------------------------


def _warning_for(account: Account) -> str:
    if account.key_status != Account.KeyStatus.KEY:
        return NOT_KEY_WARNING.format(account=account.name)
    return ""


def new_commitment_id() -> str:
    """The next free ``COM-00001``-style identifier."""
    n = Commitment.objects.count() + 1
    while Commitment.objects.filter(commitment_id=f"COM-{n:05d}").exists():
        n += 1
    return f"COM-{n:05d}"


def may_create_for(user, account: Account) -> bool:
    """Who may record a commitment to ``account``: the programme, the account's KAM and
    team, and anyone in operations or supply chain (they make the promise)."""
    if runs_programme(user):
        return True
    if not may_write(user):
        return False
    return account.editable_by(user) or may_own(person_of(user))


def create_commitment(values: dict, user, *, actor: str = "") -> Commitment:
    """Record a commitment; ``values`` are model fields (``account``, ``owner`` … as
    objects). A commitment to an account that is not key is accepted with a warning."""
    account = values["account"]
    if not may_create_for(user, account):
        raise PermissionDenied(f"You may not record commitments to {account}.")
    with transaction.atomic():
        obj = Commitment(**values)
        if not obj.commitment_id:
            obj.commitment_id = new_commitment_id()
        obj.warning = _warning_for(account)
        obj.full_clean()
        obj.save()
        audit.record(
            "create",
            obj,
            user=user,
            actor=actor,
            changes=audit.snapshot(obj),
            account_key=account.account_id,
        )
    _results.clear()
    return obj


def update_commitment(obj: Commitment, values: dict, expected_version, user, *, actor="") -> dict:
    """Save an edit made from ``expected_version`` (``ConcurrentEditError`` when stale)."""
    require_edit(user, obj)
    values = dict(values)
    values.pop("commitment_id", None)
    if "account" in values:
        values["warning"] = _warning_for(values["account"])
    changes = save_versioned(
        obj, values, expected_version, user=user, actor=actor, account_key=obj.account.account_id
    )
    _results.clear()
    return changes


def delete_commitment(obj: Commitment, user, *, actor: str = "") -> None:
    require_edit(user, obj)
    with transaction.atomic():
        audit.record(
            "delete",
            obj,
            user=user,
            actor=actor,
            changes=audit.snapshot(obj),
            account_key=obj.account.account_id,
        )
        obj.delete()
    _results.clear()


def derived_commitment_id(row: dict) -> str:
    """A stable id for an imported commitment without one: from account, kind, product or
    product line and start date, so re-importing the same file changes nothing."""
    parts = [
        row.get("account_id") or "",
        row.get("kind") or "",
        row.get("product_id") or "",
        row.get("product_line") or "",
        str(row.get("start_date") or ""),
    ]
    return "COM-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:10].upper()


@dataclass
class CommitmentImport:
    """What an import of commitments did (``reference.UpsertResult``'s shape)."""

    kind: str = "commitments"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


_IMPORT_FIELDS = (
    "kind",
    "product_line",
    "protected_quantity",
    "start_date",
    "end_date",
    "measure",
    "target",
)


def import_commitments(
    rows: list[dict],
    *,
    origins: list[dict] | None = None,
    user=None,
    actor: str = "import",
) -> CommitmentImport:
    """Create or update commitments from validated import rows, all or nothing.

    Every row is checked as the form checks it (owner in operations or supply chain, a
    product or a product line, a target for a measure …); any problem raises
    ``openkam.store.ImportFailed`` naming file, row and column, and nothing is saved. A
    commitment to an account that is not key is imported with a warning.
    """
    from openkam.store import ImportFailed, ImportIssue

    accounts = {a.account_id: a for a in Account.objects.all()}
    products = {p.product_id: p for p in Product.objects.all()}
    people = {p.person_id: p for p in Person.objects.all()}
    lines = set(Product.objects.values_list("product_line", flat=True))
    existing = {c.commitment_id: c for c in Commitment.objects.select_related("account")}
    result = CommitmentImport()
    issues: list[ImportIssue] = []
    planned = []
    seen: dict[str, int] = {}

    def where(i: int) -> tuple[str, int | None]:
        if origins and i < len(origins):
            return origins[i].get("file", ""), origins[i].get("row")
        return "", i + 1

    for i, row in enumerate(rows):
        file, line = where(i)
        cid = row.get("commitment_id") or derived_commitment_id(row)
        if cid in seen:
            issues.append(
                ImportIssue(
                    file, line, "commitment_id", f"repeats the commitment of row {seen[cid]}", cid
                )
            )
            continue
        seen[cid] = line
        kind = row.get("kind")
        if kind not in Commitment.Kind.values:
            issues.append(
                ImportIssue(
                    file, line, "kind", f"is not one of {', '.join(Commitment.Kind.values)}", kind
                )
            )
            continue
        measure = row.get("measure")
        if measure not in Commitment.Measure.values:
            issues.append(
                ImportIssue(
                    file,
                    line,
                    "measure",
                    f"is not one of {', '.join(Commitment.Measure.values)}",
                    measure,
                )
            )
            continue
        if row.get("product_line") and row["product_line"] not in lines:
            issues.append(
                ImportIssue(
                    file, line, "product_line", "is not a known product line", row["product_line"]
                )
            )
            continue
        account = accounts[row["account_id"]]
        values = {
            "account": account,
            "owner": people[row["owner"]],
            "product": products.get(row.get("product_id")) if row.get("product_id") else None,
            **{f: row.get(f) for f in _IMPORT_FIELDS},
        }
        values["product_line"] = values["product_line"] or ""
        values["warning"] = _warning_for(account)
        obj = existing.get(cid) or Commitment(commitment_id=cid)
        before = audit.snapshot(obj) if obj.pk else None
        for name, value in values.items():
            setattr(obj, name, value)
        try:
            obj.full_clean(exclude=["commitment_id"] if obj.pk else None)
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                column = {"owner": "owner", "product": "product_id", "account": "account_id"}.get(
                    column, column
                )
                for message in messages:
                    issues.append(ImportIssue(file, line, column, message.rstrip(".")))
            continue
        if values["warning"]:
            result.warnings.append(f"row {line}: {values['warning']}")
        planned.append((obj, before))
    if issues:
        raise ImportFailed(issues, len(issues), [])
    with transaction.atomic():
        for obj, before in planned:
            if before is None:
                obj.save()
                audit.record(
                    "create",
                    obj,
                    user=user,
                    actor=actor,
                    changes=audit.snapshot(obj),
                    account_key=obj.account.account_id,
                )
                result.created += 1
                continue
            changes = audit.diff(before, audit.snapshot(obj))
            if not changes:
                result.unchanged += 1
                continue
            obj.version += 1
            obj.save()
            audit.record(
                "update",
                obj,
                user=user,
                actor=actor,
                changes=audit.labelled(Commitment, changes),
                account_key=obj.account.account_id,
            )
            result.updated += 1
    _results.clear()
    return result


# --- the ledger --------------------------------------------------------------------------------


def ledger() -> Ledger | None:
    """The data directory's ledger, or None when there is none yet."""
    try:
        return Ledger(Path(settings.DATA_DIR))
    except FileNotFoundError:
        return None


def has_orders(led: Ledger | None) -> bool:
    return led is not None and bool(led.files("orders"))


def ledger_today(led: Ledger | None = None) -> dt.date | None:
    """The date service levels and allocation are measured at by default: the ledger's
    last order or delivery date."""
    led = led or ledger()
    return engine.ledger_today(led) if has_orders(led) else None


# Results keyed by what they depend on (the ledger's files, the commitments' versions and
# the arguments): the home page asks for commitment status on every visit.
_results: Kept = Kept(32)


def _commitments_stamp() -> tuple:
    agg = Commitment.objects.aggregate(latest=Max("updated"))
    return (Commitment.objects.count(), agg["latest"])


# --- service levels -------------------------------------------------------------------------


def service_report(
    period: str = "month", *, account: str | None = None, as_of: dt.date | None = None
) -> dict:
    """OTIF, fill rate, lead time and backorders per account and period (the engine's
    :func:`~openkam.engine.operations.service_levels`), with account names."""
    led = ledger()
    if not has_orders(led):
        return {"as_of": None, "period": period, "rows": []}
    accounts = [account] if account else None
    key = ("service", led.fingerprint(), period, account, as_of)
    report = _results.get(
        key,
        lambda: engine.service_levels(led, period, as_of=as_of, accounts=accounts, cache=True),
    )
    return report


# --- commitments kept or broken ---------------------------------------------------------------


def products_of(commitment: Commitment) -> list[str] | None:
    """The product ids a commitment covers (None: all products)."""
    if commitment.product_id:
        return [commitment.product.product_id]
    if commitment.product_line:
        return list(
            Product.objects.filter(product_line=commitment.product_line).values_list(
                "product_id", flat=True
            )
        )
    return None


def _status(value, target, lower_is_better: bool) -> str:
    if value is None:
        return "no data"
    ok = value <= float(target) if lower_is_better else value >= float(target)
    return "kept" if ok else "broken"


def commitment_status(
    account_ids: Iterable[str] | None = None,
    period: str | None = None,
    *,
    commitments=None,
    as_of: dt.date | None = None,
) -> list[dict]:
    """Kept or broken, per commitment and period, measured from the order ledger.

    For the readiness check, scorecards, home pages and the plan. ``account_ids`` narrows
    to those accounts (default all); ``period`` is a label ("2025", "2025-Q3", "2025-07")
    for that period only, at its grain; without it, every period of each commitment's own
    review grain from its start to ``as_of`` (default: the ledger's last order or delivery
    date). Periods overlapping the commitment's dates count whole.

    Each result is ``{"commitment_id", "account_id", "kind", "measure", "target",
    "period", "value", "status", "order_lines", "complete", "owner_id"}`` where ``status``
    is "kept", "broken", "no data" (no order line due in the period) or "not measured"
    (measure "none"), and ``complete`` says whether the period ended by ``as_of``. Sorted
    by account, commitment and period.
    """
    qs = commitments if commitments is not None else Commitment.objects.all()
    qs = qs.select_related("account", "product", "owner")
    if account_ids is not None:
        qs = qs.filter(account__account_id__in=list(account_ids))
    items = list(qs)
    led = ledger()
    as_of = as_of or ledger_today(led)
    wanted = parse_label(period) if period else None
    out: list[dict] = []
    measured: dict[str, list[Commitment]] = {}
    for c in items:
        if c.measure == Commitment.Measure.NONE or as_of is None:
            out.append(
                _row(c, period or "", None, "not measured" if as_of else "no data", 0, False)
            )
            continue
        grain = wanted[1] if wanted else c.review_period
        measured.setdefault(grain, []).append(c)
    for grain, group in measured.items():
        sums = _sums_by_product(led, grain, group, as_of)
        for c in group:
            out.extend(_commitment_periods(c, grain, sums, as_of, wanted))
    out.sort(key=lambda r: (r["account_id"], r["commitment_id"], r["period"]))
    return out


def _row(c: Commitment, period: str, value, status: str, lines: int, complete: bool) -> dict:
    return {
        "commitment_id": c.commitment_id,
        "account_id": c.account.account_id,
        "kind": c.kind,
        "measure": c.measure,
        "target": float(c.target) if c.target is not None else None,
        "period": period,
        "value": value,
        "status": status,
        "order_lines": lines,
        "complete": complete,
        "owner_id": c.owner.person_id,
    }


def _sums_by_product(led: Ledger, grain: str, group: list[Commitment], as_of: dt.date) -> dict:
    """Service sums per (account, product, period key) for the commitments' accounts."""
    accounts = sorted({c.account.account_id for c in group})
    start = min(c.start_date for c in group)
    start = bounds(key_of(start, grain), grain)[0]
    key = ("sums", led.fingerprint(), grain, tuple(accounts), start, as_of)

    def compute():
        table = engine.ledger_service_sums(
            led,
            cache=True,
            period=grain,
            as_of=as_of,
            by=("account_id", "product_id"),
            accounts=accounts,
            date_from=start,
        )
        found: dict = {}
        for r in table.to_pylist():
            found.setdefault(r["account_id"], []).append(r)
        return found

    return _results.get(key, compute)


def _commitment_periods(c, grain, sums, as_of, wanted) -> list[dict]:
    products = products_of(c)
    products = set(products) if products is not None else None
    first = key_of(c.start_date, grain)
    last = key_of(min(c.end_date, as_of), grain)
    if wanted:
        if not first <= wanted[0] <= key_of(c.end_date, grain):
            return []
        first = last = wanted[0]
    if last < first:
        return []
    totals: dict[int, dict] = {k: dict.fromkeys(engine.SUMS, 0) for k in range(first, last + 1)}
    for r in sums.get(c.account.account_id, ()):
        k = int(r["period_key"])
        if k in totals and (products is None or r["product_id"] in products):
            for name in engine.SUMS:
                totals[k][name] += r[name] or 0
    rows = []
    for k, s in totals.items():
        value = engine.measures(s)[c.measure] if s["order_lines"] else None
        complete = bounds(k, grain)[1] <= as_of
        status = _status(value, c.target, c.lower_is_better)
        rows.append(_row(c, label(k, grain), value, status, int(s["order_lines"]), complete))
    return rows


def broken_commitments(person=None, *, everyone: bool = False, limit: int = 20) -> list[dict]:
    """Commitments whose latest measured period is broken, for the home page: those of the
    accounts ``person`` manages or sponsors and those they own (``everyone``: all)."""
    qs = Commitment.objects.all()
    if not everyone:
        if person is None:
            return []
        qs = qs.filter(Q(owner=person) | Q(account__kam=person) | Q(account__sponsor=person))
    qs = qs.exclude(measure=Commitment.Measure.NONE)
    if not qs.exists():
        return []
    stamp = _commitments_stamp()
    ids = tuple(sorted(qs.values_list("pk", flat=True)))
    led = ledger()
    key = ("broken", led.fingerprint() if led else None, stamp, ids)

    def compute():
        latest: dict[str, dict] = {}
        for row in commitment_status(commitments=qs):
            if row["status"] in ("kept", "broken"):
                latest[row["commitment_id"]] = row
        return [r for r in latest.values() if r["status"] == "broken"]

    rows = _results.get(key, compute)
    by_id = {c.commitment_id: c for c in qs.select_related("account", "owner")}
    out = []
    for r in rows[:limit]:
        out.append({**r, "commitment": by_id.get(r["commitment_id"])})
    return out


# --- allocation -------------------------------------------------------------------------------


def protections(as_of: dt.date) -> list[engine.Protection]:
    """Protected quantities of the priority commitments in force on ``as_of``."""
    qs = Commitment.objects.filter(
        kind=Commitment.Kind.PRIORITY_ALLOCATION,
        start_date__lte=as_of,
        end_date__gte=as_of,
        protected_quantity__gt=0,
    ).select_related("account", "product")
    lines: dict[str, list[str]] = {}
    for pid, line in Product.objects.values_list("product_id", "product_line"):
        lines.setdefault(line, []).append(pid)
    out = []
    for c in qs:
        products = (c.product.product_id,) if c.product_id else tuple(lines.get(c.product_line, ()))
        out.append(
            engine.Protection(
                c.commitment_id, c.account.account_id, products, int(c.protected_quantity)
            )
        )
    return out


def parse_date(text: str | None) -> dt.date | None:
    """An ISO date, or None for an empty value; ValueError with a plain message otherwise."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def allocation_report(policy: str = "protect", as_of: dt.date | None = None) -> dict:
    """Allocate the supply to the open order lines under ``policy`` as of ``as_of``
    (default: the ledger's last order or delivery date).

    Returns ``{"policy", "as_of", "currency", "lines": [...], "accounts": [...],
    "products_short", "totals"}``: ``lines`` as :data:`engine.LINE_KEYS`; ``accounts`` one
    row per account with its open, confirmed, protected and short units and the what-if
    of the protections (units and contribution each account gives up or gains against the
    same allocation without protected quantities). Raises ValueError for an unknown policy.
    """
    if policy not in engine.POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(engine.POLICIES)}")
    led = ledger()
    as_of = as_of or ledger_today(led)
    empty = {
        "policy": policy,
        "as_of": as_of.isoformat() if as_of else None,
        "currency": currency(),
        "lines": [],
        "accounts": [],
        "totals": {},
    }
    if as_of is None or not has_orders(led):
        return empty
    key = (
        "allocation",
        led.fingerprint(),
        settings.OPENKAM_REPORTING_CURRENCY,
        _commitments_stamp(),
        policy,
        as_of,
    )
    return _results.get(key, lambda: _allocate(led, policy, as_of))


def _allocate(led: Ledger, policy: str, as_of: dt.date) -> dict:
    lines = engine.ledger_open_lines(led, as_of, cache=True)
    supply = engine.supply_table(led)
    prot = protections(as_of)
    key_accounts = set(
        Account.objects.filter(key_status=Account.KeyStatus.KEY).values_list(
            "account_id", flat=True
        )
    )
    values = None
    # In the reporting currency, each line converted and rounded once.
    invoices = money_table("invoices", led)
    if lines.num_rows:
        per_unit = (
            engine.unit_contribution(
                invoices,
                set(lines["account_id"].to_pylist()),
                set(lines["product_id"].to_pylist()),
                since=as_of - dt.timedelta(days=365),
            )
            if invoices is not None
            else {}
        )
        values = engine.line_values(lines, per_unit)
    result = engine.allocate(
        lines, supply, policy=policy, protections=prot, as_of=as_of, unit_value=values
    )
    protected = (
        result
        if policy == "protect"
        else engine.allocate(lines, supply, policy="protect", protections=prot, as_of=as_of)
    )
    what_if = {
        r["account_id"]: r
        for r in engine.what_if(
            lines,
            supply,
            prot,
            as_of=as_of,
            key_accounts=key_accounts,
            unit_value=values,
            with_protection=protected,
        )
    }
    names = dict(
        Account.objects.filter(account_id__in=list(what_if)).values_list("account_id", "name")
    )
    accounts = []
    for account_id, row in result.by_account().items():
        w = what_if.get(account_id, {})
        accounts.append(
            {
                "account_id": account_id,
                "name": names.get(account_id, ""),
                "key": account_id in key_accounts,
                **row,
                "units_lost_to_priority": w.get("units_lost", 0),
                "contribution_lost_to_priority": w.get("contribution_lost", 0.0),
            }
        )
    accounts.sort(key=lambda r: (-r["short_quantity"], r["account_id"]))
    rows = result.rows()
    short_lines = sum(1 for r in rows if r["short_quantity"] > 0)
    lost = [a for a in accounts if not a["key"] and a["units_lost_to_priority"] > 0]
    return {
        "policy": policy,
        "as_of": as_of.isoformat(),
        "currency": currency(),
        "lines": rows,
        "accounts": accounts,
        "totals": {
            "open_lines": len(rows),
            "short_lines": short_lines,
            "open_quantity": sum(r["open_quantity"] for r in rows),
            "confirmed_quantity": int(result.confirmed.sum()),
            "protected_quantity": int(result.protected.sum()),
            "non_key_units_lost": sum(a["units_lost_to_priority"] for a in lost),
            "non_key_contribution_lost": round(
                sum(a["contribution_lost_to_priority"] for a in lost), 2
            ),
            "commitments_in_force": len(prot),
        },
    }


def account_allocation(account_id: str, policy: str = "protect") -> dict:
    """The allocation report narrowed to one account's lines (for the account's KAM)."""
    report = allocation_report(policy)
    return {
        **report,
        "lines": [r for r in report["lines"] if r["account_id"] == account_id],
        "accounts": [a for a in report["accounts"] if a["account_id"] == account_id],
    }


def account_open_lines(account: Account, policy: str = "protect") -> dict:
    """What a planner needs on a key customer's call about a short delivery: the account's
    open order lines (placed, not delivered in full, as of the ledger's today) with their
    promised date, what the allocation of the supply confirms (units, date), what is short
    and the rule or commitment that decided it, and the account's commitments in force that
    cover each line's product.

    Returns ``{"as_of", "policy", "lines": [...], "short_lines", "open_quantity",
    "short_quantity"}``; lines short first, then by promised date. Each line has
    ``order_id``, ``line_no``, ``product_id``, ``order_date``, ``promised_date``, ``late``
    (promised before the as-of date), ``open_quantity``, ``confirmed_quantity``,
    ``confirmed_date``, ``short_quantity``, ``rule`` and ``commitments`` (the Commitment
    objects in force for the line's product or product line); ``general`` holds those in
    force for all the account's products (they apply to every line).
    """
    led = ledger()
    as_of = ledger_today(led)
    out = {"as_of": as_of, "policy": policy, "lines": [], "short_lines": 0, "general": []}
    out.update(open_quantity=0, short_quantity=0)
    if as_of is None:
        return out
    key = ("open lines", led.fingerprint(), account.account_id, as_of)
    table = _results.get(
        key, lambda: engine.ledger_open_lines(led, as_of, cache=True, accounts=[account.account_id])
    )
    if not table.num_rows:
        return out
    allocated = {
        (r["order_id"], r["line_no"]): r
        for r in allocation_report(policy, as_of)["lines"]
        if r["account_id"] == account.account_id
    }
    in_force = list(
        Commitment.objects.filter(
            account=account, start_date__lte=as_of, end_date__gte=as_of
        ).select_related("product")
    )
    covers = [(c, products_of(c)) for c in in_force]
    out["general"] = [c for c, products in covers if products is None]
    covers = [(c, set(products)) for c, products in covers if products is not None]
    lines = []
    for r in table.to_pylist():
        a = allocated.get((r["order_id"], r["line_no"]), {})
        lines.append(
            {
                **{k: r[k] for k in ("order_id", "line_no", "product_id", "order_date")},
                "promised_date": r["promised_date"],
                "late": r["promised_date"] < as_of,
                "open_quantity": a.get("open_quantity", float(r["open_quantity"])),
                "confirmed_quantity": a.get("confirmed_quantity", 0),
                "confirmed_date": a.get("confirmed_date"),
                "short_quantity": a.get("short_quantity", float(r["open_quantity"])),
                "rule": a.get("rule", ""),
                "commitments": [c for c, products in covers if r["product_id"] in products],
            }
        )
    lines.sort(key=lambda x: (x["short_quantity"] <= 0, x["promised_date"], x["order_id"]))
    out["lines"] = lines
    out["short_lines"] = sum(1 for x in lines if x["short_quantity"] > 0)
    out["open_quantity"] = sum(x["open_quantity"] for x in lines)
    out["short_quantity"] = sum(x["short_quantity"] for x in lines)
    return out


def to_decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
