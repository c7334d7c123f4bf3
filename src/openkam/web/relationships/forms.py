"""Map forms; edits carry the version they were read at, for optimistic locking."""

from __future__ import annotations

from django import forms

from openkam.web.accounts.forms import VersionedForm
from openkam.web.accounts.models import Contact
from openkam.web.people.models import Person
from openkam.web.relationships.models import ContactProfile, Relationship


class ProfileForm(VersionedForm):
    class Meta:
        model = ContactProfile
        fields = ["buying_role", "influence", "attitude", "left_company", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class NewContactForm(forms.Form):
    name = forms.CharField(max_length=200)
    title = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False)
    reports_to = forms.ModelChoiceField(Contact.objects.none(), required=False)
    buying_role = ProfileForm.base_fields["buying_role"]
    influence = forms.IntegerField(min_value=1, max_value=5, initial=3)
    attitude = ProfileForm.base_fields["attitude"]

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reports_to"].queryset = Contact.objects.filter(account=account)


class RelationshipForm(VersionedForm):
    class Meta:
        model = Relationship
        fields = ["person", "strength", "last_contact", "notes"]
        widgets = {
            "last_contact": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.TextInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(active=True)


class DottedLineForm(forms.Form):
    to_contact = forms.ModelChoiceField(Contact.objects.none(), label="Dotted line to")
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, contact=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_contact"].queryset = Contact.objects.filter(
            account=contact.account
        ).exclude(pk=contact.pk)
