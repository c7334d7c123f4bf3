"""Pages that belong to no single domain: the home page, the health check, and the progress
of the analytics engine's runs (started from the domain pages by ``start_run``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from openkam.web.accounts.models import LISTED_VERSION, Account
from openkam.web.core import runs
from openkam.web.core.models import AuditEvent, Computation
from openkam.web.core.roles import may_write, person_of


@login_required
def home(request):
    from openkam.web.core.derived import lazy_parts

    person = person_of(request.user)
    # One read of the accounts for the three numbers and for their version (see
    # _alerts_key): a large portfolio's accounts are read whole for a count anyway.
    counts = Account.objects.aggregate(
        key=Count("id", filter=Q(key_status=Account.KeyStatus.KEY)),
        kams=Count("kam", distinct=True),
        # The number of accounts, and their version as the page shows them.
        **LISTED_VERSION,
    )
    # Everything but the recent changes is kept rendered per process ({% cache %} keyed
    # on _alerts_key): the account lists and their figures are read only on a miss.
    part = lazy_parts(lambda: _accounts_part(person))
    context = {
        "loss_makers": part("loss_makers"),
        "currency": getattr(settings, "OPENKAM_REPORTING_CURRENCY", None) or "EUR",
        "figures_year": part("figures_year"),
        "person": person,
        "my_accounts": part("my_accounts"),
        "sponsored_accounts": part("sponsored_accounts"),
        "key_accounts": part("key_accounts"),
        "counts": counts,
        "alerts_key": _alerts_key(request.user, person, counts),
        "recent_events": AuditEvent.objects.select_related("user__person", "content_type")[:10],
    }
    return render(request, "core/home.html", context)


def _accounts_part(person) -> dict:
    """The home page's account lists (the person's own, those they sponsor, the key
    accounts) with their figures, and the key accounts losing money."""
    accounts = Account.objects.with_owner()
    mine = list(accounts.filter(kam=person)) if person is not None else []
    sponsored = list(accounts.filter(sponsor=person)) if person is not None else []
    key_accounts = list(accounts.filter(key_status=Account.KeyStatus.KEY))
    year = _attach_figures(key_accounts + mine + sponsored)
    return {
        "loss_makers": _loss_makers(key_accounts),
        "figures_year": year,
        "my_accounts": mine,
        "sponsored_accounts": sponsored,
        "key_accounts": key_accounts,
    }


def _alerts_key(user, person, counts: dict) -> str:
    """What the home page's alerts (plans, organisation, partnerships, commitments) and
    account lists (with their figures and the key accounts losing money) show depend on,
    for the cache that keeps them rendered per process: who is asking, today, the
    version of every table they read (``versions.stamp``), the current runs and the
    ledger (the plans' actuals, the commitments' measures)."""
    import datetime as dt

    from django.utils import timezone

    from openkam.web.core.ledger import fingerprint
    from openkam.web.core.roles import runs_programme
    from openkam.web.core.versions import stamp
    from openkam.web.operations.models import Commitment
    from openkam.web.people.models import (
        Assignment,
        ChampionAppointment,
        Person,
        ProgrammeRules,
        RuleException,
        SponsorVisit,
    )
    from openkam.web.planning.models import Action, Objective, Plan, PlanVersion
    from openkam.web.profitability.models import ProfitabilitySettings
    from openkam.web.programme.models import Partnership

    tables = (Person, ProgrammeRules, RuleException, SponsorVisit, ChampionAppointment)
    tables += (Assignment, Plan, Objective, Action, PlanVersion, Partnership, Commitment)
    tables += (ProfitabilitySettings,)
    found = [runs.current(kind) for kind in (Computation.Kind.PROFITABILITY, Computation.Kind.CLV)]
    return repr(
        (
            person.pk if person is not None else None,
            runs_programme(user),
            dt.date.today(),
            timezone.localdate(),
            sorted(counts.items()),
            stamp(*tables),
            [(r.pk, r.finished, r.is_current) if r else None for r in found],
            fingerprint(),
        )
    )


def favicon(request):
    """Browsers and crawlers that ask for /favicon.ico get the vendored icon."""
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("openkam/favicon.ico"))


def health(request):
    return JsonResponse({"status": "ok"})


def _attach_figures(accounts: list[Account]) -> str | None:
    """Give each account its latest year's net sales and net contribution, and its CLV."""
    import datetime as dt

    keys = tuple(dict.fromkeys(a.account_id for a in accounts))
    # The last complete year: the current one is a year to date, not comparable.
    year, figures = runs.derived(
        (Computation.Kind.PROFITABILITY, Computation.Kind.CLV),
        ("home-figures", dt.date.today(), keys),
        lambda: _figures_of(keys),
    )
    for a in accounts:
        a.net_sales, a.net_contribution, a.clv = figures.get(a.account_id, (None, None, None))
    return year


def _figures_of(keys: tuple[str, ...]) -> tuple[str | None, dict[str, tuple]]:
    """The last complete year and ``{account: (net sales, net contribution, CLV)}`` from the
    current runs (read once per run: see ``runs.derived``)."""
    from openkam.web.lifetime_value.figures import clv_of
    from openkam.web.profitability.figures import figures_by_account, last_complete_year

    year = last_complete_year()
    if year is None:
        return None, {}
    # Subsidiaries included, as everywhere the home page shows an account's figures: the
    # rolled-up row (kept for accounts with subsidiaries) wins over the account's own.
    rows = {}
    for rolled_up in (False, True):
        rows.update(
            {
                key: (net_sales, net_contribution)
                for key, net_sales, net_contribution in figures_by_account(
                    grain="year", period=year, rolled_up=rolled_up
                )
                .filter(account_key__in=keys)
                .values_list("account_key", "net_sales", "net_contribution")
            }
        )
    clv = clv_of(keys)
    return year, {
        key: (*rows.get(key, (None, None)), clv.get(key))
        for key in keys
        if key in rows or key in clv
    }


def _loss_makers(key_accounts: list[Account]) -> list[dict]:
    """Key accounts losing money (last complete year or this year to date), worst first,
    with their trend and lifetime value: a loss is a decision to keep investing only when
    the lifetime value says so (DESIGN §1.2)."""
    import datetime as dt

    from openkam.web.planning.models import Plan

    keys = tuple(a.account_id for a in key_accounts)
    found = runs.derived(
        (Computation.Kind.PROFITABILITY, Computation.Kind.CLV),
        ("loss-makers", dt.date.today(), keys),
        lambda: _losses_of(keys),
    )
    if not found:
        return []
    by_key = {a.account_id: a for a in key_accounts}
    # Whether each has a plan to link to, in one query (not one per row).
    planned = set(
        Plan.objects.filter(account__account_id__in=[r["key"] for r in found]).values_list(
            "account__account_id", flat=True
        )
    )
    return [{**r, "account": by_key[r["key"]], "has_plan": r["key"] in planned} for r in found]


def _losses_of(keys: tuple[str, ...]) -> list[dict]:
    """The run-derived part of ``_loss_makers`` (read once per run: see ``runs.derived``)."""
    from openkam.web.lifetime_value.figures import clv_of
    from openkam.web.profitability.figures import contribution_history

    history = contribution_history(keys)
    clv = clv_of(keys)
    out = []
    for key in keys:
        h = history.get(key)
        if h is None:
            continue
        last = h["years"][-1] if h["years"] else None
        if not ((last and last[1] < 0) or (h["ytd"] is not None and h["ytd"] < 0)):
            continue
        if h["ytd"] is not None and h["ytd_last_year"] is not None:
            # This year to date against the same months of last year.
            change = h["ytd"] - h["ytd_last_year"]
        elif len(h["years"]) >= 2:
            change = h["years"][-1][1] - h["years"][-2][1]
        else:
            change = None
        out.append(
            {
                "key": key,
                "years": h["years"],
                "last": last,
                "ytd": h["ytd"],
                "ytd_last_year": h["ytd_last_year"],
                "months": h["months"],
                "change": change,
                "clv": clv.get(key),
                "spark": _sparkline([v for _, v in h["years"]]),
            }
        )
    out.sort(key=lambda r: r["last"][1] if r["last"] else 0)
    return out


def _sparkline(values, width: int = 90, height: int = 24) -> dict | None:
    """Points of a small SVG polyline through ``values`` (with the zero line's height)."""
    values = [float(v) for v in values if v is not None]
    if len(values) < 2:
        return None
    lo, hi = min(min(values), 0.0), max(max(values), 0.0)
    span = (hi - lo) or 1.0
    step = width / (len(values) - 1)
    y = [round(height - 2 - (v - lo) / span * (height - 4), 1) for v in values]
    points = " ".join(f"{round(i * step, 1)},{yy}" for i, yy in enumerate(y))
    zero = round(height - 2 - (0 - lo) / span * (height - 4), 1)
    return {"points": points, "zero": zero, "width": width, "height": height, "last": y[-1]}


def start_run(request, kind: str, task, params: dict, target: str):
    """Queue a recomputation of ``kind`` from a page: the run's progress in place for htmx,
    else a redirect to ``target`` (a URL name); viewers may not start one."""
    if not may_write(request.user):
        raise PermissionDenied("Viewers cannot start recomputations.")
    try:
        run = runs.request(kind, params, request.user, task)
    except runs.AlreadyRunning as exc:
        if request.htmx:
            # In place: the run already under way, with its progress (a redirect would be
            # followed by htmx and swap a whole page into the status box).
            return render(request, "core/_run_progress.html", {"run": runs.latest(kind)})
        messages.warning(request, str(exc))
        return redirect(target)
    if request.htmx:
        return render(request, "core/_run_progress.html", {"run": run})
    return redirect(target)


@login_required
def run_progress(request, pk: int):
    run = get_object_or_404(Computation, pk=pk)
    response = render(request, "core/_run_progress.html", {"run": run})
    if not run.active and request.htmx:
        # Finished: reload the page so it shows the new numbers.
        response["HX-Refresh"] = "true"
    return response
