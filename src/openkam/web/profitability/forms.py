"""The form of the assumptions behind the profitability figures (see
``services.update_settings``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from openkam.web.profitability.models import ProfitabilitySettings


class ProfitabilitySettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ProfitabilitySettings
        fields = ["cost_of_capital"]
        labels = {"cost_of_capital": "Annual cost of capital"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            # 0.08 rather than 0.0800: the rate as people write it.
            rate = Decimal(str(self.instance.cost_of_capital)).normalize()
            self.initial["cost_of_capital"] = f"{rate:f}"
        self.fields["cost_of_capital"].widget.attrs["title"] = "a fraction, e.g. 0.08 for 8 %"

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}
