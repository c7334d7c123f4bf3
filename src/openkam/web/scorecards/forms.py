"""The champion's scorecard weights, and the period chooser."""

from __future__ import annotations

from django import forms

from openkam.engine.scorecards import MEASURES
from openkam.web.scorecards.models import ScorecardWeights
from openkam.web.scorecards.services import validate_weights


class WeightsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ScorecardWeights
        fields = [*MEASURES, "revenue_warning_share"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        for name in MEASURES:
            self.fields[name].help_text = "percent of the score"

    def clean(self):
        cleaned = super().clean()
        errors = validate_weights({k: cleaned.get(k) for k in (*MEASURES, "revenue_warning_share")})
        for field, message in errors.items():
            self.add_error(None if field == "__all__" else field, message)
        return cleaned

    def changed_values(self) -> dict:
        return {k: self.cleaned_data[k] for k in (*MEASURES, "revenue_warning_share")}


class SnapshotForm(forms.Form):
    as_of = forms.DateField(
        label="CLV as of (YYYY-MM-DD)", widget=forms.DateInput(attrs={"type": "date"})
    )
