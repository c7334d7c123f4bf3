"""Selection pages: the current recommendation with its matrix, criteria, scores, reviews."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from openkam.web.accounts.models import Account
from openkam.web.core.kept import Kept
from openkam.web.core.roles import runs_programme
from openkam.web.portfolio import services
from openkam.web.portfolio.forms import CriteriaForm
from openkam.web.portfolio.models import (
    AssessedScore,
    CriteriaSet,
    Override,
    Review,
)

QUADRANT_LABELS = {
    "key": "Key",
    "key_development": "Key development",
    "maintenance": "Maintenance",
    "opportunistic": "Opportunistic",
    "not_assessed": "Not assessed",
}


#: Rows per page of a review's table.
PAGE_SIZE = 50

SHOW = {
    "": "All accounts",
    "key_now": "Key accounts now",
    "recommended": "Recommended key accounts",
    "changed": "Changed by this review",
    "not_assessed": "Relative strength not assessed",
}


def _filtered_rows(request, review: Review):
    """The review's rows as the table's filters ask (``show``, ``quadrant``, ``q``)."""
    qs = review.row_set.all()
    show = request.GET.get("show", "")
    if show == "key_now":
        qs = qs.filter(current_decision="key")
    elif show == "recommended":
        qs = qs.filter(decision="key")
    elif show == "changed":
        qs = qs.filter(changed=True)
    elif show == "not_assessed":
        qs = qs.filter(strength_assessed=False)
    quadrant = request.GET.get("quadrant", "")
    if quadrant in QUADRANT_LABELS:
        qs = qs.filter(quadrant=quadrant)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(account_id__icontains=q) | Q(name__icontains=q))
    return qs.order_by("position"), {"show": show, "quadrant": quadrant, "q": q}


def _review_context(request, review: Review) -> dict:
    """What the review body shows: the summary, one page of rows, the proposed changes."""
    config = review.result.get("config", {})
    qs, filters = _filtered_rows(request, review)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [r.data for r in page.object_list]
    for r in rows:
        r["quadrant_label"] = QUADRANT_LABELS.get(r["quadrant"], "Not assessed")
    query = request.GET.copy()
    query.pop("page", None)
    counts = dict(
        review.row_set.values_list("quadrant").annotate(n=Count("id")).values_list("quadrant", "n")
    )
    changed = review.row_set.filter(changed=True).order_by("position")
    return {
        "review": review,
        "rows": rows,
        "page": page,
        "query": query.urlencode(),
        "filters": filters,
        "show_options": SHOW,
        "constraints": review.result.get("constraints", {}),
        "currency": review.currency,
        "thresholds": {
            "a": config.get("attractiveness_threshold", 5),
            "s": config.get("strength_threshold", 5),
        },
        "hysteresis": config.get("hysteresis", {}),
        "quadrants": QUADRANT_LABELS,
        "quadrant_counts": [(k, v, counts.get(k, 0)) for k, v in QUADRANT_LABELS.items()],
        "not_assessed": counts.get("not_assessed", 0),
        "key_count": review.row_set.filter(decision="key").count(),
        "key_now": review.row_set.filter(current_decision="key").count(),
        "total": review.row_set.count(),
        "changes": [r.data for r in changed[:CHANGES_SHOWN]],
        "changes_total": changed.count(),
        "changes_shown": CHANGES_SHOWN,
    }


#: Proposed changes listed in full above the table (the table's "changed" filter has all).
CHANGES_SHOWN = 100


@login_required
def selection(request):
    from openkam.web.core import runs
    from openkam.web.core.models import Computation

    # The review's summary (``result``) is read only to render its body.
    review = Review.objects.select_related("criteria").defer("inputs", "result").first()
    latest = runs.latest(Computation.Kind.SELECTION)
    context = {
        "latest_run": latest if latest and (latest.active or latest.status == "failed") else None,
        "can_run": runs_programme(request.user),
        "overrides": Override.objects.filter(active=True).select_related("account", "created_by"),
        "criteria": services.current_criteria(),
    }
    if review is not None:
        context["review"] = review
        context["review_body"] = _review_body(request, review)
    return render(request, "portfolio/selection.html", context)


#: Rendered bodies of reviews (tens of KiB each), by review and query.
_bodies = Kept(32)


def _review_body(request, review: Review) -> str:
    """The review's body as the query asks (filters, page), rendered once per process.

    A review is a snapshot: its rows (names included) never change after it is stored, and
    applying it saves the review (a new ``updated``), so its id, version and last update
    name what the body shows.
    """
    query = tuple(sorted((k, tuple(v)) for k, v in request.GET.lists()))

    def render_body() -> str:
        whole = Review.objects.select_related("criteria").defer("inputs").get(pk=review.pk)
        context = _review_context(request, whole)
        return render_to_string("portfolio/_review_body.html", context, request)

    return _bodies.get(("selection", review.pk, review.version, review.updated, query), render_body)


@login_required
def review_matrix(request, pk: int):
    """The matrix's points as JSON (fetched by the page's script): assessed accounts only,
    ``[attractiveness, strength, value, account id, name, key now, recommended key]``."""
    review = get_object_or_404(Review, pk=pk)
    rows = review.row_set.filter(strength_assessed=True).values_list(
        "attractiveness",
        "relative_strength",
        "data__value",
        "account_id",
        "name",
        "current_decision",
        "decision",
    )
    points = [
        [round(x, 2), round(y, 2), round(v or 0), a, n, int(c == "key"), int(d == "key")]
        for x, y, v, a, n, c, d in rows
    ]
    return JsonResponse({"points": points})


@login_required
def review_row(request, pk: int, account_id: str):
    """One account's criteria breakdown in a review (loaded when its "why" is opened)."""
    review = get_object_or_404(Review.objects.defer("inputs"), pk=pk)
    data = review.row(account_id)
    if data is None:
        raise Http404(f"Account {account_id} is not in this review.")
    config = review.result.get("config", {})
    labels = {c["key"]: c.get("label") or c["key"] for c in config.get("criteria", [])}
    currency = review.currency

    def lines(items):
        return [
            {
                **c,
                "label": labels.get(c["criterion"], c["criterion"]),
                "text": _raw_text(c, currency),
            }
            for c in items
        ]

    return render(
        request,
        "portfolio/_contributions.html",
        {
            "row": data,
            "attractiveness": lines(data.get("contributions", {}).get("attractiveness", [])),
            "strength": lines(data.get("contributions", {}).get("relative_strength", [])),
        },
    )


#: How a criterion's raw value reads: money, percentages, days (the rest as numbers).
MONEY_CRITERIA = {"clv", "net_contribution", "whitespace"}
PERCENT_CRITERIA = {"contribution_margin_pct", "net_sales_growth", "share_of_wallet"}


def _raw_text(c: dict, currency: str) -> str:
    from openkam.engine.selection import money

    raw = c.get("raw")
    if c.get("missing") or raw is None:
        return ""
    key = c["criterion"]
    if key in MONEY_CRITERIA:
        return money(raw, currency)
    if key in PERCENT_CRITERIA:
        return f"{raw:,.1f} %"
    if key == "dso":
        return f"{raw:,.0f} days"
    return f"{raw:,.2f}".rstrip("0").rstrip(".")


@login_required
@require_POST
def run_review(request):
    """Compute a review in the background (scoring and solving take a while on a large
    portfolio); the selection page shows its progress and then the new draft."""
    from openkam.web.core import runs
    from openkam.web.core.models import Computation

    if not runs_programme(request.user):
        raise PermissionDenied("Only the KAM champion or an administrator runs reviews.")
    params = {
        "label": request.POST.get("label", ""),
        "criteria": services.current_criteria(saved=True).pk,
    }
    try:
        runs.request(Computation.Kind.SELECTION, params, request.user, services.compute_review)
    except runs.AlreadyRunning as exc:
        messages.warning(request, str(exc))
    return redirect("portfolio:selection")


@login_required
def apply_review(request, pk: int):
    """GET: what applying the review would change and which rules it would break, for
    confirmation; POST (confirmed): apply it, with the champion's written reason when a
    rule must give way."""
    from openkam.web.people.assignments import RuleViolation

    review = get_object_or_404(Review.objects.select_related("criteria"), pk=pk)
    refused = None
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            changed = services.apply_review(
                review,
                request.user,
                exception_reason=request.POST.get("exception_reason", "").strip(),
            )
        except RuleViolation as exc:
            refused = exc
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect(review)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect(review)
        else:
            messages.success(request, f"{review.label} applied: {changed} accounts changed.")
            return redirect(review)
    constraints = review.result.get("constraints", {})
    violations = (
        refused.violations
        if refused is not None
        else (services.apply_violations(review) if review.status == "draft" else [])
    )
    rules = services.programme_rules()
    return render(
        request,
        "portfolio/review_apply.html",
        {
            "review": review,
            "pending": services.pending_changes(review),
            "emptied": [k for k in constraints.get("kams", []) if k.get("emptied")]
            + [s for s in constraints.get("sponsors", []) if s.get("emptied")],
            "constraints": constraints,
            "violations": violations,
            "uncovered": [v for v in violations if not v.excepted],
            "refused": refused,
            "exceptions_allowed": rules.allow_exceptions,
            "can_run": runs_programme(request.user),
        },
        status=400 if refused is not None else 200,
    )


@login_required
def review_list(request):
    reviews = Review.objects.select_related("criteria", "created_by", "applied_by").defer("inputs")
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portfolio/review_list.html", {"reviews": page, "page": page})


@login_required
def review_detail(request, pk: int):
    review = get_object_or_404(Review.objects.select_related("criteria").defer("inputs"), pk=pk)
    context = _review_context(request, review)
    context["can_run"] = runs_programme(request.user)
    context["others"] = Review.objects.exclude(pk=pk).only("pk", "label", "created")[:50]
    return render(request, "portfolio/review_detail.html", context)


@login_required
def review_compare(request):
    ids = [request.GET.get("a", ""), request.GET.get("b", "")]
    if not all(i.isdigit() and len(i) < 10 for i in ids):
        messages.error(request, "Choose two reviews to compare.")
        return redirect("portfolio:reviews")
    a = get_object_or_404(Review.objects.defer("inputs"), pk=int(ids[0]))
    b = get_object_or_404(Review.objects.defer("inputs"), pk=int(ids[1]))
    rows = services.compare_reviews(a, b)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portfolio/review_compare.html",
        {
            "a": a,
            "b": b,
            "rows": page.object_list,
            "page": page,
            "query": query.urlencode(),
            "changed": sum(r["decision_changed"] for r in rows),
            "kam_changed": sum(any(d["field"] == "kam" for d in r["diffs"]) for r in rows),
            "sponsor_changed": sum(any(d["field"] == "sponsor" for d in r["diffs"]) for r in rows),
        },
    )


@login_required
def criteria(request):
    current = services.current_criteria()
    can_edit = runs_programme(request.user)
    config = services.config_of(current)
    if request.method == "POST" and "config" in request.POST:
        # A whole configuration as the JSON file of ``openkam select --criteria``.
        form = CriteriaForm(config=config, number=current.number)
        try:
            data = json.loads(request.POST["config"])
            new = services.save_criteria(data, request.user, request.POST.get("note", ""))
        except json.JSONDecodeError as exc:
            messages.error(request, f"The file is not valid JSON: {exc}")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Saved criteria version {new.number} from the file.")
            return redirect("portfolio:criteria")
    elif request.method == "POST":
        form = CriteriaForm(request.POST, config=config, number=current.number)
        if not can_edit:
            messages.error(
                request, "Only the KAM champion or an administrator changes the criteria."
            )
        elif form.is_valid() and form.cleaned_data["based_on"] != current.number:
            form.add_error(
                None,
                f"The criteria changed while you edited them (now version {current.number}): "
                "reload the page and make your change again.",
            )
        elif form.is_valid():
            try:
                new = services.save_criteria(
                    form.config_dict(), request.user, form.cleaned_data.get("note", "")
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages[0])
            except PermissionDenied as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Saved criteria version {new.number}.")
                return redirect("portfolio:criteria")
    else:
        form = CriteriaForm(config=config, number=current.number)
    return render(
        request,
        "portfolio/criteria.html",
        {
            "current": current,
            "config": config,
            "form": form,
            "shares": services.weight_shares(config),
            "versions": CriteriaSet.objects.select_related("created_by")[:20],
            "can_edit": can_edit,
            "rules": services.programme_rules(),
            "currency": services.reporting_currency(),
        },
    )


@login_required
def criteria_file(request):
    """The current criteria as the JSON file ``openkam select --criteria`` reads."""
    current = services.current_criteria()
    response = JsonResponse(current.config, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="criteria-v{current.number}.json"'
    return response


@login_required
def scores(request, account_id: str):
    account = get_object_or_404(Account, account_id=account_id)
    config = services.config_of(services.current_criteria())
    if request.method == "POST":
        try:
            services.record_score(
                account,
                request.POST.get("criterion", ""),
                request.POST.get("value", ""),
                request.POST.get("comment", ""),
                request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(
                request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            )
        else:
            messages.success(request, "Score recorded.")
            return redirect("portfolio:scores", account_id=account_id)
    latest = services.latest_scores([account_id]).get(account_id, {})
    items = [
        # The estimates are amounts (in the reporting currency); the scores are 1-5.
        {"key": k, "label": label, "latest": latest.get(k), "is_money": k in services.ESTIMATES}
        for k, label in services.assessed_keys(config)
    ]
    return render(
        request,
        "portfolio/scores.html",
        {
            "account": account,
            "items": items,
            "history": AssessedScore.objects.filter(account=account).select_related("scored_by"),
            "can_edit": account.editable_by(request.user),
            "can_override": runs_programme(request.user),
            "override": Override.objects.filter(account=account, active=True).first(),
            "stages": services.RELATIONSHIP_STAGES,
            "money_keys": list(services.ESTIMATES),
        },
    )


@login_required
@require_POST
def override_add(request, account_id: str):
    account = get_object_or_404(Account, account_id=account_id)
    try:
        services.add_override(
            account,
            request.POST.get("decision", ""),
            request.POST.get("reason", ""),
            request.user,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Override recorded; it applies from the next review.")
    return redirect("portfolio:scores", account_id=account_id)


@login_required
@require_POST
def override_withdraw(request, pk: int):
    o = get_object_or_404(Override, pk=pk, active=True)
    try:
        services.withdraw_override(o, request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("portfolio:selection")
