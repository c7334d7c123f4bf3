"""Selection services: the only writers of selection data and of the audit trail for it."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pyarrow as pa
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from openkam.engine.selection import (
    RELATIONSHIP_STAGES,
    OverrideError,
    SelectionConfig,
    SelectionInfeasible,
    config_from_dict,
    config_to_dict,
    default_config,
    estimate_criteria,
    ledger_metrics,
    recommend,
)
from openkam.web.accounts.models import Account, Product
from openkam.web.core import audit
from openkam.web.core.bulk import bulk_insert
from openkam.web.core.roles import runs_programme
from openkam.web.people.models import ExecutiveLevel, Person, ProgrammeRules
from openkam.web.portfolio.models import (
    AssessedScore,
    CriteriaSet,
    Override,
    Review,
    ReviewRow,
    contribution_keys,
)

log = logging.getLogger(__name__)

#: Estimates people enter that feed data criteria (not scored on their own).
ESTIMATES = {
    "potential": "Estimated potential (annual spend the customer could place with us)",
    "total_spend": "Customer's total annual spend in our categories",
}


def require_programme(user) -> None:
    if not runs_programme(user):
        raise PermissionDenied("Only the KAM champion or an administrator may do this.")


# --- criteria -------------------------------------------------------------------------


def current_criteria(*, saved: bool = False) -> CriteriaSet:
    """The latest criteria version (version 1 holds the defaults).

    Before anyone saved criteria the defaults are returned unsaved, so that reading a page
    creates no row; ``saved=True`` (a write that must refer to the version) stores them as
    version 1 first.
    """
    latest = CriteriaSet.objects.order_by("-number").first()
    if latest is None:
        latest = CriteriaSet(
            number=1,
            name="default",
            config=config_to_dict(default_config()),
            note="Default criteria",
        )
        if saved:
            latest.save()
    return latest


def config_of(criteria: CriteriaSet) -> SelectionConfig:
    return config_from_dict(criteria.config)


def save_criteria(data: dict, user, note: str = "", *, actor: str = "") -> CriteriaSet:
    """Validate ``data`` as a configuration and save it as a new version."""
    if not actor:
        require_programme(user)
    if not isinstance(data, dict):
        raise ValidationError(
            f"The criteria configuration must be a JSON object, not {type(data).__name__}."
        )
    try:
        config = config_from_dict(data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    except (TypeError, AttributeError, KeyError) as exc:
        # A part of the object has the wrong shape (e.g. a criterion that is not an object).
        raise ValidationError(f"The criteria configuration is malformed: {exc}") from None
    with transaction.atomic():
        previous = current_criteria(saved=True)
        new = CriteriaSet.objects.create(
            number=previous.number + 1,
            name=config.name,
            config=config_to_dict(config),
            note=note,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit.record(
            "create",
            new,
            user=user,
            actor=actor,
            changes={"config": new.config},
            message=note or f"criteria v{new.number}",
        )
    return new


def weight_shares(config: SelectionConfig) -> dict[str, float]:
    """Each criterion's weight as a share (0–100 %) of its axis's total weight."""
    totals: dict[str, float] = {}
    for c in config.criteria:
        totals[c.axis] = totals.get(c.axis, 0.0) + c.weight
    return {
        c.key: 100.0 * c.weight / totals[c.axis] if totals[c.axis] > 0 else 0.0
        for c in config.criteria
    }


# --- assessed scores and estimates ------------------------------------------------------


def assessed_keys(config: SelectionConfig) -> list[tuple[str, str]]:
    """(key, label) of the criteria people score, then the estimates."""
    keys = [(c.key, c.label) for c in config.criteria if c.source == "assessed"]
    return keys + list(ESTIMATES.items())


def record_score(
    account: Account, criterion: str, value, comment: str, user, *, actor: str = ""
) -> AssessedScore:
    """Record a person's score (KAMs score their own accounts, the champion any)."""
    if not actor and not account.editable_by(user):
        raise PermissionDenied(f"You may not score account {account.account_id}.")
    if isinstance(value, str) and value in RELATIONSHIP_STAGES:
        value = RELATIONSHIP_STAGES[value]
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{criterion}: a number is required") from None
    config = config_of(current_criteria())
    known = dict(assessed_keys(config))
    if criterion not in known:
        raise ValidationError(f"{criterion}: not an assessed criterion or estimate")
    scale = next((c.scale for c in config.criteria if c.key == criterion), None)
    if criterion not in ESTIMATES and scale and not scale[0] <= value <= scale[1]:
        raise ValidationError(f"{criterion}: score must be between {scale[0]:g} and {scale[1]:g}")
    score = AssessedScore.objects.create(
        account=account,
        criterion=criterion,
        value=value,
        comment=comment,
        scored_by=user if getattr(user, "is_authenticated", False) else None,
    )
    audit.record(
        "create",
        score,
        user=user,
        actor=actor,
        account_key=account.account_id,
        changes={"criterion": criterion, "value": value, "comment": comment},
    )
    return score


def latest_scores(account_ids=None) -> dict[str, dict[str, AssessedScore]]:
    """``{account_id: {criterion: latest AssessedScore}}``."""
    qs = AssessedScore.objects.select_related("account", "scored_by").order_by("created", "id")
    if account_ids is not None:
        qs = qs.filter(account__account_id__in=list(account_ids))
    out: dict[str, dict[str, AssessedScore]] = {}
    for s in qs:
        out.setdefault(s.account.account_id, {})[s.criterion] = s
    return out


def latest_values() -> dict[str, dict[str, float]]:
    """``{account_id: {criterion: latest value}}`` of every account (values only: what a
    review reads, without loading thousands of model instances)."""
    out: dict[str, dict[str, float]] = {}
    rows = AssessedScore.objects.order_by("created", "id").values_list(
        "account__account_id", "criterion", "value"
    )
    for account, criterion, value in rows.iterator(chunk_size=5000):
        out.setdefault(account, {})[criterion] = value
    return out


# --- overrides ----------------------------------------------------------------------------


def add_override(
    account: Account, decision: str, reason: str, user, *, actor: str = ""
) -> Override:
    """The champion includes or excludes an account against the recommendation.

    A written reason is required; an earlier active override of the account is replaced.
    """
    if not actor:
        require_programme(user)
    if decision not in Override.Decision.values:
        raise ValidationError("decision must be 'key' or 'not_key'")
    if not (reason or "").strip():
        raise ValidationError("A written reason is required to override the recommendation.")
    with transaction.atomic():
        for old in Override.objects.filter(account=account, active=True):
            withdraw_override(old, user, actor=actor, note="replaced by a new override")
        o = Override.objects.create(
            account=account,
            decision=decision,
            reason=reason.strip(),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit.record(
            "create",
            o,
            user=user,
            actor=actor,
            account_key=account.account_id,
            changes={"decision": decision, "reason": o.reason},
            message=f"selection override: {decision}",
        )
    return o


def withdraw_override(o: Override, user, *, actor: str = "", note: str = "withdrawn") -> None:
    if not actor:
        require_programme(user)
    o.active = False
    o.version += 1
    o.save(update_fields=["active", "version", "updated"])
    audit.record(
        "update",
        o,
        user=user,
        actor=actor,
        account_key=o.account.account_id,
        changes={"active": [True, False]},
        message=f"selection override {note}",
    )


# --- computing a recommendation -------------------------------------------------------------


def _products() -> pa.Table | None:
    rows = list(Product.objects.values_list("product_id", "product_line"))
    if not rows:
        return None
    ids, lines = zip(*rows, strict=True)
    return pa.table({"product_id": list(ids), "product_line": list(lines)})


def data_metrics() -> dict[str, dict]:
    """Data-derived criteria from the ledger ({} when nothing was imported).

    Computing them reads two years of the ledger; the result is kept in the data directory
    keyed by the ledger's fingerprint, the product lines and the account hierarchy, so a
    review on unchanged data (a new override, other weights) reads it back instead.
    """
    root = Path(settings.DATA_DIR)
    if not any((root / "ledger" / "invoices").glob("*.parquet")):
        return {}
    from openkam.web.core.ledger import fingerprint
    from openkam.web.profitability.services import hierarchy

    products, tree = _products(), hierarchy()
    key = hashlib.sha256(
        json.dumps(
            [
                fingerprint(),
                settings.OPENKAM_REPORTING_CURRENCY,
                products.to_pylist() if products is not None else None,
                tree.to_pylist() if tree is not None else None,
            ],
            default=str,
        ).encode()
    ).hexdigest()[:24]
    cache = root / "cache" / f"selection-metrics-{key}.json"
    if cache.is_file():
        try:
            return json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a damaged cache file is recomputed
            log.warning("selection metrics cache %s unreadable; recomputing", cache)
    metrics = ledger_metrics(
        root, products=products, hierarchy=tree, currency=settings.OPENKAM_REPORTING_CURRENCY
    )
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob("selection-metrics-*.json"):
            old.unlink(missing_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(metrics), encoding="utf-8")
        tmp.replace(cache)
    except OSError:  # a read-only data directory still gets its review
        log.warning("could not write the selection metrics cache %s", cache)
    return metrics


@task()
def warm_selection_criteria() -> None:
    """Background task, queued after an import: compute the data-derived criteria of the
    ledger as it is now and keep them (``data_metrics``'s cache), so that the first review
    after an import reads them back like every other review. A failure is only logged: the
    review computes them itself then."""
    try:
        data_metrics()
    except Exception:
        log.exception("warming the selection criteria failed")


def _clv() -> dict[str, float]:
    try:
        from openkam.web.lifetime_value.figures import clv_by_account
    except ImportError:  # pragma: no cover - lifetime_value is installed with the app
        return {}
    own = {k: float(v) for k, v in clv_by_account().items() if v is not None}
    # A parent is a candidate for its whole group: its value is the group's value.
    parents = dict(Account.objects.values_list("account_id", "parent__account_id"))
    group: dict[str, float] = {}
    for account, value in own.items():
        top = account
        while parents.get(top):
            top = parents[top]
        group[top] = group.get(top, 0.0) + value
    return group


def gather_values(config: SelectionConfig) -> dict[str, dict]:
    """Raw criterion values of every top-level account (subsidiaries are selected with
    their parent, so they are not candidates of their own)."""
    accounts = list(
        Account.objects.filter(parent__isnull=True).values_list("account_id", flat=True)
    )
    metrics = data_metrics()
    clv = _clv()
    scores = latest_values()
    values = {}
    for a in accounts:
        v: dict = {c.key: None for c in config.criteria}
        v.update({k: x for k, x in metrics.get(a, {}).items() if k in v or k == "net_sales"})
        v["clv"] = clv.get(a)
        s = scores.get(a, {})
        v.update(estimate_criteria(v.get("net_sales"), s.get("potential"), s.get("total_spend")))
        for k, x in s.items():
            if k in v:
                v[k] = x
        values[a] = v
    return values


def _below_exit() -> dict[str, int]:
    last = Review.objects.filter(status=Review.Status.APPLIED).order_by("-applied_at").first()
    if last is None:
        return {}
    return dict(last.row_set.values_list("account_id", "data__below_exit"))


def programme_rules() -> ProgrammeRules:
    """The champion's programme rules, or their defaults unsaved (a read creates no row)."""
    return ProgrammeRules.objects.order_by("pk").first() or ProgrammeRules()


def reporting_currency() -> str:
    """The currency amounts are shown in (the reporting currency, EUR unless set)."""
    return getattr(settings, "OPENKAM_REPORTING_CURRENCY", None) or "EUR"


def with_programme_rules(config: SelectionConfig) -> SelectionConfig:
    """``config`` with the KAM and sponsor loads of the champion's programme rules
    (``people.ProgrammeRules``): those rules hold on every path, reviews included; the
    criteria keep only the programme's size."""
    from dataclasses import replace

    rules = programme_rules()
    return config.replace(
        programme=replace(
            config.programme,
            kam_min=rules.kam_min_accounts,
            kam_max=rules.kam_max_accounts,
            sponsor_min=rules.sponsor_min_accounts,
            sponsor_max=rules.sponsor_max_accounts,
        )
    )


def eligible_people() -> tuple[list[str], list[str], dict[str, str]]:
    """(KAMs, sponsors, why-not) under the programme rules.

    A KAM is an active person whose role is key account manager or whose function is key
    account management, and a full-time KAM when the rules ask for one; a sponsor is an
    active executive of at least the rules' sponsor level. Someone eligible as both is
    proposed as KAM only (nobody is KAM and sponsor of one account). ``why-not`` says, for
    everyone else, why they may not hold a key account, in words.
    """
    from openkam.web.people.rules import kam_eligible, sponsor_eligible

    rules = programme_rules()
    level = dict(ExecutiveLevel.choices).get(rules.sponsor_min_level, rules.sponsor_min_level)
    kams, sponsors, why = [], [], {}
    for person in Person.objects.order_by("person_id"):
        pid = person.person_id
        if not person.active:
            why[pid] = f"{person.name} is no longer active"
            continue
        kam_role = kam_eligible(person)
        if kam_role and (person.full_time_kam or not rules.kam_must_be_full_time):
            kams.append(pid)
            why[pid] = "a KAM cannot also be a sponsor"
            continue
        if sponsor_eligible(person, rules):
            sponsors.append(pid)
            why[pid] = "an executive sponsor, not a KAM"
            continue
        if kam_role:
            why[pid] = "not a full-time KAM, which the programme rules require"
        else:
            why[pid] = (
                "neither a key account manager nor an executive of at least "
                f"{str(level).lower()} level"
            )
    return kams, sponsors, why


def current_holdings() -> dict[str, dict]:
    """Today's key status, KAM and sponsor of every top-level account."""
    return {
        a["account_id"]: {
            "is_key": a["key_status"] == Account.KeyStatus.KEY,
            "kam": a["kam__person_id"],
            "sponsor": a["sponsor__person_id"],
        }
        for a in Account.objects.filter(parent__isnull=True).values(
            "account_id", "key_status", "kam__person_id", "sponsor__person_id"
        )
    }


def build_recommendation(
    criteria: CriteriaSet | None = None, config: SelectionConfig | None = None
) -> tuple[dict, dict, list]:
    """Compute the recommendation now: (result, inputs, overrides snapshot).

    ``config`` (e.g. from a file) replaces the stored criteria without saving them.
    Raises the engine's ``SelectionInfeasible`` with a clear message when the rules clash.
    """
    criteria = criteria or current_criteria()
    from_file = config is not None
    config = with_programme_rules(config or config_of(criteria))
    values = gather_values(config)
    current = current_holdings()
    active = list(Override.objects.filter(active=True).select_related("account", "created_by"))
    overrides = {
        o.account.account_id: {"decision": o.decision, "reason": o.reason}
        for o in active
        if o.account.account_id in values
    }
    kams, sponsors, why = eligible_people()
    names = dict(Person.objects.values_list("person_id", "name"))
    try:
        result = recommend(
            values,
            config,
            kams,
            sponsors,
            current=current,
            below_exit=_below_exit(),
            overrides=overrides,
            names=names,
            ineligible=why,
            currency=reporting_currency(),
        )
    except OverrideError as exc:  # pragma: no cover - the model refuses empty reasons
        raise ValidationError(str(exc)) from None
    account_names = dict(
        Account.objects.filter(parent__isnull=True).values_list("account_id", "name")
    )
    for row in result["accounts"]:
        row["name"] = account_names.get(row["account_id"], "")
        for field in ("kam", "sponsor", "current_kam", "current_sponsor"):
            row[f"{field}_name"] = names.get(row[field], "") if row[field] else ""
    result["criteria_version"] = None if from_file else criteria.number
    snapshot = [
        {
            "account_id": o.account.account_id,
            "decision": o.decision,
            "reason": o.reason,
            "by": o.created_by.get_username() if o.created_by else "",
            "at": o.created.isoformat(),
        }
        for o in active
    ]
    return result, values, snapshot


def create_review(
    user, label: str = "", *, apply: bool = False, actor: str = "", exception_reason: str = ""
) -> Review:
    """Compute and store a review (a draft unless ``apply``; applying a review that breaks
    a programme rule needs ``exception_reason``, else nothing is stored)."""
    if not actor:
        require_programme(user)
    criteria = current_criteria(saved=True)
    with transaction.atomic():
        review = save_review(user, label, criteria, build_recommendation(criteria), actor=actor)
        if apply:
            apply_review(review, user, actor=actor, exception_reason=exception_reason)
    return review


def save_review(
    user, label: str, criteria: CriteriaSet, built: tuple, *, actor: str = ""
) -> Review:
    """Store a computed recommendation (``build_recommendation``'s result) as a draft review:
    the summary on the review, one :class:`ReviewRow` per account."""
    result, inputs, snapshot = built
    accounts = result.get("accounts", [])
    summary = {k: v for k, v in result.items() if k != "accounts"}
    summary["contribution_keys"] = contribution_keys(result.get("config", {}))
    with transaction.atomic():
        review = Review.objects.create(
            label=label or f"Review {timezone.localdate().isoformat()}",
            criteria=criteria,
            result=summary,
            inputs=inputs,
            overrides=snapshot,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        # Plain rows, not model instances: the ORM's per-field preparation of 2,000 rows
        # was most of the time a review took to store.
        bulk_insert(
            ReviewRow,
            (ReviewRow.columns(r, i, review.pk) for i, r in enumerate(accounts)),
            batch_size=1000,
        )
        audit.record(
            "create",
            review,
            user=user,
            actor=actor,
            changes={"criteria": criteria.number, "objective": result["objective"]},
        )
    return review


@task()
def compute_review(run_id: int) -> None:
    """Background task: score every account, solve the portfolio, store a draft review."""
    from openkam.web.core.runs import run_with_tracking

    def work(run, report):
        report("scoring accounts and solving the portfolio", 0.1)
        criteria = CriteriaSet.objects.get(pk=run.params["criteria"])
        try:
            built = build_recommendation(criteria)
        except SelectionInfeasible as exc:
            raise ValueError("No portfolio is possible: " + "; ".join(exc.reasons)) from None
        return (criteria, built), [], {"objective": built[0]["objective"]}

    def store(run, outcome):
        criteria, built = outcome
        review = save_review(run.requested_by, run.params.get("label", ""), criteria, built)
        params = {**run.params, "review": review.pk}
        if run.params.get("apply"):
            # Asked through the API: apply the new draft too, unless a rule refuses it; the
            # draft is kept either way, and the refusal is the run's to report.
            try:
                with transaction.atomic():
                    params["accounts_changed"] = apply_review(review, run.requested_by)
            except ValidationError as exc:
                params["apply_refused"] = "; ".join(exc.messages)
        from openkam.web.core.models import Computation

        Computation.objects.filter(pk=run.pk).update(params=params)

    run_with_tracking(run_id, work, store)


def _summaries(review: Review) -> list[dict]:
    """Each account's decision, KAM and sponsor in ``review`` (no JSON read), in order."""
    cols = ("account_id", "name", "decision", "kam", "sponsor")
    if "accounts" in review.result:  # a review stored whole (before rows had a table)
        return [{c: r.get(c) or "" for c in cols} for r in review.result["accounts"]]
    return list(review.row_set.order_by("position").values(*cols))


def _data_of(review: Review, account_ids) -> dict[str, dict]:
    """The stored rows (``data``) of some accounts of ``review``."""
    if "accounts" in review.result:
        wanted = set(account_ids)
        return {r["account_id"]: r for r in review.result["accounts"] if r["account_id"] in wanted}
    return dict(
        review.row_set.filter(account_id__in=list(account_ids)).values_list("account_id", "data")
    )


def proposed_state(row: dict, today: dict) -> dict:
    """What applying a review's ``row`` sets, against the account's state ``today``
    (``{"decision", "kam", "sponsor"}``, person ids or None).

    A key account gets the review's KAM and sponsor. An account that leaves the programme
    loses its KAM and sponsor: their assignments end on the day the review is applied
    (the history keeps them), because a KAM's and a sponsor's load is their key accounts
    and an account outside the programme has neither. An account that stays outside keeps
    whatever it has.
    """
    if row["decision"] == "key":
        return {"decision": "key", "kam": row["kam"] or None, "sponsor": row["sponsor"] or None}
    if today["decision"] == "key":
        return {"decision": row["decision"], "kam": None, "sponsor": None}
    return {"decision": row["decision"]}


def _planned(review: Review) -> list[tuple[dict, dict, dict, list[str]]]:
    """``(row, today, proposed, fields that change)`` of every account of ``review`` that
    exists now, in the review's order."""
    live = current_holdings()
    out = []
    for r in _summaries(review):
        now = live.get(r["account_id"])
        if now is None:
            continue
        today = {
            "decision": "key" if now["is_key"] else "not_key",
            "kam": now["kam"],
            "sponsor": now["sponsor"],
        }
        proposed = proposed_state(r, today)
        changed = [f for f in FIELDS if f in proposed and proposed[f] != today[f]]
        out.append((r, today, proposed, changed))
    return out


def _leaving_reason(role: str) -> str:
    """Why the KAM or sponsor of an account that leaves the programme goes (the account's
    own reason is on its key-account line just above)."""
    when = timezone.localdate().isoformat()
    return (
        f"The account leaves the key account programme: the {ROLE_WORDS[role]} assignment "
        f"ends on {when}, when the review is applied (kept in the assignment history)."
    )


ROLE_WORDS = {"kam": "KAM", "sponsor": "sponsor"}


def review_changes(review: Review) -> tuple[list[dict], dict[str, str]]:
    """The review's decisions as ``people.assignments.assign_many`` changes (only the
    accounts it changes, and key accounts whose holder has no history yet, which applying
    starts), and each account's reason (its sentences)."""
    from openkam.web.people.models import Assignment

    planned = _planned(review)
    open_rows = set(
        Assignment.objects.filter(end__isnull=True).values_list("account__account_id", "role")
    )
    wanted = [
        (r, proposed)
        for r, today, proposed, changed in planned
        if changed
        or (
            proposed["decision"] == "key"
            and any(
                proposed[role] and (r["account_id"], role) not in open_rows
                for role in ("kam", "sponsor")
            )
        )
    ]
    ids = [r["account_id"] for r, _ in wanted]
    data = _data_of(review, ids)
    people_ids = {
        p for _, proposed in wanted for p in (proposed.get("kam"), proposed.get("sponsor"))
    }
    people = {p.person_id: p for p in Person.objects.filter(person_id__in=people_ids - {None})}
    accounts = {a.account_id: a for a in Account.objects.filter(account_id__in=ids)}
    changes, reasons = [], {}
    for r, proposed in wanted:
        account = accounts[r["account_id"]]
        change = {"account": account, "key_status": proposed["decision"]}
        for role in ("kam", "sponsor"):
            if role in proposed:
                change[role] = people.get(proposed[role]) if proposed[role] else None
        why = "; ".join((data.get(r["account_id"]) or {}).get("reasons") or [])
        change["reason"] = f"{review.label}: {why}"[:500]
        reasons[account.account_id] = change["reason"]
        changes.append(change)
    return changes, reasons


def apply_violations(review: Review) -> list:
    """The programme rules applying ``review`` would break now (``people.rules.Violation``,
    each with the reason of an exception that already covers it), for the confirmation."""
    from openkam.web.people.rules import check_change

    changes, _ = review_changes(review)
    return check_change(
        [{k: v for k, v in c.items() if k != "reason"} for c in changes], rules=programme_rules()
    )


def apply_review(review: Review, user, *, actor: str = "", exception_reason: str = "") -> int:
    """Set key status, KAM and sponsor of every account as the review decided.

    The changes go through ``people.assignments.assign_many`` as one set: the programme's
    rules must hold on the end state (or the champion gives ``exception_reason``), the
    assignment history is kept, and each change is in the account's audit trail. Raises
    ``RuleViolation`` (nothing applied) when the end state breaks a rule.

    Returns the number of accounts changed.
    """
    from openkam.web.people.assignments import assign_many

    if not actor:
        require_programme(user)
    if review.status == Review.Status.APPLIED:
        raise ValidationError("This review was applied already.")
    changes, reasons = review_changes(review)
    with transaction.atomic():
        applied = assign_many(
            changes,
            user=user,
            actor=actor,
            source="review",
            exception_reason=exception_reason,
        )
        for account_id, account_changes in applied.items():
            audit.record(
                "event",
                review,
                user=user,
                actor=actor,
                account_key=account_id,
                changes=account_changes,
                message=reasons[account_id],
            )
        changed = len(applied)
        review.status = Review.Status.APPLIED
        review.applied_by = user if getattr(user, "is_authenticated", False) else None
        review.applied_at = timezone.now()
        review.version += 1
        review.save()
        audit.record(
            "update",
            review,
            user=user,
            actor=actor,
            changes={"status": ["draft", "applied"], "accounts_changed": changed},
        )
    return changed


FIELDS = ("decision", "kam", "sponsor")
FIELD_LABELS = {"decision": "Key account", "kam": "KAM", "sponsor": "Sponsor"}


def _reason_for(row: dict | None, field: str) -> str:
    for c in (row or {}).get("changes", []):
        if c["field"] == field:
            return c["reason"]
    return ""


def compare_reviews(a: Review, b: Review) -> list[dict]:
    """Every account whose decision, KAM or sponsor differs between review ``a`` and ``b``,
    each difference with its reason (from ``b`` when ``b`` proposes it, else ``a``'s).

    Rows: ``{"account_id", "name", "a": {...}, "b": {...}, "diffs": [{"field", "from",
    "to", "reason"}], "decision_changed"}``, decision changes first.
    """
    cols = ("account_id", "name", "decision", "kam", "sponsor", "attractiveness")
    rows_a = {r["account_id"]: r for r in a.row_set.values(*cols)}
    rows_b = {r["account_id"]: r for r in b.row_set.values(*cols)}
    differing = [
        acc
        for acc in set(rows_a) | set(rows_b)
        if any((rows_a.get(acc) or {}).get(f) != (rows_b.get(acc) or {}).get(f) for f in FIELDS)
    ]
    data_a = dict(a.row_set.filter(account_id__in=differing).values_list("account_id", "data"))
    data_b = dict(b.row_set.filter(account_id__in=differing).values_list("account_id", "data"))
    names = dict(Person.objects.values_list("person_id", "name"))
    out = []
    for acc in differing:
        ra, rb = rows_a.get(acc) or {}, rows_b.get(acc) or {}
        diffs = []
        for f in FIELDS:
            before, after = ra.get(f) or None, rb.get(f) or None
            if before == after:
                continue
            if f != "decision" and rb.get("decision") != "key":
                # Leaving the programme says it all: who held it is in the earlier review.
                continue
            reason = _reason_for(data_b.get(acc), f)
            if not reason and f == "decision":
                reason = ((data_b.get(acc) or {}).get("reasons") or [""])[0]
            if not reason:
                earlier = _reason_for(data_a.get(acc), f)
                reason = (
                    f"Only {a.label} proposed the change from today's holder: {earlier}"
                    if earlier
                    else "Today's holder differs between the two reviews (an assignment "
                    "changed in between)."
                )
            diffs.append(
                {
                    "field": f,
                    "label": FIELD_LABELS[f],
                    "from": before,
                    "to": after,
                    "from_name": names.get(before, before) if f != "decision" else before,
                    "to_name": names.get(after, after) if f != "decision" else after,
                    "reason": reason,
                }
            )
        out.append(
            {
                "account_id": acc,
                "name": rb.get("name") or ra.get("name", ""),
                "a": ra,
                "b": rb,
                "diffs": diffs,
                "decision_changed": ra.get("decision") != rb.get("decision"),
            }
        )
    out.sort(key=lambda r: (not r["decision_changed"], r["account_id"]))
    return out


def pending_changes(review: Review) -> list[dict]:
    """What applying ``review`` would change now: every account whose key status, KAM or
    sponsor today differs from the review's decision, with the review's reason. An account
    leaving the programme lists the end of its KAM's and sponsor's assignments.

    An account changed by hand since the review was computed is marked ``stale``.
    """
    planned = [p for p in _planned(review) if p[3]]
    data = _data_of(review, [r["account_id"] for r, *_ in planned])
    names = dict(Person.objects.values_list("person_id", "name"))
    out = []
    for r, today, proposed, changed in planned:
        d = data.get(r["account_id"]) or {}
        stale = (
            today["decision"] != d.get("current_decision", today["decision"])
            or today["kam"] != d.get("current_kam", today["kam"])
            or today["sponsor"] != d.get("current_sponsor", today["sponsor"])
        )
        diffs = []
        for f in changed:
            before, after = today[f], proposed[f]
            if f != "decision" and proposed["decision"] != "key":
                reason = _leaving_reason(f)
            else:
                reason = (
                    _reason_for(d, f) or (d.get("reasons") or [""])[0] or "as the review decided"
                )
            diffs.append(
                {
                    "field": f,
                    "label": FIELD_LABELS[f],
                    "from": before,
                    "to": after,
                    "from_name": names.get(before, before) if f != "decision" else before,
                    "to_name": (names.get(after, after) or "nobody") if f != "decision" else after,
                    "reason": reason,
                }
            )
        out.append(
            {"account_id": r["account_id"], "name": r["name"], "diffs": diffs, "stale": stale}
        )
    return out


def latest_quadrants() -> tuple[Review | None, dict[str, str]]:
    """The newest review and each account's quadrant in it (key, key_development,
    maintenance, opportunistic, or not_assessed), for lists that show or filter by
    quadrant (one query on the review's rows, no JSON read).

    Reads every row of the review: a page of a list takes :func:`quadrants_of` (its
    accounts only) and a filter :func:`accounts_in_quadrant` (a subquery)."""
    review = latest_review()
    if review is None:
        return None, {}
    if "accounts" in review.result:
        rows = review.result["accounts"]
        return review, {r["account_id"]: r["quadrant"] for r in rows if r.get("quadrant")}
    return review, dict(review.row_set.values_list("account_id", "quadrant"))


def latest_review() -> Review | None:
    """The newest review (without its inputs), or None."""
    return Review.objects.defer("inputs").order_by("-created", "-id").first()


def quadrants_of(review: Review | None, account_ids) -> dict[str, str]:
    """The quadrant of each of ``account_ids`` (a page of a list) in ``review``: one
    indexed query whatever the number of accounts in the review."""
    if review is None:
        return {}
    ids = list(account_ids)
    if "accounts" in review.result:  # a review stored whole (before rows had a table)
        wanted = set(ids)
        rows = review.result["accounts"]
        return {r["account_id"]: r["quadrant"] for r in rows if r["account_id"] in wanted}
    return dict(review.row_set.filter(account_id__in=ids).values_list("account_id", "quadrant"))


def accounts_in_quadrant(review: Review | None, quadrant: str):
    """The account ids in ``quadrant`` of ``review``, as a subquery for an account filter
    (a list of ids for a review stored whole; nothing without a review)."""
    if review is None:
        return []
    if "accounts" in review.result:
        return [r["account_id"] for r in review.result["accounts"] if r.get("quadrant") == quadrant]
    return review.row_set.filter(quadrant=quadrant).values("account_id")
