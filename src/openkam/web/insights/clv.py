"""Customer lifetime value in the web app: settings, background recomputation, storage.

The models come from ``openkam.engine.clv``; the value of an order is the account's net
contribution after cost to serve (from the current profitability figures), so CLV measures
what the relationship is worth to us, not what it turns over.
"""

from __future__ import annotations

from django import forms
from django.db import transaction

from openkam.web.core.concurrency import save_versioned
from openkam.web.insights.models import ClvSettings


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


def update_settings(values: dict, user) -> dict:
    """Change the CLV assumptions (champion/admin); refused if someone changed them meanwhile."""
    current = ClvSettings.load()
    expected = values.pop("version", None)
    with transaction.atomic():
        return save_versioned(current, values, expected, user=user)


def settings_params() -> dict:
    """The assumptions a CLV run uses, recorded with the run and shown beside every figure."""
    s = ClvSettings.load()
    return {
        "model": s.model,
        "model_label": s.get_model_display(),
        "discount_rate": float(s.discount_rate),
        "horizon_years": s.horizon_years,
        "time_unit": s.time_unit,
    }
