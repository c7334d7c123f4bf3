"""Selection pages: the current recommendation with its matrix, criteria, scores, reviews."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from openkam.web.accounts.models import Account
from openkam.web.core.roles import runs_programme
from openkam.web.portfolio import services
from openkam.web.portfolio.models import AssessedScore, CriteriaSet, Override, Review

QUADRANT_LABELS = {
    "key": "Key",
    "key_development": "Key development",
    "maintenance": "Maintenance",
    "opportunistic": "Opportunistic",
}


def _chart_points(review: Review) -> list[dict]:
    return [
        {
            "x": r["attractiveness"],
            "y": r["relative_strength"],
            "value": r.get("value", 0),
            "id": r["account_id"],
            "name": r.get("name", ""),
            "current": r.get("current"),
            "decision": r["decision"],
        }
        for r in review.rows()
    ]


def _review_context(review: Review) -> dict:
    config = review.result.get("config", {})
    for r in review.rows():
        r["quadrant_label"] = QUADRANT_LABELS.get(r["quadrant"], r["quadrant"])
    return {
        "review": review,
        "rows": review.rows(),
        "constraints": review.result.get("constraints", {}),
        "chart": _chart_points(review),
        "thresholds": {
            "a": config.get("attractiveness_threshold", 5),
            "s": config.get("strength_threshold", 5),
        },
        "quadrants": QUADRANT_LABELS,
        "key_count": sum(r["decision"] == "key" for r in review.rows()),
    }


@login_required
def selection(request):
    from openkam.web.insights import runs
    from openkam.web.insights.models import Computation

    review = Review.objects.select_related("criteria").first()
    latest = runs.latest(Computation.Kind.SELECTION)
    context = {
        "latest_run": latest if latest and (latest.active or latest.status == "failed") else None,
        "can_run": runs_programme(request.user),
        "overrides": Override.objects.filter(active=True).select_related("account", "created_by"),
        "criteria": services.current_criteria(),
    }
    if review is not None:
        context.update(_review_context(review))
    return render(request, "portfolio/selection.html", context)


@login_required
@require_POST
def run_review(request):
    """Compute a review in the background (scoring and solving take a while on a large
    portfolio); the selection page shows its progress and then the new draft."""
    from openkam.web.insights import runs
    from openkam.web.insights.models import Computation

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
@require_POST
def apply_review(request, pk: int):
    review = get_object_or_404(Review, pk=pk)
    try:
        changed = services.apply_review(review, request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"{review.label} applied: {changed} accounts changed.")
    return redirect(review)


@login_required
def review_list(request):
    return render(
        request,
        "portfolio/review_list.html",
        {"reviews": Review.objects.select_related("criteria", "created_by", "applied_by")},
    )


@login_required
def review_detail(request, pk: int):
    review = get_object_or_404(Review.objects.select_related("criteria"), pk=pk)
    context = _review_context(review)
    context["can_run"] = runs_programme(request.user)
    context["others"] = Review.objects.exclude(pk=pk)
    return render(request, "portfolio/review_detail.html", context)


@login_required
def review_compare(request):
    a = get_object_or_404(Review, pk=request.GET.get("a"))
    b = get_object_or_404(Review, pk=request.GET.get("b"))
    rows = services.compare_reviews(a, b)
    return render(
        request,
        "portfolio/review_compare.html",
        {"a": a, "b": b, "rows": rows, "changed": sum(r["decision_changed"] for r in rows)},
    )


@login_required
def criteria(request):
    current = services.current_criteria()
    text = json.dumps(current.config, indent=2)
    if request.method == "POST":
        text = request.POST.get("config", "")
        try:
            data = json.loads(text)
            new = services.save_criteria(data, request.user, request.POST.get("note", ""))
        except json.JSONDecodeError as exc:
            messages.error(request, f"Not valid JSON: {exc}")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Saved criteria version {new.number}.")
            return redirect("portfolio:criteria")
    return render(
        request,
        "portfolio/criteria.html",
        {
            "current": current,
            "config": services.config_of(current),
            "versions": CriteriaSet.objects.select_related("created_by"),
            "text": text,
            "can_edit": runs_programme(request.user),
        },
    )


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
        {"key": k, "label": label, "latest": latest.get(k)}
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
