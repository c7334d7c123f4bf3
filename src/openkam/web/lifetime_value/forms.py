"""The form of the assumptions behind every lifetime value."""

from __future__ import annotations

from django import forms

from openkam.web.lifetime_value.models import ClvSettings


class ClvSettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ClvSettings
        fields = ["model", "discount_rate", "horizon_years", "time_unit"]
        labels = {
            "discount_rate": "Discount rate (annual, e.g. 0.10)",
            "horizon_years": "Horizon (years)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean_discount_rate(self):
        rate = self.cleaned_data["discount_rate"]
        if not 0 <= rate < 1:
            raise forms.ValidationError(
                "Give the annual rate as a fraction between 0 and 1, e.g. 0.10."
            )
        return rate

    def clean_horizon_years(self):
        years = self.cleaned_data["horizon_years"]
        if not 1 <= years <= 30:
            raise forms.ValidationError("Choose a horizon between 1 and 30 years.")
        return years
