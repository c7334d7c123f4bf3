"""Edit forms; each carries the version it was read at, for optimistic locking."""

from __future__ import annotations

import contextlib
import json

from django import forms
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from openkam.web.accounts.models import Account, Contact


class VersionedForm(forms.ModelForm):
    """An edit form that carries the version it was read at, and the values it showed
    (``base``), so that a save writes only the fields the user changed: after a conflict,
    saving again keeps what the other user changed in the fields this user never touched.
    """

    version = forms.IntegerField(widget=forms.HiddenInput)
    base = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            # Evaluated when the form is drawn, after subclasses set their own initial values.
            self.initial["base"] = self.shown_values_json

    def shown_values(self) -> dict:
        """The edited fields as this (unbound) form draws them."""
        return {name: self[name].value() for name in self._meta.fields if name in self.fields}

    def shown_values_json(self) -> str:
        return json.dumps(self.shown_values(), cls=DjangoJSONEncoder)

    def _base(self) -> dict | None:
        try:
            base = json.loads(self.data.get("base") or "null")
        except ValueError:
            return None
        return base if isinstance(base, dict) else None

    def changed_values(self) -> dict:
        """The cleaned values of the fields the user changed from what the form showed
        (every field when the form came without ``base``, e.g. from a script)."""
        names = [
            n
            for n in self._meta.fields
            if n in self.cleaned_data and n in self.fields and not self.fields[n].disabled
        ]
        base = self._base()
        if base is None:
            return {name: self.cleaned_data[name] for name in names}
        changed = {}
        for name in names:
            field, shown = self.fields[name], base.get(name)
            if not isinstance(field, forms.ModelChoiceField):
                with contextlib.suppress(ValidationError):
                    shown = field.to_python(shown)
            if name not in base or field.has_changed(shown, self[name].data):
                changed[name] = self.cleaned_data[name]
        return changed

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
