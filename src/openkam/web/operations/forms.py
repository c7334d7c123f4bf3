"""The commitment form; it carries the version it was read at (optimistic locking)."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from openkam.web.accounts.forms import VersionedForm
from openkam.web.accounts.models import Account, Product
from openkam.web.operations.models import OWNER_FUNCTIONS, OWNER_ROLES, Commitment
from openkam.web.people.models import Person


class CommitmentForm(VersionedForm):
    class Meta:
        model = Commitment
        fields = [
            "account",
            "kind",
            "description",
            "product",
            "product_line",
            "protected_quantity",
            "start_date",
            "end_date",
            "owner",
            "measure",
            "target",
            "review_period",
            "customer_visible",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Thousands of accounts and products do not fit a drop-down: chosen by id.
        self.fields["account"] = forms.ModelChoiceField(
            queryset=Account.objects.all(),
            to_field_name="account_id",
            widget=forms.TextInput(attrs={"placeholder": "account id, e.g. ACC-00001"}),
            label="Account id",
        )
        self.fields["product"] = forms.ModelChoiceField(
            queryset=Product.objects.all(),
            to_field_name="product_id",
            required=False,
            widget=forms.TextInput(attrs={"placeholder": "product id (or a product line)"}),
            label="Product id",
        )
        lines = sorted(set(Product.objects.values_list("product_line", flat=True)) - {"", None})
        self.fields["product_line"] = forms.ChoiceField(
            choices=[("", "—")] + [(x, x) for x in lines], required=False
        )
        self.fields["owner"].queryset = Person.objects.filter(
            Q(function__in=list(OWNER_FUNCTIONS)) | Q(function="", role__in=list(OWNER_ROLES))
        )
        self.fields["owner"].help_text = "Someone in operations or supply chain."
        if self.instance.pk and not self.is_bound:
            self.initial["account"] = self.instance.account.account_id
            if self.instance.product_id:
                self.initial["product"] = self.instance.product.product_id
