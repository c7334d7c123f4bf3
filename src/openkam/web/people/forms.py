"""Forms of the organisation pages; edits carry the version they were read at."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from openkam.web.accounts.forms import VersionedForm
from openkam.web.people import rules as org_rules
from openkam.web.people.models import (
    ChampionAppointment,
    Competency,
    CompetencyAssessment,
    Person,
    ProgrammeRules,
    SponsorVisit,
    TrainingRecord,
)

DATE = forms.DateInput(attrs={"type": "date"})


class PersonForm(VersionedForm):
    """A person's place in the organisation (the champion or an admin edits it)."""

    class Meta:
        model = Person
        fields = [
            "person_id",
            "name",
            "email",
            "title",
            "role",
            "function",
            "executive_level",
            "full_time_kam",
            "reports_to",
            "active",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from openkam.web.core.permissions import may_grant_roles

        self.fields["reports_to"].queryset = Person.objects.exclude(pk=self.instance.pk)
        if self.instance.pk:
            # The id is the key other records and imports use: it does not change.
            self.fields["person_id"].disabled = True
        else:
            del self.fields["version"]
        if user is None or not may_grant_roles(user):
            # Only an administrator gives or changes roles (separation of duties).
            self.fields["role"].disabled = True
            self.fields["role"].help_text = "Only an administrator changes roles."


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = CompetencyAssessment
        fields = ["competency", "level", "assessed_by", "assessed_on", "notes"]
        widgets = {"assessed_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}
        labels = {"level": "Level (1–5)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].widget.attrs.update(min=1, max=5)
        self.fields["assessed_on"].initial = timezone.localdate()


class TargetsForm(forms.Form):
    """The champion's target level per competency for KAMs (blank: no target)."""

    def __init__(self, *args, targets: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        targets = targets or {}
        for value, label in Competency.choices:
            self.fields[value] = forms.IntegerField(
                label=label,
                min_value=1,
                max_value=5,
                required=False,
                initial=targets.get(value),
            )


class TrainingForm(forms.ModelForm):
    class Meta:
        model = TrainingRecord
        fields = ["course", "kam_training", "date", "completed"]
        widgets = {"date": DATE}


class AssignForm(forms.Form):
    """Change who is KAM and sponsor of one account, with the reason and effective date;
    the exception reason only where the champion may accept a broken rule."""

    kam = forms.ModelChoiceField(
        Person.objects.filter(active=True),
        required=False,
        label="Key account manager",
        to_field_name="person_id",
    )
    sponsor = forms.ModelChoiceField(
        Person.objects.filter(active=True),
        required=False,
        label="Executive sponsor",
        to_field_name="person_id",
    )
    effective = forms.DateField(
        required=False, widget=DATE, label="Effective (YYYY-MM-DD, default today)"
    )
    reason = forms.CharField(max_length=500, required=False)
    visit_every_days = forms.IntegerField(
        required=False,
        min_value=1,
        label="Sponsor visits every (days; blank: the programme's cadence)",
    )
    exception_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Exception: why this change may break a programme rule",
    )

    def __init__(self, *args, account=None, allow_exception: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        rules = ProgrammeRules.current()
        # KAMs first: people with a KAM role or function; then everyone else, so a choice
        # outside the rule is still possible (and then refused or excepted with a reason).
        people = list(Person.objects.filter(active=True).order_by("name"))
        kams = [p for p in people if org_rules.kam_eligible(p)]
        sponsors = [p for p in people if org_rules.sponsor_eligible(p, rules)]
        self.fields["kam"].help_text = f"{len(kams)} people have a KAM role or function."
        self.fields[
            "sponsor"
        ].help_text = f"{len(sponsors)} people are executives of the sponsor level."
        if account is not None and not self.is_bound:
            self.initial.setdefault("kam", account.kam.person_id if account.kam else None)
            self.initial.setdefault(
                "sponsor", account.sponsor.person_id if account.sponsor else None
            )
        if not allow_exception:
            del self.fields["exception_reason"]


class VisitForm(forms.ModelForm):
    class Meta:
        model = SponsorVisit
        fields = ["account", "sponsor", "date", "kind", "people_met", "notes"]
        widgets = {"date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, account=None, sponsors=None, **kwargs):
        super().__init__(*args, **kwargs)
        from openkam.web.accounts.models import Account, Contact

        self.fields["account"] = forms.ModelChoiceField(
            queryset=Account.objects.exclude(sponsor=None).order_by("name"),
            to_field_name="account_id",
        )
        self.fields["sponsor"].queryset = (
            sponsors
            if sponsors is not None
            else (Person.objects.exclude(executive_level="").order_by("name"))
        )
        self.fields["date"].initial = timezone.localdate()
        if account is not None:
            self.fields["account"].initial = account.account_id
            self.fields["people_met"].queryset = Contact.objects.filter(account=account)
            if account.sponsor_id and "sponsor" not in self.initial:
                self.initial["sponsor"] = account.sponsor_id
        else:
            self.fields["people_met"].queryset = Contact.objects.none()
            self.fields["people_met"].help_text = "Choose the account first to name people met."
        if self.is_bound:
            account_id = self.data.get("account")
            self.fields["people_met"].queryset = Contact.objects.filter(
                account__account_id=account_id
            )


class ChampionForm(forms.ModelForm):
    class Meta:
        model = ChampionAppointment
        fields = ["person", "since", "reports_to", "notes"]
        widgets = {"since": DATE, "notes": forms.Textarea(attrs={"rows": 2})}
        labels = {"person": "KAM champion", "reports_to": "Reports to"}


class RulesForm(VersionedForm):
    class Meta:
        model = ProgrammeRules
        fields = [
            "kam_min_accounts",
            "kam_max_accounts",
            "kam_must_be_full_time",
            "sponsor_min_level",
            "sponsor_min_accounts",
            "sponsor_max_accounts",
            "allow_exceptions",
            "visit_every_days",
        ]
        labels = {
            "kam_min_accounts": "A KAM carries at least (key accounts)",
            "kam_max_accounts": "A KAM carries at most (key accounts)",
            "kam_must_be_full_time": "A KAM works as a KAM full time",
            "sponsor_min_level": "A sponsor is an executive of at least",
            "sponsor_min_accounts": "A sponsor sponsors at least (key accounts)",
            "sponsor_max_accounts": "A sponsor sponsors at most (key accounts)",
            "allow_exceptions": "The champion may accept a change that breaks a rule, "
            "with a written reason",
            "visit_every_days": "A sponsor is in contact with each account every (days)",
        }
        help_texts = {
            "kam_min_accounts": org_rules.RULES["kam_min_accounts"][1],
            "kam_max_accounts": org_rules.RULES["kam_max_accounts"][1],
            "kam_must_be_full_time": org_rules.RULES["kam_full_time"][1],
            "sponsor_min_level": org_rules.RULES["sponsor_level"][1],
            "sponsor_min_accounts": org_rules.RULES["sponsor_min_accounts"][1],
            "sponsor_max_accounts": org_rules.RULES["sponsor_max_accounts"][1],
            "allow_exceptions": "Otherwise every change that breaks a rule is refused. "
            "Each exception is kept with its reason in the audit trail and shown wherever "
            "the broken rule is listed.",
            "visit_every_days": "The default cadence of sponsor visits (91 days: one a "
            "quarter); each sponsor and account may have its own.",
        }
