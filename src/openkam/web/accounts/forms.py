"""Edit forms; each carries the version it was read at, for optimistic locking."""

from __future__ import annotations

from django import forms

from openkam.web.accounts.models import Account, Contact


class VersionedForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class AccountForm(VersionedForm):
    class Meta:
        model = Account
        fields = ["name", "industry", "region", "country", "parent", "kam", "sponsor", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # 100k accounts do not fit a drop-down: the parent is chosen by account id.
        self.fields["parent"] = forms.ModelChoiceField(
            queryset=Account.objects.exclude(pk=self.instance.pk),
            to_field_name="account_id",
            required=False,
            widget=forms.TextInput(attrs={"placeholder": "parent account id"}),
            label="Parent account id",
        )
        if self.instance.parent_id and not self.is_bound:
            self.initial["parent"] = self.instance.parent.account_id

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        node = parent
        while node is not None:
            if node.pk == self.instance.pk:
                raise forms.ValidationError("An account cannot be below its own subsidiary.")
            node = node.parent
        return parent


class ContactForm(VersionedForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "reports_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reports_to"].queryset = Contact.objects.filter(account=self.instance.account)
