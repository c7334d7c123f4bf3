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
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name in self.fields and not self.fields[name].disabled
        }

    def assignment_options(self) -> dict:
        """The reason, effective date and exception reason of a change of KAM or sponsor."""
        data = self.cleaned_data
        return {
            "reason": data.get("assignment_reason") or "",
            "effective": data.get("effective"),
            "exception_reason": data.get("exception_reason") or "",
        }


class AccountForm(VersionedForm):
    """An account's facts; its KAM and sponsor only for those who assign them (the champion
    and admins), with the reason, the effective date and, where the champion allows it, the
    written reason for an exception to the programme's rules."""

    assignment_reason = forms.CharField(
        label="Reason for a change of KAM or sponsor", required=False, max_length=500
    )
    effective = forms.DateField(
        label="Change of KAM or sponsor effective (YYYY-MM-DD, default today)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    exception_reason = forms.CharField(
        label="Exception: why this change may break a programme rule",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only needed when the change breaks a rule and the champion accepts it.",
    )

    class Meta:
        model = Account
        fields = ["name", "industry", "region", "country", "parent", "kam", "sponsor", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from openkam.web.people.assignments import may_assign
        from openkam.web.people.models import ProgrammeRules

        self.may_assign = user is not None and may_assign(user)
        if not self.may_assign:
            # Only the champion or an admin assigns KAMs and sponsors (a KAM cannot make
            # anyone sponsor of their own account): the fields are shown, not editable.
            for name in ("kam", "sponsor"):
                self.fields[name].disabled = True
            for name in ("assignment_reason", "effective", "exception_reason"):
                del self.fields[name]
        elif not ProgrammeRules.current().allow_exceptions:
            del self.fields["exception_reason"]
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
