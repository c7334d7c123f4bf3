"""Operations pages: commitments (list, detail, form), service levels and allocation.

Thin: every rule lives in ``operations.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from openkam.engine.operations import POLICIES
from openkam.web.accounts.models import Account
from openkam.web.core.concurrency import save_form
from openkam.web.core.permissions import require_edit
from openkam.web.core.roles import may_write, person_of, runs_programme
from openkam.web.operations import exports, services
from openkam.web.operations.filtersets import CommitmentFilterSet
from openkam.web.operations.forms import CommitmentForm
from openkam.web.operations.models import Commitment, may_own

PERIODS = ("month", "quarter", "year")


def _latest_status(commitments) -> dict[str, dict]:
    """The latest measured period of each commitment (or its only row)."""
    latest: dict[str, dict] = {}
    for r in services.commitment_status(commitments=commitments):
        if r["status"] in ("kept", "broken") or r["commitment_id"] not in latest:
            latest[r["commitment_id"]] = r
    return latest


@login_required
def index(request):
    filterset = CommitmentFilterSet(
        request.GET or None,
        queryset=Commitment.objects.select_related("account", "product", "owner"),
    )
    items = list(filterset.qs)
    latest = _latest_status(filterset.qs) if items else {}
    for c in items:
        c.latest = latest.get(c.commitment_id)
    person = person_of(request.user)
    context = {
        "filterset": filterset,
        "commitments": items,
        "broken": sum(1 for c in items if c.latest and c.latest["status"] == "broken"),
        "may_create": runs_programme(request.user)
        or (may_write(request.user) and (may_own(person) or person is not None)),
        "as_of": services.ledger_today(),
    }
    return render(request, "operations/index.html", context)


@login_required
def commitment_detail(request, commitment_id: str):
    c = get_object_or_404(
        Commitment.objects.select_related("account", "product", "owner"),
        commitment_id=commitment_id,
    )
    periods = services.commitment_status(commitments=Commitment.objects.filter(pk=c.pk))
    allocation = None
    if c.kind == Commitment.Kind.PRIORITY_ALLOCATION:
        allocation = services.account_allocation(c.account.account_id)
        covered = services.products_of(c)
        if covered is not None:
            covered = set(covered)
            allocation["lines"] = [r for r in allocation["lines"] if r["product_id"] in covered]
    return render(
        request,
        "operations/commitment.html",
        {
            "c": c,
            "periods": list(reversed(periods)),
            "can_edit": c.editable_by(request.user),
            "allocation": allocation,
            "as_of": services.ledger_today(),
        },
    )


@login_required
def commitment_create(request):
    if not may_write(request.user):
        raise PermissionDenied("Viewers may not record commitments.")
    initial = {}
    account_id = request.GET.get("account")
    if account_id:
        initial["account"] = account_id
    form = CommitmentForm(request.POST or None, initial=initial)
    form.fields.pop("version")
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in form._meta.fields}
        values["product_line"] = values.get("product_line") or ""
        try:
            c = services.create_commitment(values, request.user, actor="web")
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            if c.warning:
                messages.warning(request, f"Recorded {c.commitment_id}. {c.warning}.")
            else:
                messages.success(request, f"Recorded {c.commitment_id}.")
            return redirect(c)
    return render(request, "operations/commitment_form.html", {"form": form, "c": None})


@login_required
def commitment_edit(request, commitment_id: str):
    c = get_object_or_404(Commitment.objects.select_related("account"), commitment_id=commitment_id)
    require_edit(request.user, c)
    form = CommitmentForm(request.POST or None, instance=Commitment.objects.get(pk=c.pk))
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            _, conflict = save_form(
                form,
                lambda values, version: services.update_commitment(
                    c,
                    {**values, "product_line": values.get("product_line") or ""},
                    version,
                    request.user,
                    actor="web",
                ),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            if conflict is None:
                c.refresh_from_db()
                if c.warning:
                    messages.warning(request, f"Saved {c.commitment_id}. {c.warning}.")
                else:
                    messages.success(request, f"Saved {c.commitment_id}.")
                return redirect(c)
    return render(
        request, "operations/commitment_form.html", {"form": form, "c": c, "conflict": conflict}
    )


@login_required
@require_POST
def commitment_delete(request, commitment_id: str):
    c = get_object_or_404(Commitment.objects.select_related("account"), commitment_id=commitment_id)
    services.delete_commitment(c, request.user, actor="web")
    messages.success(request, f"Deleted {commitment_id}.")
    return redirect("operations:index")


@login_required
def service(request):
    period = request.GET.get("period") or "quarter"
    if period not in PERIODS:
        period = "quarter"
    account = (request.GET.get("account") or "").strip() or None
    key_only = request.GET.get("scope", "key") == "key"
    report = services.service_report(period, account=account)
    rows = report["rows"]
    key_ids = set(
        Account.objects.filter(key_status=Account.KeyStatus.KEY).values_list(
            "account_id", flat=True
        )
    )
    if key_only and not account:
        rows = [r for r in rows if r["account_id"] in key_ids]
    names = dict(
        Account.objects.filter(account_id__in={r["account_id"] for r in rows}).values_list(
            "account_id", "name"
        )
    )
    rows = sorted(rows, key=lambda r: (r["period"], r["account_id"]), reverse=True)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    for r in page.object_list:
        r["name"] = names.get(r["account_id"], "")
        r["key"] = r["account_id"] in key_ids
    return render(
        request,
        "operations/service.html",
        {
            "page": page,
            "period": period,
            "periods": PERIODS,
            "account": account or "",
            "key_only": key_only,
            "as_of": report["as_of"],
        },
    )


def _allocation_args(request) -> tuple[str, object]:
    policy = request.GET.get("policy") or "protect"
    if policy not in POLICIES:
        raise Http404(f"unknown policy {policy!r}")
    try:
        as_of = services.parse_date(request.GET.get("as_of"))
    except ValueError as exc:
        raise Http404(str(exc)) from None
    return policy, as_of


@login_required
def allocation(request):
    policy = request.GET.get("policy") or "protect"
    error = None
    if policy not in POLICIES:
        error, policy = f"Unknown policy {policy!r}; showing the default.", "protect"
    try:
        as_of = services.parse_date(request.GET.get("as_of"))
    except ValueError as exc:
        error, as_of = f"As of: {exc}.", None
    report = services.allocation_report(policy, as_of)
    only_short = request.GET.get("show", "short") == "short"
    lines = report["lines"]
    if only_short:
        lines = [r for r in lines if r["short_quantity"] > 0 or r["rule"].startswith("protected")]
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "operations/allocation.html",
        {
            "report": report,
            "page": page,
            "policies": POLICIES,
            "only_short": only_short,
            "error": error,
            "losers": sorted(
                (a for a in report["accounts"] if not a["key"] and a["units_lost_to_priority"] > 0),
                key=lambda a: (-a["contribution_lost_to_priority"], a["account_id"]),
            )[:25],
            "key_rows": [a for a in report["accounts"] if a["key"]],
        },
    )


@login_required
def allocation_export(request, fmt: str):
    policy, as_of = _allocation_args(request)
    report = services.allocation_report(policy, as_of)
    name = f"confirmations-{policy}-{report['as_of'] or 'empty'}"
    if fmt == "csv":
        response = HttpResponse(exports.confirmation_csv(report), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(
            exports.confirmation_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    raise Http404(f"unknown format {fmt!r}; use csv or xlsx")
