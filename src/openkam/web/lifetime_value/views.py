"""The Lifetime value page and its recomputation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Q, Sum
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from openkam.web.accounts.models import Account
from openkam.web.core import runs
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.derived import data_version, of_run, run_key
from openkam.web.core.kept import Kept
from openkam.web.core.models import Computation
from openkam.web.core.roles import may_write
from openkam.web.core.views import start_run
from openkam.web.lifetime_value.forms import ClvSettingsForm
from openkam.web.lifetime_value.models import AccountValue, ClvSettings
from openkam.web.lifetime_value.services import recompute_clv, settings_params, update_settings


@login_required
@require_POST
def recompute(request):
    """Start a recomputation of the lifetime values (with the current settings)."""
    return start_run(
        request, Computation.Kind.CLV, recompute_clv, settings_params(), "lifetime_value:index"
    )


@login_required
def clv(request):
    settings_obj = ClvSettings.load()
    can_edit_settings = settings_obj.editable_by(request.user)
    form = ClvSettingsForm(instance=settings_obj)
    conflict = None
    if request.method == "POST":
        if not can_edit_settings:
            raise PermissionDenied("Only the champion or an admin changes the CLV settings.")
        form = ClvSettingsForm(request.POST, instance=ClvSettings.load())
        if form.is_valid():
            try:
                update_settings(form.cleaned_data, request.user)
            except ConcurrentEditError as exc:
                conflict = exc
            else:
                messages.success(request, "Settings saved; recompute to apply them.")
                return redirect("lifetime_value:index")
    run = runs.current(Computation.Kind.CLV)
    values = AccountValue.objects.filter(computation=run) if run else AccountValue.objects.none()
    valued = values.exclude(clv_contribution=None)
    currency = run.currency if run else settings.OPENKAM_REPORTING_CURRENCY
    context = {
        "run": run,
        "currency": currency,
        "latest": runs.latest(Computation.Kind.CLV),
        "can_recompute": may_write(request.user),
        "can_edit_settings": can_edit_settings,
        "form": form,
        "conflict": conflict,
        "settings": settings_obj,
        **_run_figures(run, values, valued),
        "diagnostics": run.summary if run else {},
    }
    done = run_key(run)
    if run is not None:
        # The figures below the cards show the run's values, the accounts' names and key
        # status and the query's search, filter, sort and page: rendered once under them.
        def make() -> str:
            return _render_figures(request, valued, context)

        key = ("clv", data_version(Account), _query_of(request))
        context["figures"] = of_run(done, key, make, _fragments)
    return render(request, "lifetime_value/clv.html", context)


#: Rendered tables of the page (a few dozen KiB each), by run, accounts and query.
_fragments = Kept(48)


def _query_of(request) -> tuple:
    return tuple(sorted((k, tuple(v)) for k, v in request.GET.lists()))


def _render_figures(request, valued, page_context: dict) -> str:
    """The model's diagnostics, the table of accounts (one page, as the query searches,
    filters and sorts it) and the charts' data."""
    # The table's search and key-account filter narrow the rows, not the totals or the chart.
    listed = valued
    q = request.GET.get("q", "").strip()
    if q:
        listed = listed.filter(
            account_key__in=Account.objects.filter(
                Q(name__icontains=q) | Q(account_id__icontains=q)
            ).values("account_id")
        )
    key_only = request.GET.get("key") == "1"
    if key_only:
        listed = listed.filter(
            account_key__in=Account.objects.filter(key_status=Account.KeyStatus.KEY).values(
                "account_id"
            )
        )
    sort = request.GET.get("sort", "-clv_contribution")
    allowed = {
        "clv_contribution",
        "clv_revenue",
        "probability_alive",
        "expected_contribution_12m",
        "account_key",
    }
    key = sort.lstrip("-") if sort.lstrip("-") in allowed else "clv_contribution"
    expr = F(key)
    page = Paginator(
        listed.order_by(
            expr.desc(nulls_last=True) if sort.startswith("-") else expr.asc(nulls_last=True),
            "account_key",
        ),
        25,
    ).get_page(request.GET.get("page"))
    names = {
        a: (name, status)
        for a, name, status in Account.objects.filter(
            account_id__in=[v.account_key for v in page]
        ).values_list("account_id", "name", "key_status")
    }
    for v in page:
        v.name, status = names.get(v.account_key, (v.account_key, ""))
        v.is_key = status == Account.KeyStatus.KEY
    query = request.GET.copy()
    query.pop("page", None)
    query_without_sort = query.copy()
    query_without_sort.pop("sort", None)
    context = {
        **page_context,
        "page": page,
        "sort": sort,
        "q": q,
        "key_only": key_only,
        "query": query.urlencode(),
        "query_without_sort": query_without_sort.urlencode(),
    }
    return render_to_string("lifetime_value/_clv_figures.html", context, request)


def _run_figures(run, values, valued) -> dict:
    """The run's totals and distribution (every account's value): kept per process under
    the run's identity, as a finished run never changes."""

    def figures() -> dict:
        return {
            "totals": valued.aggregate(
                clv_contribution=Sum("clv_contribution"), clv_revenue=Sum("clv_revenue")
            ),
            "n_valued": valued.count(),
            "not_valued": values.filter(clv_contribution=None).count(),
            "histogram": _histogram(
                [float(v) for v in valued.values_list("clv_contribution", flat=True)]
            )
            | {"currency": run.currency if run else settings.OPENKAM_REPORTING_CURRENCY},
        }

    return of_run(run_key(run), ("clv",), figures)


def _histogram(values: list[float], target_bins: int = 24) -> dict:
    """Accounts per CLV bin, on round bin edges a reader can say out loud (-250k, -225k …).

    The bins cover the 1st to the 99th percentile; accounts beyond fall in the first or last
    bin, whose labels say so ("below -250k", "325k and more").
    """
    import numpy as np

    if not values:
        return {"labels": [], "counts": [], "step": None}
    arr = np.asarray(values, dtype=float)
    lo, hi = (float(x) for x in np.percentile(arr, [1, 99]))
    step = nice_step(hi - lo, target_bins)
    start = np.floor(lo / step) * step
    stop = max(np.ceil(hi / step) * step, start + step)
    edges = np.arange(start, stop + step / 2, step)
    counts, _ = np.histogram(np.clip(arr, start, stop - step / 2), bins=edges)
    labels = [short_amount(e) for e in edges[:-1]]
    if arr.min() < start:
        labels[0] = f"below {short_amount(edges[1])}"
    if arr.max() >= stop:
        labels[-1] = f"{short_amount(edges[-2])} and more"
    return {"labels": labels, "counts": counts.tolist(), "step": step}


def nice_step(span: float, target_bins: int = 24) -> float:
    """The round bin width (1, 2, 2.5 or 5 × a power of ten) giving about ``target_bins``.

    E.g. a span of 590,000 over 24 bins is 24,583 raw, rounded up to 25,000.
    """
    import math

    if span <= 0:
        return 1.0
    raw = span / target_bins
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def short_amount(value: float) -> str:
    """A round amount for an axis: 0, 500, 25k, -250k, 1.5M."""
    size = abs(value)
    if size >= 1e6:
        text = f"{value / 1e6:.2f}".rstrip("0").rstrip(".") + "M"
    elif size >= 1e3:
        text = f"{value / 1e3:.1f}".rstrip("0").rstrip(".") + "k"
    else:
        text = f"{value:.0f}"
    return text.replace("-", "−")
