"""Relationship map pages: the org chart with its coverage gaps, and the contact panel."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from openkam.web.accounts.models import Account, Contact
from openkam.web.accounts.views import _next_contact_id
from openkam.web.core.concurrency import ConcurrentEditError, save_form
from openkam.web.core.permissions import require_edit
from openkam.web.relationships import services
from openkam.web.relationships.forms import (
    DottedLineForm,
    NewContactForm,
    ProfileForm,
    RelationshipForm,
)
from openkam.web.relationships.models import STRENGTH_LABELS, Relationship


@login_required
def index(request):
    accounts = (
        Account.objects.with_owner()
        .annotate(n_contacts=Count("contacts", distinct=True))
        .filter(key_status=Account.KeyStatus.KEY)
        .order_by("name")
    )
    return render(request, "relationships/index.html", {"accounts": accounts})


def _map_url(contact: Contact) -> str:
    return reverse("relationships:map", args=[contact.account.account_id]) + (
        f"?contact={contact.contact_id}#contact-panel"
    )


def _panel_context(request, contact: Contact, **extra) -> dict:
    profile = services.profile_of(contact)
    return {
        "contact": contact,
        "profile": profile,
        "can_edit": contact.editable_by(request.user),
        "profile_form": extra.pop("profile_form", None) or ProfileForm(instance=profile),
        "rel_form": extra.pop("rel_form", None) or _new_rel_form(),
        "dotted_form": DottedLineForm(contact=contact),
        "relationships": contact.relationships.select_related("person"),
        "dotted": contact.dotted_lines.select_related("to_contact"),
        "strength_labels": STRENGTH_LABELS,
        **extra,
    }


def _posted_version(request, person) -> int:
    """The version of ``person``'s relationship the page showed: 0 when it showed none (so
    a relationship someone added meanwhile is a conflict, not silently overwritten)."""
    try:
        return int(request.POST.get(f"version_{person.pk}", 0))
    except ValueError:
        return 0


def _new_rel_form(data=None):
    form = RelationshipForm(data)
    form.fields.pop("version")
    return form


@login_required
def map_view(request, account_id: str):
    account = get_object_or_404(Account.objects.with_owner(), account_id=account_id)
    try:
        days = int(request.GET.get("days", "")) or None
    except ValueError:
        days = None
    if days is not None and not 1 <= days <= 36500:
        messages.error(request, "Stale after: choose between 1 and 36500 days.")
        days = None
    data = services.relationship_map(account, days=days)
    selected = request.GET.get("contact")
    panel = None
    if selected:
        contact = Contact.objects.filter(account=account, contact_id=selected).first()
        if contact is not None:
            panel = _panel_context(request, contact)
    return render(
        request,
        "relationships/map.html",
        {
            "account": account,
            "map": data,
            "panel": panel,
            "can_edit": account.editable_by(request.user),
            "new_contact": NewContactForm(account=account),
        },
    )


@login_required
def contact_panel(request, contact_id: str):
    contact = get_object_or_404(Contact.objects.select_related("account"), contact_id=contact_id)
    if not request.htmx:
        return redirect(_map_url(contact))
    return render(
        request, "relationships/_contact_panel.html", {"panel": _panel_context(request, contact)}
    )


@login_required
def contact_add(request, account_id: str):
    account = get_object_or_404(Account, account_id=account_id)
    require_edit(request.user, account)
    form = NewContactForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        contact = services.create_contact(
            account,
            {
                "contact_id": _next_contact_id(account),
                "name": d["name"],
                "title": d["title"],
                "email": d["email"],
                "reports_to": d["reports_to"],
            },
            {k: d[k] for k in ("buying_role", "influence", "attitude")},
            request.user,
        )
        messages.success(request, f"Added {contact.name} to the map.")
        return redirect(_map_url(contact))
    data = services.relationship_map(account)
    return render(
        request,
        "relationships/map.html",
        {"account": account, "map": data, "panel": None, "can_edit": True, "new_contact": form},
    )


@login_required
@require_POST
def profile_save(request, contact_id: str):
    contact = get_object_or_404(Contact.objects.select_related("account"), contact_id=contact_id)
    profile = services.profile_to_write(contact, request.user)
    form = ProfileForm(request.POST, instance=type(profile).objects.get(pk=profile.pk))
    conflict = None
    if form.is_valid():
        _, conflict = save_form(
            form,
            lambda values, version: services.update_profile(profile, values, version, request.user),
        )
        if conflict is None:
            messages.success(request, f"Saved {contact.name}.")
            return redirect(_map_url(contact))
    account = contact.account
    return render(
        request,
        "relationships/map.html",
        {
            "account": account,
            "map": services.relationship_map(account),
            "panel": _panel_context(request, contact, profile_form=form, conflict=conflict),
            "can_edit": True,
            "new_contact": NewContactForm(account=account),
        },
    )


@login_required
@require_POST
def relationship_add(request, contact_id: str):
    contact = get_object_or_404(Contact.objects.select_related("account"), contact_id=contact_id)
    require_edit(request.user, contact)
    form = _new_rel_form(request.POST)
    if form.is_valid():
        values = {k: form.cleaned_data[k] for k in form._meta.fields}
        existing = Relationship.objects.filter(contact=contact, person=values["person"]).first()
        try:
            if existing is not None:
                # One row per pair: a second entry for the same person changes the first, but
                # only from the version the user saw (else someone's change would be lost).
                services.update_relationship(
                    existing, values, _posted_version(request, values["person"]), request.user
                )
            else:
                services.add_relationship(contact, values, request.user)
        except ConcurrentEditError as exc:
            messages.error(
                request,
                f"{values['person']} already has a relationship with {contact.name} "
                f"(strength {exc.theirs.get('strength')}), changed since you opened the map: "
                "nothing was saved. Check it and save again.",
            )
            return redirect(_map_url(contact))
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            return redirect(_map_url(contact))
        messages.success(request, f"Saved {values['person']}'s relationship with {contact.name}.")
        return redirect(_map_url(contact))
    account = contact.account
    return render(
        request,
        "relationships/map.html",
        {
            "account": account,
            "map": services.relationship_map(account),
            "panel": _panel_context(request, contact, rel_form=form),
            "can_edit": True,
            "new_contact": NewContactForm(account=account),
        },
    )


@login_required
@require_POST
def relationship_delete(request, pk: int):
    rel = get_object_or_404(Relationship.objects.select_related("contact__account"), pk=pk)
    services.delete_relationship(rel, request.user)
    messages.success(request, "Removed the relationship.")
    return redirect(_map_url(rel.contact))


@login_required
@require_POST
def dotted_add(request, contact_id: str):
    contact = get_object_or_404(Contact.objects.select_related("account"), contact_id=contact_id)
    require_edit(request.user, contact)
    form = DottedLineForm(request.POST, contact=contact)
    if form.is_valid():
        try:
            services.add_dotted_line(
                contact, form.cleaned_data["to_contact"], form.cleaned_data["note"], request.user
            )
        except ValidationError:
            messages.error(
                request,
                f"{contact.name} already has a dotted line to {form.cleaned_data['to_contact']}.",
            )
        else:
            messages.success(request, "Added the dotted line.")
    else:
        messages.error(request, "Choose another contact for the dotted line.")
    return redirect(_map_url(contact))
