"""Scorecard pages: the list for a period, one person's scorecard, its exports, the
champion's weights, recording scores and CLV snapshots, the programme dashboard."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from openkam.web.core.concurrency import save_form
from openkam.web.people.models import Person
from openkam.web.scorecards import exports, services
from openkam.web.scorecards.dashboard import as_json, dashboard
from openkam.web.scorecards.forms import SnapshotForm, WeightsForm
from openkam.web.scorecards.models import ClvSnapshot, ScorecardWeights

MEASURE_LABELS = {
    "net_contribution": "Net contribution",
    "contribution_margin_pct": "Contribution margin",
    "cost_to_serve_pct": "Cost to serve share",
    "delta_clv": "Lifetime value built (ΔCLV)",
    "plan_attainment_pct": "Plan attainment",
    "coverage_pct": "Decision-maker coverage",
    "sponsor_visits_pct": "Sponsor visits kept",
    "commitments_kept_pct": "Operations commitments kept",
    "net_sales": "Net sales (revenue)",
}


def _period(request):
    """The period asked for, or a page saying what is wrong with it."""
    label = request.GET.get("period") or None
    try:
        return services.resolve_period(label), None
    except services.NoFigures as exc:
        return None, render(request, "scorecards/empty.html", {"reason": str(exc)})
    except ValueError as exc:
        return None, render(request, "scorecards/empty.html", {"reason": str(exc)}, status=400)


@login_required
def index(request):
    period, problem = _period(request)
    if problem:
        return problem
    data = services.scorecards_for(request.user, period)
    kams = [p for p in data["people"] if p["role"] == "kam"]
    sponsors = [p for p in data["people"] if p["role"] == "sponsor"]
    chart = {
        "labels": [p["name"] for p in kams],
        "contribution": [float(p["net_contribution"]) for p in kams],
        "sales": [float(p["net_sales"]) for p in kams],
    }
    return render(
        request,
        "scorecards/index.html",
        {
            "data": data,
            "kams": kams,
            "sponsors": sponsors,
            "period": period,
            "periods": services.available_periods(),
            "chart": chart,
            "sees_all": services.sees_all(request.user),
            "may_record": services.may_record(request.user),
        },
    )


def _card(request, person_id: str):
    person = get_object_or_404(Person, person_id=person_id)
    # Whom the user may ever see first (no period: every sponsorship they held), so that a
    # refusal never depends on whether figures exist; then the period's own rule.
    if not services.may_see(request.user, person):
        raise PermissionDenied("You may not see this person's scorecard.")
    period, problem = _period(request)
    if problem:
        return None, None, None, problem
    if not services.may_see(request.user, person, period):
        raise PermissionDenied("You may not see this person's scorecard.")
    role = request.GET.get("role")
    data = services.scorecards_for(request.user, period, person_id=person_id, role=role)
    if not data["people"]:
        return (
            person,
            period,
            None,
            render(
                request,
                "scorecards/empty.html",
                {"reason": f"{person.name} held no account in {period.label}."},
            ),
        )
    return person, period, data, None


def _kind(label: str) -> str:
    return "ytd" if label.endswith("YTD") else "quarter" if "-Q" in label else "year"


@login_required
def detail(request, person_id: str):
    person, period, data, problem = _card(request, person_id)
    if problem:
        return problem
    card = data["people"][0]
    # Like with like: a year's page lists the recorded years, a quarter's the quarters.
    history = [h for h in services.history(person, card["role"]) if _kind(h.period) == period.kind]
    chart = {
        "trend": {
            "labels": [t["month"] for t in card["trend"]],
            "contribution": [float(t["net_contribution"]) for t in card["trend"]],
            "sales": [float(t["net_sales"]) for t in card["trend"]],
            "cts_pct": [t["cost_to_serve_pct"] for t in card["trend"]],
        },
        "accounts": {
            "labels": [a["name"] or a["account_id"] for a in card["accounts"]],
            "contribution": [float(a["net_contribution"]) for a in card["accounts"]],
            "sales": [float(a["net_sales"]) for a in card["accounts"]],
        },
        # The line compares like with like: years with years, quarters with quarters.
        "history": {
            "labels": [h.period for h in history],
            "score": [h.score for h in history],
        },
    }
    points = [
        {
            "measure": m,
            "label": MEASURE_LABELS[m],
            "weight": data["weights"][m],
            "points": card["points"].get(m),
        }
        for m in MEASURE_LABELS
    ]
    return render(
        request,
        "scorecards/detail.html",
        {
            "person": person,
            "card": card,
            "data": data,
            "period": period,
            "periods": services.available_periods(),
            "chart": chart,
            "points": points,
            "history": history,
        },
    )


@login_required
def export(request, person_id: str, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404("unknown export format")
    person, period, data, problem = _card(request, person_id)
    if problem:
        return problem
    payload, content_type, ext = exports.render(fmt, data, data["people"][0])
    response = HttpResponse(payload, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="scorecard-{person.person_id}-{period.label}.{ext}"'
    )
    return response


@login_required
def weights_view(request):
    weights = ScorecardWeights.load()
    can_edit = weights.editable_by(request.user)
    form = WeightsForm(request.POST or None, instance=weights)
    conflict = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the KAM champion or an administrator sets the weights.")
        if form.is_valid():
            changes, conflict = save_form(
                form,
                lambda values, version: services.update_weights(values, version, request.user),
            )
            if conflict is None:
                messages.success(request, "Weights saved." if changes else "Nothing changed.")
                return redirect("scorecards:weights")
    return render(
        request,
        "scorecards/weights.html",
        {
            "form": form,
            "can_edit": can_edit,
            "conflict": conflict,
            "warning": services.revenue_warning(),
            "labels": MEASURE_LABELS,
        },
    )


@login_required
@require_POST
def record_view(request):
    if not services.may_record(request.user):
        raise PermissionDenied("Only the KAM champion or an administrator records scores.")
    period, problem = _period(request)
    if problem:
        return problem
    count = services.record(period, user=request.user)
    messages.success(request, f"Recorded {count} scorecards for {period.label}.")
    return redirect(f"{request.path.rsplit('record/', 1)[0]}?period={period.label}")


@login_required
def snapshots_view(request):
    if not services.sees_all(request.user):
        raise PermissionDenied("Only the champion, executives and administrators see this page.")
    form = SnapshotForm(request.POST or None)
    if request.method == "POST":
        if not services.may_record(request.user):
            raise PermissionDenied("Only the KAM champion or an administrator takes snapshots.")
        if form.is_valid():
            try:
                snap = services.take_snapshot_as_of(form.cleaned_data["as_of"], user=request.user)
            except ValueError as exc:
                form.add_error("as_of", str(exc))
            else:
                messages.success(request, f"Kept the CLV snapshot of {snap.as_of.isoformat()}.")
                return redirect("scorecards:snapshots")
    return render(
        request,
        "scorecards/snapshots.html",
        {
            "form": form,
            "snapshots": ClvSnapshot.objects.all()[:50],
            "may_record": services.may_record(request.user),
        },
    )


@login_required
def dashboard_view(request):
    if not services.sees_all(request.user):
        raise PermissionDenied(
            "The programme dashboard is for the champion, executives and administrators."
        )
    period, problem = _period(request)
    if problem:
        return problem
    data = dashboard(period)
    for row in data["loss_makers"]:
        # The row's sparkline reads its months from a data attribute (no inline script).
        row["spark"] = json.dumps([float(m["net_contribution"]) for m in row["monthly"]])
    chart = as_json(
        {
            "shares": data["shares"],
            "whale": data["whale"],
            "kams": {
                "labels": [k["name"] for k in data["kams"]],
                "contribution": [k["net_contribution"] for k in data["kams"]],
                "sales": [k["net_sales"] for k in data["kams"]],
            },
        }
    )
    return render(
        request,
        "scorecards/dashboard.html",
        {
            "data": data,
            "chart": chart,
            "period": period,
            "periods": services.available_periods(),
        },
    )
