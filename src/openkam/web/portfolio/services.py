"""Selection services: the only writers of selection data and of the audit trail for it."""

from __future__ import annotations

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
from openkam.web.core.roles import runs_programme
from openkam.web.people.models import Person
from openkam.web.portfolio.models import AssessedScore, CriteriaSet, Override, Review

log = logging.getLogger(__name__)

#: Estimates people enter that feed data criteria (not scored on their own).
ESTIMATES = {
    "potential": "Estimated potential (annual spend the customer could place with us)",
    "total_spend": "Customer's total annual spend in our categories",
}


def _require_programme(user) -> None:
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
        _require_programme(user)
    try:
        config = config_from_dict(data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
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


# --- overrides ----------------------------------------------------------------------------


def add_override(
    account: Account, decision: str, reason: str, user, *, actor: str = ""
) -> Override:
    """The champion includes or excludes an account against the recommendation.

    A written reason is required; an earlier active override of the account is replaced.
    """
    if not actor:
        _require_programme(user)
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
        _require_programme(user)
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
    """Data-derived criteria from the ledger ({} when nothing was imported)."""
    root = Path(settings.DATA_DIR)
    if not any((root / "ledger" / "invoices").glob("*.parquet")):
        return {}
    from openkam.web.insights.profitability import hierarchy

    return ledger_metrics(root, products=_products(), hierarchy=hierarchy())


def _clv() -> dict[str, float]:
    try:
        from openkam.web.insights.figures import clv_by_account
    except ImportError:  # pragma: no cover - insights is installed with the app
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
    scores = latest_scores(accounts)
    values = {}
    for a in accounts:
        v: dict = {c.key: None for c in config.criteria}
        v.update({k: x for k, x in metrics.get(a, {}).items() if k in v or k == "net_sales"})
        v["clv"] = clv.get(a)
        s = {k: sc.value for k, sc in scores.get(a, {}).items()}
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
    return {r["account_id"]: r.get("below_exit", 0) for r in last.rows()}


def build_recommendation(
    criteria: CriteriaSet | None = None, config: SelectionConfig | None = None
) -> tuple[dict, dict, list]:
    """Compute the recommendation now: (result, inputs, overrides snapshot).

    ``config`` (e.g. from a file) replaces the stored criteria without saving them.
    Raises the engine's ``SelectionInfeasible`` with a clear message when the rules clash.
    """
    criteria = criteria or current_criteria()
    from_file = config is not None
    config = config or config_of(criteria)
    values = gather_values(config)
    current = {
        a.account_id: {
            "is_key": a.key_status == Account.KeyStatus.KEY,
            "kam": a.kam.person_id if a.kam else None,
            "sponsor": a.sponsor.person_id if a.sponsor else None,
        }
        for a in Account.objects.filter(parent__isnull=True).select_related("kam", "sponsor")
    }
    active = list(Override.objects.filter(active=True).select_related("account", "created_by"))
    overrides = {
        o.account.account_id: {"decision": o.decision, "reason": o.reason}
        for o in active
        if o.account.account_id in values
    }
    kams = list(Person.objects.filter(role="kam", active=True).values_list("person_id", flat=True))
    sponsors = list(
        Person.objects.filter(role="sponsor", active=True).values_list("person_id", flat=True)
    )
    try:
        result = recommend(
            values,
            config,
            kams,
            sponsors,
            current=current,
            below_exit=_below_exit(),
            overrides=overrides,
        )
    except OverrideError as exc:  # pragma: no cover - the model refuses empty reasons
        raise ValidationError(str(exc)) from None
    names = dict(Person.objects.values_list("person_id", "name"))
    account_names = dict(Account.objects.values_list("account_id", "name"))
    for row in result["accounts"]:
        row["name"] = account_names.get(row["account_id"], "")
        row["kam_name"] = names.get(row["kam"], "")
        row["sponsor_name"] = names.get(row["sponsor"], "")
    for group in ("kams", "sponsors"):
        for c in result["constraints"][group]:
            c["name"] = names.get(c["person_id"], c["person_id"])
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


def create_review(user, label: str = "", *, apply: bool = False, actor: str = "") -> Review:
    """Compute and store a review (a draft unless ``apply``)."""
    if not actor:
        _require_programme(user)
    criteria = current_criteria(saved=True)
    review = save_review(user, label, criteria, build_recommendation(criteria), actor=actor)
    if apply:
        apply_review(review, user, actor=actor)
    return review


def save_review(
    user, label: str, criteria: CriteriaSet, built: tuple, *, actor: str = ""
) -> Review:
    """Store a computed recommendation (``build_recommendation``'s result) as a draft review."""
    result, inputs, snapshot = built
    review = Review.objects.create(
        label=label or f"Review {timezone.localdate().isoformat()}",
        criteria=criteria,
        result=result,
        inputs=inputs,
        overrides=snapshot,
        created_by=user if getattr(user, "is_authenticated", False) else None,
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
    from openkam.web.insights.runs import run_with_tracking

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
        run.summary = {"review": review.pk}
        from openkam.web.insights.models import Computation

        Computation.objects.filter(pk=run.pk).update(params={**run.params, "review": review.pk})

    run_with_tracking(run_id, work, store)


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
        _require_programme(user)
    if review.status == Review.Status.APPLIED:
        raise ValidationError("This review was applied already.")
    people = {p.person_id: p for p in Person.objects.all()}
    accounts = {
        a.account_id: a
        for a in Account.objects.filter(account_id__in=[r["account_id"] for r in review.rows()])
    }
    changes, reasons = [], {}
    for row in review.rows():
        account = accounts.get(row["account_id"])
        if account is None:
            continue
        change = {"account": account, "key_status": row["decision"]}
        if row["decision"] == "key":
            change["kam"] = people.get(row["kam"])
            change["sponsor"] = people.get(row["sponsor"])
        change["reason"] = f"{review.label}: {'; '.join(row['reasons'])}"[:500]
        reasons[account.account_id] = change["reason"]
        changes.append(change)
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


def compare_reviews(a: Review, b: Review) -> list[dict]:
    """Per account: decision, quadrant and scores in review ``a`` and in ``b``."""
    rows_a = {r["account_id"]: r for r in a.rows()}
    rows_b = {r["account_id"]: r for r in b.rows()}
    out = []
    for acc in sorted(set(rows_a) | set(rows_b)):
        ra, rb = rows_a.get(acc, {}), rows_b.get(acc, {})
        out.append(
            {
                "account_id": acc,
                "name": rb.get("name") or ra.get("name", ""),
                "a": ra,
                "b": rb,
                "decision_changed": ra.get("decision") != rb.get("decision"),
                "attractiveness_delta": (rb.get("attractiveness") or 0)
                - (ra.get("attractiveness") or 0)
                if ra and rb
                else None,
            }
        )
    out.sort(key=lambda r: (not r["decision_changed"], r["account_id"]))
    return out


def latest_quadrants() -> tuple[Review | None, dict[str, str]]:
    """The newest review and each account's quadrant in it (key, key_development,
    maintenance, opportunistic), for lists that show or filter by quadrant."""
    review = Review.objects.order_by("-created", "-id").first()
    if review is None:
        return None, {}
    rows = review.result.get("accounts", [])
    return review, {r["account_id"]: r["quadrant"] for r in rows if r.get("quadrant")}
