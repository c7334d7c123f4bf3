"""The assumptions behind the profitability figures: their form, their change, and the
parameters each recomputation records.

Today one assumption: the annual cost of capital that prices the credit of payment terms
(invoiced amount × cost of capital × days outstanding / 365). The champion or an admin
changes it; a recompute applies it, and the run keeps the rate it used in ``params``.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from openkam.engine.profitability import DEFAULT_COST_OF_CAPITAL
from openkam.web.core.concurrency import save_versioned
from openkam.web.insights.models import Computation, ProfitabilitySettings

#: The rate is stored, recorded and compared with four decimals (0.0800 is 8 % a year).
RATE_PLACES = Decimal("0.0001")


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


def update_settings(values: dict, version: int | None, user) -> dict:
    """Change the profitability assumptions (champion/admin; the caller checks the role).

    Returns the recorded changes; raises ``ConcurrentEditError`` if someone saved them since
    ``version``. The change is written to the audit trail.
    """
    values = dict(values)
    if values.get("cost_of_capital") is not None:
        # 0.08 and 0.0800 are the same rate: no spurious change, no new version.
        values["cost_of_capital"] = Decimal(str(values["cost_of_capital"])).quantize(RATE_PLACES)
    return save_versioned(ProfitabilitySettings.load_for_update(), values, version, user=user)


def settings_params() -> dict:
    """The assumptions a profitability run uses, recorded with the run (``run.params``)."""
    rate = Decimal(str(ProfitabilitySettings.load().cost_of_capital)).quantize(RATE_PLACES)
    return {"cost_of_capital": str(rate)}


def rate_used(run: Computation | None) -> Decimal | None:
    """The annual cost of capital a run's figures were computed with (runs from before the
    setting existed used the engine's default)."""
    if run is None:
        return None
    return Decimal(str((run.params or {}).get("cost_of_capital", DEFAULT_COST_OF_CAPITAL)))
