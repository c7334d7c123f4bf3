"""Account pages: list, detail, edit; contacts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render

from openkam.engine.sales import recent_invoice_lines, sales_by_year
from openkam.web.accounts import services
from openkam.web.accounts.filtersets import AccountFilterSet
from openkam.web.accounts.forms import AccountForm, ContactForm
from openkam.web.accounts.models import Account, Contact
from openkam.web.core import audit
from openkam.web.core.concurrency import ConcurrentEditError, save_form
from openkam.web.core.ledger import money_table
from openkam.web.core.permissions import require_edit
from openkam.web.core.plugins import account_panels
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


@login_required
def account_list(request):
    filterset = AccountFilterSet(request.GET, queryset=Account.objects.with_owner())
    sort = request.GET.get("sort", "name")
    queryset = filterset.qs.order_by(SORTS.get(sort, "name"), "pk")
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query_without_sort = query.copy()
    query_without_sort.pop("sort", None)
    context = {
        "page": page,
        "filterset": filterset,
        "sort": sort,
        "query": query.urlencode(),
        "query_without_sort": query_without_sort.urlencode(),
        "industries": Account.objects.order_by().values_list("industry", flat=True).distinct(),
        "regions": Account.objects.order_by().values_list("region", flat=True).distinct(),
        "kams": Person.objects.filter(kam_accounts__isnull=False).distinct(),
    }
    template = "accounts/_account_table.html" if request.htmx else "accounts/account_list.html"
    return render(request, template, context)


def _sales(account: Account):
    invoices = money_table("invoices")  # in the reporting currency
    if invoices is None:
        return [], [], []
    subtree = account.subtree_ids()
    own = sales_by_year(invoices, [account.account_id])
    rolled = sales_by_year(invoices, subtree) if len(subtree) > 1 else own
    recent = recent_invoice_lines(invoices, subtree, limit=15)
    return own, rolled, recent


@login_required
def account_detail(request, account_id: str):
    account = get_object_or_404(Account.objects.with_owner(), account_id=account_id)
    own, rolled, recent = _sales(account)
    context = {
        "account": account,
        "can_edit": account.editable_by(request.user),
        "subsidiaries": account.subsidiaries.annotate(n_sub=Count("subsidiaries")),
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
        "events": audit.history(account)[:30],
        "timeline": account_timeline(account),
        "panels": account_panels(request, account),
    }
    return render(request, "accounts/account_detail.html", context)


def account_timeline(account: Account):
    from openkam.web.core.models import AuditEvent

    return AuditEvent.objects.filter(account_key=account.account_id).select_related(
        "user", "content_type"
    )[:15]


@login_required
def account_edit(request, account_id: str):
    account = get_object_or_404(Account, account_id=account_id)
    require_edit(request.user, account)
    conflict = None
    if request.method == "POST":
        form = AccountForm(request.POST, instance=Account.objects.get(pk=account.pk))
        if form.is_valid():
            try:
                changes = services.update_account(
                    account, form.changed_values(), form.cleaned_data["version"], request.user
                )
            except ConcurrentEditError as exc:
                conflict = exc
                form = AccountForm(request.POST, instance=Account.objects.get(pk=account.pk))
                form.is_valid()
                # The next save is made against the version the user has now seen.
                form.data = form.data.copy()
                form.data["version"] = exc.current
            else:
                messages.success(
                    request, f"Saved {len(changes)} change(s)." if changes else "Nothing changed."
                )
                return redirect(account)
    else:
        form = AccountForm(instance=account)
    return render(
        request,
        "accounts/account_form.html",
        {"account": account, "form": form, "conflict": conflict},
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
        services.create_contact(account, {"contact_id": contact_id, **values}, request.user)
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
