"""Plan pages: the overview, the one-page plan, its edit forms, history, exports, sharing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from openkam.web.accounts.models import Account
from openkam.web.core.concurrency import ConcurrentEditError, save_form
from openkam.web.core.permissions import require_edit
from openkam.web.planning import exports, services
from openkam.web.planning.alerts import plan_alerts
from openkam.web.planning.document import plan_document
from openkam.web.planning.forms import PART_FORMS, PlanForm, SharingForm
from openkam.web.planning.models import SHAREABLE_SECTIONS, Plan
from openkam.web.planning.mutual import mutual_plan

PART_TITLES = {
    "objectives": "objective",
    "value_propositions": "value proposition",
    "whitespace": "whitespace cell",
    "risks": "risk",
    "actions": "action",
}


def _account(account_id: str) -> Account:
    return get_object_or_404(Account.objects.with_owner(), account_id=account_id)


def _plan(account_id: str) -> Plan:
    """The account's existing plan; 404 when none was started (a read creates nothing)."""
    plan = services.existing_plan(_account(account_id))
    if plan is None:
        raise Http404("This account has no plan yet.")
    return plan


def _plan_to_write(request, account_id: str) -> Plan:
    """The plan a POST writes to, started on the way if the user may edit the account."""
    account = _account(account_id)
    plan = services.existing_plan(account)
    return plan if plan is not None else services.start_plan(account, request.user)


def _version(request) -> int | None:
    """The plan version a button's form was rendered at (None from an old page: no check)."""
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@login_required
def overview(request):
    """Every plan's state for the champion: review dates, sign-off, alerts.

    The page is the same for everyone and changes only with the plans, their accounts and
    the figures: it is kept rendered per process ({% cache %} keyed on ``_overview_key``)
    and its content computed only when the cache has no copy for that key."""
    from openkam.web.core.derived import lazy_parts

    part = lazy_parts(lambda: _overview(request))
    return render(
        request,
        "planning/overview.html",
        {
            "rows": part("rows"),
            "alerts": part("alerts"),
            "key_without_plan": part("key_without_plan"),
            "overview_key": _overview_key(),
        },
    )


def _overview(request) -> dict:
    from django.db.models import Count

    from openkam.web.planning.models import PlanVersion

    plans = Plan.objects.select_related("account", "account__kam").order_by("account__name")
    alerts = plan_alerts(plans, request=request)
    by_plan: dict[int, list] = {}
    for alert in alerts:
        by_plan.setdefault(alert["plan"].pk, []).append(alert)
    plans = list(plans.annotate(n_versions=Count("versions")))
    # Each plan's latest signed version, all in one query (newest first: the first wins).
    signed: dict[int, PlanVersion] = {}
    for version in PlanVersion.objects.filter(
        plan__in=[p.pk for p in plans], signed_at__isnull=False
    ).select_related("signed_by"):
        signed.setdefault(version.plan_id, version)
    rows = [
        {
            "plan": p,
            "alerts": by_plan.get(p.pk, []),
            "signed": signed.get(p.pk),
            "versions": p.n_versions,
        }
        for p in plans
    ]
    without = Account.objects.filter(key_status=Account.KeyStatus.KEY, plan__isnull=True)
    return {"rows": rows, "alerts": alerts, "key_without_plan": list(without.with_owner())}


def _overview_key() -> str:
    """What the plans overview shows depends on: today, the plans and their parts (the
    version of their tables, ``core.versions.stamp``), the key accounts and those with a
    plan (their names and KAMs), the people, the current runs and the ledger (the
    objectives' actuals) and the profitability settings (the actuals' cost of capital)."""
    import datetime as dt

    from django.utils import timezone

    from openkam.web.core import runs
    from openkam.web.core.ledger import fingerprint
    from openkam.web.core.models import Computation
    from openkam.web.core.versions import stamp
    from openkam.web.people.models import Person
    from openkam.web.planning.models import Action, Objective, PlanVersion
    from openkam.web.profitability.models import ProfitabilitySettings

    # Two indexed reads (the key accounts; the plans' accounts, from the plans), where one
    # with an OR reads every account of a large portfolio.
    shown = (
        Account.objects.filter(key_status=Account.KeyStatus.KEY).listed_version(),
        Account.objects.filter(plan__isnull=False).listed_version(),
    )
    found = [runs.current(kind) for kind in (Computation.Kind.PROFITABILITY, Computation.Kind.CLV)]
    return repr(
        (
            dt.date.today(),
            timezone.localdate(),
            shown,
            stamp(Plan, Objective, Action, PlanVersion, Person, ProfitabilitySettings),
            [(r.pk, r.finished) if r else None for r in found],
            fingerprint(),
        )
    )


@login_required
def plan_view(request, account_id: str):
    account = _account(account_id)
    plan = services.existing_plan(account)
    if plan is None:
        return render(
            request,
            "planning/plan_missing.html",
            {"account": account, "can_edit": account.editable_by(request.user)},
        )
    doc = plan_document(plan, request=request)
    return render(
        request,
        "planning/plan.html",
        {
            "doc": doc,
            "can_edit": plan.editable_by(request.user),
            "may_sign": services.may_sign(request.user, plan),
            "sharing_form": SharingForm(initial={"sections": plan.shared_sections}),
            "shareable": SHAREABLE_SECTIONS,
            "share_url": request.build_absolute_uri(f"/plans/shared/{plan.share_token}/")
            if plan.share_token
            else "",
            "part_titles": PART_TITLES,
        },
    )


@login_required
@require_POST
def plan_start(request, account_id: str):
    plan = services.start_plan(_account(account_id), request.user)
    messages.success(request, "Started the plan.")
    return redirect(plan)


@login_required
def plan_edit(request, account_id: str):
    plan = _plan_to_write(request, account_id) if request.method == "POST" else _plan(account_id)
    require_edit(request.user, plan)
    conflict = None
    form = PlanForm(request.POST or None, instance=Plan.objects.get(pk=plan.pk))
    if request.method == "POST" and form.is_valid():
        note = request.POST.get("note", "")
        changes, conflict = save_form(
            form,
            lambda values, version: services.update_plan(
                plan, values, version, request.user, note=note
            ),
        )
        if conflict is None:
            messages.success(
                request, f"Saved {len(changes)} change(s)." if changes else "Nothing changed."
            )
            return redirect(plan)
    return render(
        request,
        "planning/plan_form.html",
        {"plan": plan, "form": form, "conflict": conflict, "title": "Edit plan", "note": True},
    )


def _kind(kind: str):
    if kind not in PART_FORMS:
        raise Http404("no such part of a plan")
    return services.PARTS[kind][0], PART_FORMS[kind]


@login_required
def part_add(request, account_id: str, kind: str):
    plan = _plan_to_write(request, account_id) if request.method == "POST" else _plan(account_id)
    model, form_class = _kind(kind)
    require_edit(request.user, plan)
    form = form_class(request.POST or None, instance=model(plan=plan), plan=plan)
    form.fields.pop("version")
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in form._meta.fields}
        try:
            services.add_part(plan, kind, values, request.user)
        except ValidationError as exc:
            # e.g. the same whitespace cell twice: said on the form, nothing saved.
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Added the {PART_TITLES[kind]}.")
            return redirect(f"{plan.get_absolute_url()}#{kind}")
    return render(
        request,
        "planning/plan_form.html",
        {"plan": plan, "form": form, "title": f"Add {PART_TITLES[kind]}"},
    )


@login_required
def part_edit(request, account_id: str, kind: str, pk: int):
    plan = _plan(account_id)
    model, form_class = _kind(kind)
    obj = get_object_or_404(model, pk=pk, plan=plan)
    require_edit(request.user, obj)
    conflict = None
    form = form_class(request.POST or None, instance=model.objects.get(pk=obj.pk))
    if request.method == "POST" and form.is_valid():
        _, conflict = save_form(
            form, lambda values, version: services.update_part(obj, values, version, request.user)
        )
        if conflict is None:
            messages.success(request, f"Saved the {PART_TITLES[kind]}.")
            return redirect(f"{plan.get_absolute_url()}#{kind}")
    return render(
        request,
        "planning/plan_form.html",
        {
            "plan": plan,
            "form": form,
            "conflict": conflict,
            "title": f"Edit {PART_TITLES[kind]}",
            "delete_url": f"{plan.get_absolute_url()}{kind}/{obj.pk}/delete/",
        },
    )


@login_required
@require_POST
def part_delete(request, account_id: str, kind: str, pk: int):
    plan = _plan(account_id)
    model, _ = _kind(kind)
    obj = get_object_or_404(model, pk=pk, plan=plan)
    services.delete_part(obj, request.user)
    messages.success(request, f"Removed the {PART_TITLES[kind]}.")
    return redirect(f"{plan.get_absolute_url()}#{kind}")


@login_required
@require_POST
def plan_review(request, account_id: str):
    plan = _plan(account_id)
    try:
        services.mark_reviewed(plan, request.user, _version(request))
    except ConcurrentEditError as exc:
        messages.error(request, f"Not recorded: {exc}. Read the plan again, then mark it.")
        return redirect(plan)
    messages.success(request, f"Review recorded; the next one is due on {plan.next_review}.")
    return redirect(plan)


@login_required
@require_POST
def plan_sharing(request, account_id: str):
    plan = _plan(account_id)
    action = request.POST.get("action", "sections")
    if action == "link":
        services.create_share_link(plan, request.user)
        messages.success(request, "Created a new link to the mutual plan.")
    elif action == "revoke":
        services.revoke_share_link(plan, request.user)
        messages.success(request, "The link no longer works.")
    else:
        form = SharingForm(request.POST)
        if form.is_valid():
            try:
                services.set_sharing(
                    plan, form.cleaned_data["sections"], request.user, _version(request)
                )
            except ConcurrentEditError as exc:
                messages.error(request, f"Not saved: {exc}. Check the sections again.")
            else:
                messages.success(request, "Saved what the customer sees.")
    return redirect(f"{plan.get_absolute_url()}#sharing")


@login_required
def plan_sharing_preview(request, account_id: str):
    """Exactly what the customer sees through the link, for the plan's readers."""
    plan = _plan(account_id)
    return render(
        request,
        "planning/shared.html",
        {
            "mutual": mutual_plan(plan),
            "preview": True,
            "share_link_exists": bool(plan.share_token),
            "back_url": plan.get_absolute_url(),
        },
    )


@login_required
def plan_history(request, account_id: str):
    plan = _plan(account_id)
    versions = plan.versions.select_related("author", "signed_by")
    return render(
        request,
        "planning/history.html",
        {"plan": plan, "versions": versions, "may_sign": services.may_sign(request.user, plan)},
    )


@login_required
def plan_compare(request, account_id: str):
    plan = _plan(account_id)
    try:
        a, b = int(request.GET["a"]), int(request.GET["b"])
    except (KeyError, ValueError):
        messages.error(request, "Choose two versions to compare (version numbers).")
        return redirect("planning:history", account_id=account_id)
    a, b = min(a, b), max(a, b)
    older = plan.versions.filter(number=a).first()
    newer = plan.versions.filter(number=b).first()
    if older is None or newer is None:
        messages.error(request, f"The plan has no version {a if older is None else b}.")
        return redirect("planning:history", account_id=account_id)
    return render(
        request,
        "planning/compare.html",
        {
            "plan": plan,
            "older": older,
            "newer": newer,
            "rows": services.compare(older.content, newer.content),
        },
    )


@login_required
@require_POST
def plan_sign(request, account_id: str, number: int):
    plan = _plan(account_id)
    version = get_object_or_404(plan.versions, number=number)
    services.sign_off(version, request.user)
    messages.success(request, f"Signed off version {number}.")
    return redirect("planning:history", account_id=account_id)


@login_required
def plan_export(request, account_id: str, fmt: str):
    plan = _plan(account_id)
    if fmt not in exports.FORMATS:
        raise Http404("unknown export format")
    doc = plan_document(plan, request=request)
    data, content_type, ext = exports.render(fmt, doc)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.account.account_id}.{ext}"'
    return response


def shared_plan(request, token: str):
    """The mutual plan: read-only, no login, only the sections the KAM shares."""
    if len(token) < 20:
        raise Http404
    plan = get_object_or_404(Plan.objects.select_related("account"), share_token=token)
    response = render(request, "planning/shared.html", {"mutual": mutual_plan(plan)})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
