"""Programme pages: readiness with its progress, partnerships, yearly reviews, settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openkam.web.accounts.models import Account
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.permissions import require_edit
from openkam.web.core.roles import runs_programme
from openkam.web.people.models import ChampionAppointment
from openkam.web.programme import readiness as checks
from openkam.web.programme import services
from openkam.web.programme.forms import (
    PartnershipForm,
    ReadinessSettingsForm,
    ReviewDecisionsForm,
)
from openkam.web.programme.models import Partnership, ProgrammeReview, ReadinessSettings


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
def readiness(request):
    today = timezone.localdate()
    steps = checks.readiness(today)
    history = services.progress()
    return render(
        request,
        "programme/readiness.html",
        {
            "steps": steps,
            "today": today,
            "labels": checks.STATUS_LABELS,
            "history": history,
            "chart": {
                "steps": [{"step": n, "name": name} for n, name in checks.STEPS.items()],
                "points": [{"at": h["at"], "statuses": h["statuses"]} for h in history],
            },
            "may_record": runs_programme(request.user),
            "target_pct": round(ReadinessSettings.current().target_share * 100),
        },
    )


@login_required
@require_POST
def record(request):
    if not runs_programme(request.user):
        raise PermissionDenied("Only the KAM champion or an administrator records readiness.")
    snapshot = services.record_readiness(force=True)
    messages.success(
        request, f"Readiness recorded at {timezone.localtime(snapshot.taken_at):%H:%M}."
    )
    return redirect("programme:readiness")


@login_required
def settings_edit(request):
    current = ReadinessSettings.current()
    if request.method == "POST":
        if not runs_programme(request.user):
            raise PermissionDenied("Only the KAM champion or an administrator sets thresholds.")
        form = ReadinessSettingsForm(request.POST, instance=ReadinessSettings.current())
        if form.is_valid():
            version = form.cleaned_data["version"] if current.pk else None
            try:
                services.update_settings(form.changed_values(), version, request.user)
            except ConcurrentEditError as exc:
                form.add_error(None, str(exc))
                form.data = form.data.copy()
                form.data["version"] = exc.current
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, "Readiness thresholds saved.")
                return redirect("programme:readiness")
    else:
        form = ReadinessSettingsForm(instance=current, initial={"version": current.version})
    return render(
        request,
        "programme/settings.html",
        {"form": form, "may_edit": runs_programme(request.user)},
    )


@login_required
def champion(request):
    """Who is the champion, since when, reporting to whom (edited on the organisation's
    pages; shown here because readiness step 3 links to it)."""
    return render(
        request,
        "programme/champion.html",
        {
            "current": ChampionAppointment.objects.filter(until__isnull=True)
            .select_related("person", "reports_to")
            .first(),
            "past": ChampionAppointment.objects.exclude(until__isnull=True).select_related(
                "person", "reports_to"
            ),
        },
    )


@login_required
def partnerships(request):
    status = request.GET.get("status", "")
    key = Account.objects.filter(key_status=Account.KeyStatus.KEY).select_related("kam")
    recorded = {
        p.account_id: p
        for p in Partnership.objects.select_related("agreed_by").filter(
            account__in=Account.objects.filter(key_status=Account.KeyStatus.KEY)
        )
    }
    rows = [{"account": a, "partnership": recorded.get(a.pk)} for a in key]
    if status == "none":
        rows = [r for r in rows if r["partnership"] is None]
    elif status:
        rows = [r for r in rows if r["partnership"] and r["partnership"].status == status]
    counts = {s: 0 for s, _ in Partnership.Status.choices}
    for p in recorded.values():
        counts[p.status] += 1
    return render(
        request,
        "programme/partnerships.html",
        {
            "rows": rows,
            "status": status,
            "statuses": Partnership.Status.choices,
            "counts": counts,
            "without": key.count() - len(recorded),
        },
    )


@login_required
def partnership(request, account_id: str):
    account = get_object_or_404(Account, account_id=account_id)
    current = Partnership.objects.filter(account=account).first()
    may_edit = account.editable_by(request.user)
    form = PartnershipForm(
        request.POST or None,
        instance=current or Partnership(account=account, status_date=timezone.localdate()),
        account=account,
    )
    if current is None:
        form.fields["version"].required = False
    if request.method == "POST":
        require_edit(request.user, account)
        if form.is_valid():
            values = {
                k: form.cleaned_data[k] for k in ("status", "status_date", "agreed_by", "notes")
            }
            try:
                services.set_partnership(
                    account,
                    values,
                    form.cleaned_data.get("version") if current else None,
                    request.user,
                    benefits=[v.pk for v in form.cleaned_data["benefits"]],
                )
            except ConcurrentEditError as exc:
                form.add_error(None, str(exc))
                form.data = form.data.copy()
                form.data["version"] = exc.current
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, f"Partnership with {account.name} saved.")
                return redirect(account)
    return render(
        request,
        "programme/partnership_form.html",
        {"account": account, "form": form, "partnership": current, "may_edit": may_edit},
    )


@login_required
def reviews(request):
    return render(
        request,
        "programme/reviews.html",
        {
            "reviews": ProgrammeReview.objects.select_related("signed_by", "closed_by"),
            "may_open": runs_programme(request.user),
            "this_year": timezone.localdate().year,
        },
    )


@login_required
@require_POST
def review_open(request):
    try:
        year = int(request.POST.get("year", ""))
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        messages.error(request, "Give the review's year, e.g. 2026.")
        return redirect("programme:reviews")
    try:
        review = services.open_review(year, request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("programme:reviews")
    return redirect(review)


@login_required
def review_detail(request, year: int):
    review = get_object_or_404(
        ProgrammeReview.objects.select_related("previous", "selection_review", "signed_by"),
        year=year,
    )
    form = ReviewDecisionsForm(request.POST or None, instance=review)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "refresh":
                services.refresh_review(review, request.user)
                messages.success(request, "Figures gathered again.")
                return redirect(review)
            if form.is_valid():
                version = form.cleaned_data["version"]
                if action == "close":
                    services.close_review(
                        review, form.cleaned_data["decisions"], version, request.user
                    )
                    messages.success(request, f"The {review.year} programme review is closed.")
                else:
                    services.update_review(
                        review, {"decisions": form.cleaned_data["decisions"]}, version, request.user
                    )
                    messages.success(request, "Decisions saved.")
                return redirect(review)
        except ConcurrentEditError as exc:
            form.add_error(None, str(exc))
            form.data = form.data.copy()
            form.data["version"] = exc.current
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
    gathered = review.gathered or {}
    return render(
        request,
        "programme/review_detail.html",
        {
            "review": review,
            "form": form,
            "gathered": gathered,
            "readiness": [
                {"step": n, "name": name, "status": gathered.get("readiness", {}).get(str(n))}
                for n, name in checks.STEPS.items()
            ],
            "labels": checks.STATUS_LABELS,
            "may_edit": runs_programme(request.user) and review.status == review.Status.OPEN,
        },
    )
