"""Account pages: list, detail, edit; contacts."""

from __future__ import annotations

from contextlib import nullcontext

import narwhals as nw
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render

from openkam.engine.sales import recent_invoice_lines, sales_by_year
from openkam.web.accounts import services
from openkam.web.accounts.filtersets import AccountFilterSet
from openkam.web.accounts.forms import AccountForm, ContactForm
from openkam.web.accounts.models import Account, Contact
from openkam.web.accounts.paging import keyset_page, offset_page
from openkam.web.core.concurrency import save_form
from openkam.web.core.kept import ACCOUNTS_KEPT, Kept
from openkam.web.core.ledger import account_lines, identity
from openkam.web.core.permissions import require_edit
from openkam.web.core.planner import avoiding
from openkam.web.core.plugins import account_panels
from openkam.web.people.assignments import RuleViolation
from openkam.web.people.models import Person

SORTS = {
    "name": "name",
    "-name": "-name",
    "account_id": "account_id",
    "-account_id": "-account_id",
    "industry": "industry",
    "-industry": "-industry",
    "region": "region",
    "-region": "-region",
    "kam": "kam__name",
    "-kam": "-kam__name",
    "status": "key_status",
    "-status": "-key_status",
}

#: Sorts on non-null columns page by keyset: (column, descending), then the primary key in
#: the same direction, so that one index on (column, id) serves either direction.
KEYSET_SORTS = {
    sort: [(column.lstrip("-"), column.startswith("-")), ("pk", column.startswith("-"))]
    for sort, column in SORTS.items()
    if not column.lstrip("-").startswith("kam__")
}

QUADRANT_LABELS = dict(AccountFilterSet.base_filters["quadrant"].extra["choices"])

#: Money columns: sorted on the stored figures of the list's year (nulls last either way).
FIGURE_SORTS = {
    "net_sales": "net_sales",
    "contribution": "net_contribution",
    "margin": "contribution_margin_pct",
}


def _ordered(queryset, sort: str, year: str | None):
    """The list in ``sort`` order; a money column sorts on one indexed lookup per account."""
    from django.db.models import F

    from openkam.web.lifetime_value.figures import clv_figure
    from openkam.web.profitability.figures import year_figure

    key = sort.lstrip("-")
    expression = None
    if key in FIGURE_SORTS and year:
        expression = year_figure(FIGURE_SORTS[key], year)
    elif key == "clv":
        expression = clv_figure()
    if expression is None:
        column = SORTS.get(sort, "name")
        return queryset.order_by(column, "-pk" if column.startswith("-") else "pk")
    queryset = queryset.annotate(_sort=expression)
    order = (
        F("_sort").desc(nulls_last=True)
        if sort.startswith("-")
        else F("_sort").asc(nulls_last=True)
    )
    return queryset.order_by(order, "pk")


#: The filters' choices change only with imports and edits: kept this long per process.
FILTER_CHOICES_SECONDS = 60
FILTER_CHOICES_KEY = "accounts:filter-choices"


def filter_choices() -> dict:
    """The industries, regions and KAMs the list's filters offer.

    Each is a scan of the whole accounts table (about 70 ms each with 100,000 accounts on
    PostgreSQL), the same for every user and every page: computed once a minute per server
    process rather than on every request. An import of accounts clears it.
    """
    choices = cache.get(FILTER_CHOICES_KEY)
    if choices is None:
        choices = {
            "industries": sorted(
                Account.objects.order_by().values_list("industry", flat=True).distinct()
            ),
            "regions": sorted(
                Account.objects.order_by().values_list("region", flat=True).distinct()
            ),
            "kams": list(
                Person.objects.filter(kam_accounts__isnull=False).distinct().order_by("name")
            ),
        }
        cache.set(FILTER_CHOICES_KEY, choices, FILTER_CHOICES_SECONDS)
    return choices


@login_required
def account_list(request):
    from openkam.web.lifetime_value.figures import clv_of
    from openkam.web.portfolio.services import latest_review, quadrants_of
    from openkam.web.profitability.figures import figure_years, figures_for

    filterset = AccountFilterSet(request.GET, queryset=Account.objects.with_owner())
    sort = request.GET.get("sort", "name")
    year = filterset.figures_year()
    page = _page(request, filterset.qs, sort, year)
    # The page's figures in two queries, whatever the size of the list.
    ids = [a.account_id for a in page]
    figures = figures_for(ids, year) if year else {}
    clv = clv_of(ids) if year else {}
    review = latest_review()
    quadrants = quadrants_of(review, ids)
    for account in page:
        account.figures = figures.get(account.account_id, {})
        if year:
            account.figures["clv"] = clv.get(account.account_id)
        account.quadrant = quadrants.get(account.account_id)
        account.quadrant_label = QUADRANT_LABELS.get(account.quadrant, "")
    query = request.GET.copy()
    for key in ("page", "after", "before"):
        query.pop(key, None)
    query_without_sort = query.copy()
    query_without_sort.pop("sort", None)

    def link(extra: dict) -> str:
        q = query.copy()
        q.update(extra)
        return "?" + q.urlencode()

    context = {
        "page": page,
        "filterset": filterset,
        "sort": sort,
        "query": query.urlencode(),
        "next_link": link(page.next_query) if page.has_next else None,
        "previous_link": link(page.previous_query) if page.has_previous else None,
        "query_without_sort": query_without_sort.urlencode(),
        "year": year,
        "years": figure_years(),
        "review": review,
        "quadrants": AccountFilterSet.base_filters["quadrant"].extra["choices"],
        "currency": getattr(settings, "OPENKAM_REPORTING_CURRENCY", None) or "EUR",
        **filter_choices(),
    }
    template = "accounts/_account_table.html" if request.htmx else "accounts/account_list.html"
    return render(request, template, context)


#: The list's filters (``year`` only chooses the figures shown).
FILTERS = [f for f in AccountFilterSet.base_filters if f != "year"]

#: A search with at most this many matches pages over their ids.
FEW_MATCHES = 2000


def _few_matches(queryset, term: str):
    """``(queryset, few, counted)``: a search's matches by their ids when they are few, and
    their ``(count, capped)`` as this found them.

    The database would otherwise walk the sort column's index and test every account
    against the search until a page is full — 54,000 rows for a name 875 accounts share,
    0.2 s — where the trigram index finds all the matches at once (2 ms). Many matches
    fill a page early on that walk, and are left as they are: the list then says "more
    than 2,000" rather than count on to 10,000 (40 ms for a word 9,000 names share, on
    every page of the search), as a reader then narrows the search, not pages through it.
    """
    # The trigram index knows words of three characters or more; a shorter one would have
    # the database read the whole index, slower than the table.
    with avoiding("seqscan") if len(term) >= 3 else nullcontext():
        ids = list(queryset.order_by().values_list("pk", flat=True)[: FEW_MATCHES + 1])
    if len(ids) > FEW_MATCHES:
        return queryset, False, (FEW_MATCHES, True)
    return Account.objects.with_owner().filter(pk__in=ids), True, (len(ids), False)


def _page(request, queryset, sort: str, year: str | None):
    """The list's page: by keyset on the plain columns' sorts (the first page, and every
    page reached by its Previous/Next links), by offset for a typed page number and for
    the sorts on the KAM's name or a money column."""
    number = request.GET.get("page") or "1"
    few, counted = False, None
    if (request.GET.get("q") or "").strip():
        queryset, few, counted = _few_matches(queryset, request.GET["q"].strip())
    # A few matches are fetched by their ids and sorted, never found along an index.
    with avoiding("indexscan") if few else nullcontext():
        return _ordered_page(request, queryset, sort, year, number, counted)


def _ordered_page(
    request, queryset, sort: str, year: str | None, number: str, counted: tuple | None = None
):
    after, before = request.GET.get("after"), request.GET.get("before")
    key = sort.lstrip("-")
    money = key == "clv" or (key in FIGURE_SORTS and year)
    if money:
        from openkam.web.accounts.figure_sort import money_page

        field = "clv" if key == "clv" else FIGURE_SORTS[key]
        ordered = _ordered(queryset, sort, year)
        filtered = any(request.GET.get(f) for f in FILTERS)
        page = money_page(
            queryset,
            ordered,
            field,
            year,
            sort.startswith("-"),
            number,
            filtered=filtered,
            counted=counted,
        )
        if page is not None:
            return page
    fields = None if money else KEYSET_SORTS.get(sort, KEYSET_SORTS["name"])
    if fields and (after or before or number == "1"):
        try:
            shown = int(number)
        except ValueError:
            shown = 1
        return keyset_page(
            queryset, fields, after=after, before=before, number=shown, counted=counted
        )
    return offset_page(_ordered(queryset, sort, year), number, counted=counted)


#: Each account's sales by year and latest lines, kept under the ledger's identity.
_sales_kept: Kept[tuple] = Kept(ACCOUNTS_KEPT)


def _sales(account: Account):
    subtree = tuple(account.subtree_ids())
    found = identity()
    if found is None:
        return [], [], []

    def work_out():
        # The account's (and its subsidiaries') lines, read once and worked on in memory:
        # the yearly sums and the latest lines are taken from those few rows.
        invoices = nw.from_native(account_lines(subtree)).lazy()
        own = sales_by_year(invoices, [account.account_id])
        rolled = sales_by_year(invoices, subtree) if len(subtree) > 1 else own
        recent = recent_invoice_lines(invoices, subtree, limit=15)
        return own, rolled, recent

    return _sales_kept.get((*found, subtree), work_out)


@login_required
def account_detail(request, account_id: str):
    account = get_object_or_404(Account.objects.with_owner(), account_id=account_id)
    own, rolled, recent = _sales(account)
    context = {
        "account": account,
        "can_edit": account.editable_by(request.user),
        "subsidiaries": (
            account.subsidiaries.annotate(n_sub=Count("subsidiaries"))
            if len(account.subtree_ids()) > 1
            else []
        ),
        "sales_own": own,
        "sales_rolled": rolled,
        # One row per year with sales anywhere in the subtree: the account's own figures
        # (None in a year only its subsidiaries bought) beside the subtree's invoiced sales.
        "sales_years": [
            {
                "year": r["year"],
                "own": next((o for o in own if o["year"] == r["year"]), None),
                "rolled": r,
            }
            for r in rolled
        ],
        "has_subsidiaries": len(rolled) and rolled is not own,
        "recent_lines": recent,
        "contacts": account.contacts.select_related("reports_to"),
        "team": account.team_members.select_related("person"),
        "timeline": account_timeline(account),
        "panels": account_panels(request, account),
    }
    return render(request, "accounts/account_detail.html", context)


def account_timeline(account: Account):
    from openkam.web.core.models import AuditEvent

    # Each event's author is named by their person record: read with the events, not
    # one query per event.
    return AuditEvent.objects.filter(account_key=account.account_id).select_related(
        "user__person", "content_type"
    )[:15]


@login_required
def account_edit(request, account_id: str):
    account = get_object_or_404(Account, account_id=account_id)
    require_edit(request.user, account)
    conflict = None
    violations = None
    if request.method == "POST":
        form = AccountForm(
            request.POST, instance=Account.objects.get(pk=account.pk), user=request.user
        )
        if form.is_valid():
            try:
                changes, conflict = save_form(
                    form,
                    lambda values, version: services.update_account(
                        account, values, version, request.user, **form.assignment_options()
                    ),
                )
            except RuleViolation as exc:
                violations = exc
                form.add_error(None, exc)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if conflict is None:
                    messages.success(
                        request,
                        f"Saved {len(changes)} change(s)." if changes else "Nothing changed.",
                    )
                    return redirect(account)
    else:
        form = AccountForm(instance=account, user=request.user)
    return render(
        request,
        "accounts/account_form.html",
        {"account": account, "form": form, "conflict": conflict, "violations": violations},
    )


@login_required
def contact_create(request, account_id: str):
    account = get_object_or_404(Account, account_id=account_id)
    require_edit(request.user, account)
    form = ContactForm(request.POST or None, instance=Contact(account=account))
    form.fields.pop("version")
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in form._meta.fields}
        contact_id = request.POST.get("contact_id") or _next_contact_id(account)
        try:
            services.create_contact(account, {"contact_id": contact_id, **values}, request.user)
        except ValidationError as exc:
            # e.g. a contact id that exists already: said on the form, nothing saved.
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Added {values['name']}.")
            return redirect(account)
    return render(request, "accounts/contact_form.html", {"account": account, "form": form})


def _next_contact_id(account: Account) -> str:
    n = Contact.objects.filter(account=account).count() + 1
    while Contact.objects.filter(contact_id=f"{account.account_id}-C{n:03d}").exists():
        n += 1
    return f"{account.account_id}-C{n:03d}"


@login_required
def contact_edit(request, contact_id: str):
    contact = get_object_or_404(Contact.objects.select_related("account"), contact_id=contact_id)
    require_edit(request.user, contact)
    conflict = None
    form = ContactForm(request.POST or None, instance=Contact.objects.get(pk=contact.pk))
    if request.method == "POST" and form.is_valid():
        _, conflict = save_form(
            form,
            lambda values, version: services.update_contact(contact, values, version, request.user),
        )
        if conflict is None:
            messages.success(request, f"Saved {contact.name}.")
            return redirect(contact.account)
    return render(
        request,
        "accounts/contact_form.html",
        {"account": contact.account, "form": form, "contact": contact, "conflict": conflict},
    )
