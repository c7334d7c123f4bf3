"""Forms of the programme pages."""

from __future__ import annotations

from django import forms

from openkam.web.accounts.forms import VersionedForm
from openkam.web.accounts.models import Contact
from openkam.web.planning.models import ValueProposition
from openkam.web.programme.models import Partnership, ProgrammeReview, ReadinessSettings


class PartnershipForm(VersionedForm):
    benefits = forms.ModelMultipleChoiceField(
        queryset=ValueProposition.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The plan's value propositions offered to the customer.",
    )

    class Meta:
        model = Partnership
        fields = ["status", "status_date", "agreed_by", "notes", "version"]
        widgets = {"status_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreed_by"].queryset = Contact.objects.filter(account=account)
        self.fields["agreed_by"].label = "Agreed by (customer contact)"
        self.fields["benefits"].queryset = ValueProposition.objects.filter(plan__account=account)
        if self.instance.pk:
            self.fields["benefits"].initial = list(
                self.instance.benefits.values_list("pk", flat=True)
            )


class ReadinessSettingsForm(VersionedForm):
    class Meta:
        model = ReadinessSettings
        fields = [*ReadinessSettings.EDITABLE, "version"]


class ReviewDecisionsForm(VersionedForm):
    class Meta:
        model = ProgrammeReview
        fields = ["decisions", "version"]
        widgets = {"decisions": forms.Textarea(attrs={"rows": 8})}
