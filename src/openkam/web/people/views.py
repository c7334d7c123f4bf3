"""Pages of the KAM organisation: people and their load against the rules, a person's
competencies, training, assignments and visits; assigning KAMs and sponsors; the sponsor
visit log; the champion; the programme's rules. Views are thin: they call
``people.services`` and ``people.assignments``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from openkam.web.accounts.models import Account
from openkam.web.core import audit
from openkam.web.core.concurrency import save_form
from openkam.web.core.permissions import require_edit
from openkam.web.core.roles import Role, person_of, runs_programme
from openkam.web.people import assignments, services
from openkam.web.people import rules as org_rules
from openkam.web.people.assignments import RuleViolation
from openkam.web.people.forms import (
    AssessmentForm,
    AssignForm,
    ChampionForm,
    PersonForm,
    RulesForm,
    TargetsForm,
    TrainingForm,
    VisitForm,
)
from openkam.web.people.models import (
    Assignment,
    ChampionAppointment,
    Competency,
    Function,
    Person,
    ProgrammeRules,
    RuleException,
    SponsorVisit,
)


def _form_error(form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form (fields it names, else the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def person_list(request):
    role = request.GET.get("role", "")
    function = request.GET.get("function", "")
    load = request.GET.get("load", "")
    q = request.GET.get("q", "").strip()
    rules = ProgrammeRules.current()
    # The table is kept rendered per process ({% cache %} keyed on the filters and on
    # _people_key), its rows computed only when the cache has no copy.
    rows = SimpleLazyObject(
        lambda: services.people_with_load(role=role, function=function, q=q, load=load, rules=rules)
    )
    return render(
        request,
        "people/person_list.html",
        {
            "rows": rows,
            "people_key": repr((role, function, load, q, _people_key())),
            "role": role,
            "function": function,
            "load": load,
            "q": q,
            "roles": Role.choices,
            "functions": Function.choices,
            "rules": rules,
            "champion": ChampionAppointment.current(),
            "may_manage": runs_programme(request.user),
        },
    )


def _people_key() -> str:
    """What the people table shows depends on (besides its filters): the people, the
    rules and their exceptions (``core.versions.stamp``), and the accounts that have a KAM
    or a sponsor (their count, highest id and latest ``listed_at``: a KAM or sponsor changed
    through an assignment moves it, an edit of the notes does not)."""
    from django.db.models import Q

    from openkam.web.core.versions import stamp

    held = Account.objects.filter(Q(kam__isnull=False) | Q(sponsor__isnull=False))
    return repr((held.listed_version(), stamp(Person, ProgrammeRules, RuleException)))


@login_required
def person_detail(request, person_id: str):
    person = get_object_or_404(Person.objects.select_related("reports_to"), person_id=person_id)
    rules = ProgrammeRules.current()
    history = Assignment.objects.filter(person=person).select_related("account")
    me = person_of(request.user)
    may_manage = runs_programme(request.user)
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "load": org_rules.load_of(person, rules),
            "rules": rules,
            "violations": [
                v for v in org_rules.current_violations(rules) if v.person_id == person.person_id
            ],
            "profile": services.competency_profile(person),
            "assessments": person.assessments.select_related("assessed_by")[:30],
            "training": person.training.all(),
            "kam_history": history.filter(role="kam").order_by("-start", "-id"),
            "sponsor_history": history.filter(role="sponsor").order_by("-start", "-id"),
            "kam_accounts": person.kam_accounts.all(),
            "sponsored_accounts": person.sponsored_accounts.all(),
            "visit_status": services.visit_status(
                Account.objects.filter(sponsor=person), today=None
            ),
            "visits": person.visits.select_related("account").prefetch_related("people_met")[:30],
            "teams": person.teams.select_related("account"),
            "reports": person.reports.order_by("name"),
            "events": audit.history(person)[:20],
            "may_manage": may_manage,
            "may_log_visit": may_manage or (me is not None and me.pk == person.pk),
        },
    )


@login_required
def person_edit(request, person_id: str):
    person = get_object_or_404(Person, person_id=person_id)
    require_edit(request.user, person)
    form = PersonForm(
        request.POST or None, instance=Person.objects.get(pk=person.pk), user=request.user
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            _, conflict = save_form(
                form,
                lambda values, version: services.update_person(
                    person, values, version, request.user
                ),
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if conflict is None:
                messages.success(request, f"Saved {person.name}.")
                return redirect("people:detail", person.person_id)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": f"Edit {person.name}", "back": person, "conflict": conflict},
    )


@login_required
def person_add(request):
    services.require_programme(request.user)
    form = PersonForm(request.POST or None, instance=Person(), user=request.user)
    if request.method == "POST" and form.is_valid():
        values = {
            name: form.cleaned_data[name]
            for name in form._meta.fields
            if name in form.fields and not form.fields[name].disabled
        }
        try:
            person = services.create_person(values, request.user)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Added {person.name}.")
            return redirect("people:detail", person.person_id)
    return render(request, "people/form.html", {"form": form, "title": "Add a person"})


@login_required
def assessment_add(request, person_id: str):
    person = get_object_or_404(Person, person_id=person_id)
    services.require_programme(request.user)
    form = AssessmentForm(request.POST or None, initial={"assessed_by": person_of(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_assessment(person, form.cleaned_data, request.user)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Assessment recorded for {person.name}.")
            return redirect("people:detail", person.person_id)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": f"Assess {person.name}", "back": person},
    )


@login_required
def training_add(request, person_id: str):
    person = get_object_or_404(Person, person_id=person_id)
    services.require_programme(request.user)
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_training(person, form.cleaned_data, request.user)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Training recorded for {person.name}.")
            return redirect("people:detail", person.person_id)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": f"Training of {person.name}", "back": person},
    )


@login_required
def targets_edit(request):
    services.require_programme(request.user)
    form = TargetsForm(request.POST or None, targets=services.competency_targets())
    if request.method == "POST" and form.is_valid():
        for competency, level in form.cleaned_data.items():
            if level is not None:
                services.set_target(competency, level, request.user)
        messages.success(request, "Competency targets saved.")
        return redirect("people:rules")
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": "Target competency profile of a KAM",
            "intro": "The level (1–5) the champion expects of a key account manager in each "
            "competency of the seeds; each KAM's profile shows the gaps against it.",
        },
    )


@login_required
def assign(request, account_id: str):
    """Change the KAM and sponsor of an account (the champion or an admin)."""
    account = get_object_or_404(Account.objects.with_owner(), account_id=account_id)
    if not assignments.may_assign(request.user):
        raise PermissionDenied(
            "Only the KAM champion or an administrator assigns key account managers and sponsors."
        )
    rules = ProgrammeRules.current()
    form = AssignForm(request.POST or None, account=account, allow_exception=rules.allow_exceptions)
    refused = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes = assignments.assign(
                account,
                kam=data["kam"],
                sponsor=data["sponsor"],
                effective=data["effective"],
                reason=data["reason"],
                exception_reason=data.get("exception_reason") or "",
                user=request.user,
                source="form",
                visit_every_days=data["visit_every_days"],
            )
            if data["visit_every_days"] and "sponsor" not in changes:
                services.set_visit_cadence(account, data["visit_every_days"], request.user)
        except RuleViolation as exc:
            refused = exc
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if changes:
                messages.success(
                    request,
                    "; ".join(
                        f"{f}: {old or 'nobody'} → {new or 'nobody'}"
                        for f, (old, new) in changes.items()
                    ),
                )
            else:
                messages.info(request, "Nothing changed.")
            return redirect(account)
    return render(
        request,
        "people/assign.html",
        {
            "account": account,
            "form": form,
            "refused": refused,
            "rules": rules,
            "history": assignments.history(account),
        },
    )


@login_required
def visit_list(request):
    sponsor_id = request.GET.get("sponsor", "")
    account_id = request.GET.get("account", "")
    visits = SponsorVisit.objects.select_related("account", "sponsor").prefetch_related(
        "people_met"
    )
    accounts = Account.objects.filter(key_status="key")
    sponsor = None
    if sponsor_id:
        sponsor = Person.objects.filter(person_id=sponsor_id).first()
        visits = visits.filter(sponsor=sponsor)
    if account_id:
        visits = visits.filter(account__account_id=account_id)
        accounts = Account.objects.filter(account_id=account_id)
    status = services.visit_status(accounts, sponsor=sponsor)
    page = Paginator(visits, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "people/visit_list.html",
        {
            "page": page,
            "status": status,
            "overdue": [s for s in status if s["overdue"]],
            "sponsors": Person.objects.filter(sponsored_accounts__isnull=False)
            .distinct()
            .order_by("name"),
            "sponsor_id": sponsor_id,
            "account_id": account_id,
            "may_log": runs_programme(request.user)
            or Account.objects.filter(sponsor=person_of(request.user) or -1).exists(),
        },
    )


@login_required
def visit_add(request):
    account = Account.objects.filter(account_id=request.GET.get("account", "")).first()
    me = person_of(request.user)
    sponsors = (
        None if runs_programme(request.user) else Person.objects.filter(pk=getattr(me, "pk", None))
    )
    if sponsors is not None and not Account.objects.filter(sponsor=me or -1).exists():
        raise PermissionDenied("Only sponsors, the KAM champion and admins log sponsor visits.")
    initial = {"sponsor": me} if sponsors is not None else {}
    form = VisitForm(request.POST or None, account=account, sponsors=sponsors, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        met = data.pop("people_met", [])
        try:
            visit = services.log_visit(data, request.user, people_met=met)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Logged: {visit}.")
            return redirect(visit.account)
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": "Log a sponsor contact",
            "intro": "A visit, call or quarterly review of an executive sponsor with a key "
            "account. The next contact is due one cadence after the last.",
            "back_url": reverse("people:visits"),
        },
    )


@login_required
def champion_edit(request):
    services.require_programme(request.user)
    current = ChampionAppointment.current()
    form = ChampionForm(
        request.POST or None,
        initial={
            "person": current.person if current else None,
            "since": current.since if current else None,
            "reports_to": current.reports_to if current else None,
            "notes": current.notes if current else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.appoint_champion(
                data["person"],
                data["since"],
                reports_to=data["reports_to"],
                notes=data["notes"],
                user=request.user,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{data['person']} is the KAM champion.")
            return redirect("people:list")
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": "The KAM champion",
            "intro": "The champion drives the key account programme and reports to top "
            "management. Appointing someone else ends the current appointment the day the new "
            "one starts; the appointments stay in the history.",
            "back_url": reverse("people:list"),
            "history": ChampionAppointment.objects.select_related("person", "reports_to"),
        },
    )


@login_required
def rules_page(request):
    """The programme's rules, each with its meaning; the champion and admins edit them."""
    rules = ProgrammeRules.current()
    may_manage = runs_programme(request.user)
    stored = ProgrammeRules.objects.filter(pk=rules.pk).first() if rules.pk else None
    form = RulesForm(request.POST or None, instance=stored or rules)
    conflict = None
    if request.method == "POST":
        services.require_programme(request.user)
        if form.is_valid():
            try:
                changes, conflict = save_form(
                    form,
                    lambda values, version: services.update_rules(values, version, request.user),
                )
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                if conflict is None:
                    messages.success(
                        request,
                        f"Saved {len(changes)} change(s)." if changes else "Nothing changed.",
                    )
                    return redirect("people:rules")
    violations = org_rules.current_violations(rules)
    return render(
        request,
        "people/rules.html",
        {
            "rules": rules,
            "summary": org_rules.rules_summary(rules),
            "form": form,
            "conflict": conflict,
            "may_manage": may_manage,
            "violations": violations,
            "targets": [
                (label, services.competency_targets().get(value))
                for value, label in Competency.choices
            ],
            "events": audit.history(rules)[:10],
            "exceptions": RuleException.objects.select_related(
                "person", "account", "created_by"
            ).order_by("-active", "-created", "-id")[:50],
            "rule_titles": {key: title for key, (title, _) in org_rules.RULES.items()},
        },
    )
