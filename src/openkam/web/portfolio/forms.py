"""The selection criteria form: one row per criterion (add, remove, weight, direction,
normalisation, missing-value rule) and the review's thresholds, programme size, slow
demotion and economics. It writes the same configuration as the JSON file of
``openkam select --criteria``."""

from __future__ import annotations

import re

from django import forms

from openkam.engine.selection.criteria import (
    AXES,
    DIRECTIONS,
    MISSING_RULES,
    NORMALISATIONS,
    SOURCES,
    SelectionConfig,
    config_to_dict,
    default_config,
)

#: Short labels for the form's rows; the page's legend says what each means.
LABELS = {
    "attractiveness": "Attractiveness",
    "strength": "Strength",
    "higher": "Higher",
    "lower": "Lower",
    "minmax": "Min–max",
    "rank": "Rank",
    "scale": "Fixed scale",
    "worst": "Worst",
    "median": "Median",
    "exclude": "Left out",
    "data": "Ledger",
    "assessed": "Scored",
    "input": "Estimate",
}


def _choices(values):
    return [(v, LABELS.get(v, v)) for v in values]


#: Keys the data-derived criteria may have: what the engines compute.
DATA_KEYS = sorted({c.key for c in default_config().criteria if c.source != "assessed"})


class CriterionForm(forms.Form):
    """One criterion; an empty row (no key) is ignored, so the blank rows add criteria."""

    key = forms.CharField(
        max_length=64, required=False, widget=forms.TextInput(attrs={"placeholder": "key"})
    )
    label = forms.CharField(
        max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "label"})
    )
    axis = forms.ChoiceField(choices=_choices(AXES))
    source = forms.ChoiceField(choices=_choices(SOURCES))
    weight = forms.FloatField(min_value=0, initial=1)
    direction = forms.ChoiceField(choices=_choices(DIRECTIONS))
    normalisation = forms.ChoiceField(choices=_choices(NORMALISATIONS))
    missing = forms.ChoiceField(choices=_choices(MISSING_RULES), initial="median")
    scale_low = forms.FloatField(initial=1, required=False)
    scale_high = forms.FloatField(initial=5, required=False)
    description = forms.CharField(max_length=500, required=False)

    def clean(self):
        data = super().clean()
        key = (data.get("key") or "").strip()
        if not key:
            return data
        if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            self.add_error("key", "Use lower-case letters, digits and underscores.")
        if data.get("source") in ("data", "input") and key not in DATA_KEYS:
            self.add_error(
                "key",
                f"“{key}” is not a figure the engines compute; use one of "
                f"{', '.join(DATA_KEYS)}, or make it a criterion people score.",
            )
        if data.get("normalisation") == "scale":
            low, high = data.get("scale_low"), data.get("scale_high")
            if low is None or high is None or not high > low:
                self.add_error("scale_high", "A fixed scale needs a low below its high.")
        return data


CriterionFormSet = forms.formset_factory(CriterionForm, extra=2, can_delete=True)


class SettingsForm(forms.Form):
    """Everything in the configuration besides the criteria."""

    name = forms.CharField(max_length=200)
    based_on = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(max_length=500, required=False)
    attractiveness_threshold = forms.FloatField(min_value=0, max_value=10)
    strength_threshold = forms.FloatField(min_value=0, max_value=10)
    min_accounts = forms.IntegerField(min_value=1, label="Key accounts at least")
    max_accounts = forms.IntegerField(min_value=1, label="Key accounts at most")
    entry = forms.FloatField(min_value=0, max_value=10, label="Entry threshold")
    exit = forms.FloatField(min_value=0, max_value=10, label="Exit threshold")
    reviews = forms.IntegerField(min_value=1, label="Reviews below exit before demotion")
    uplift_rate = forms.FloatField(min_value=0, max_value=1, label="Uplift at full attraction")
    kam_cost = forms.FloatField(min_value=0, label="Cost of one full-time KAM")
    account_cost = forms.FloatField(min_value=0, label="Other cost per key account")
    fallback_years = forms.FloatField(min_value=0, label="Years of contribution without a CLV")


class CriteriaForm:
    """The settings form and the criteria formset together."""

    def __init__(self, data=None, *, config: SelectionConfig, number: int = 0):
        d = config_to_dict(config)
        initial = {
            "name": d["name"],
            "based_on": number,
            "attractiveness_threshold": d["attractiveness_threshold"],
            "strength_threshold": d["strength_threshold"],
            **{k: d["programme"][k] for k in ("min_accounts", "max_accounts")},
            **d["hysteresis"],
            **{k: v for k, v in d["economics"].items() if k != "continuity_bonus"},
        }

        def plain(v):
            # 150000, not 150000.0: numbers read as people typed them.
            return int(v) if isinstance(v, float) and v.is_integer() else v

        initial = {k: plain(v) for k, v in initial.items()}
        rows = [
            {
                **{k: c[k] for k in c if k != "scale"},
                # 3, not 3.0: weights read as the numbers people typed.
                "weight": int(c["weight"]) if float(c["weight"]).is_integer() else c["weight"],
                "scale_low": plain(float(c["scale"][0])),
                "scale_high": plain(float(c["scale"][1])),
            }
            for c in d["criteria"]
        ]
        self.base = d
        self.settings = SettingsForm(data, initial=initial)
        self.criteria = CriterionFormSet(data, initial=rows, prefix="c")

    def is_valid(self) -> bool:
        ok = self.settings.is_valid() & self.criteria.is_valid()
        if ok and not any(self._rows()):
            self.settings.add_error(None, "Keep at least one criterion.")
            return False
        return ok

    @property
    def cleaned_data(self) -> dict:
        return self.settings.cleaned_data

    def add_error(self, field, error) -> None:
        self.settings.add_error(field, error)

    def _rows(self) -> list[dict]:
        out = []
        for f in self.criteria.forms:
            c = f.cleaned_data
            if not c or c.get("DELETE") or not (c.get("key") or "").strip():
                continue
            out.append(
                {
                    "key": c["key"].strip(),
                    "label": (c.get("label") or "").strip() or c["key"].strip(),
                    "axis": c["axis"],
                    "source": c["source"],
                    "weight": c["weight"],
                    "direction": c["direction"],
                    "normalisation": c["normalisation"],
                    "missing": c["missing"],
                    "scale": [
                        c.get("scale_low") if c.get("scale_low") is not None else 1.0,
                        c.get("scale_high") if c.get("scale_high") is not None else 5.0,
                    ],
                    "description": c.get("description") or "",
                }
            )
        return out

    def config_dict(self) -> dict:
        """The configuration as the engine's dict (the JSON file format)."""
        s = self.settings.cleaned_data
        return {
            "name": s["name"],
            "criteria": self._rows(),
            "attractiveness_threshold": s["attractiveness_threshold"],
            "strength_threshold": s["strength_threshold"],
            # The KAM and sponsor loads are the champion's programme rules (people app);
            # the criteria keep the stored values only for the CLI's file.
            "programme": {
                **self.base["programme"],
                "min_accounts": s["min_accounts"],
                "max_accounts": s["max_accounts"],
            },
            "hysteresis": {k: s[k] for k in ("entry", "exit", "reviews")},
            "economics": {
                **self.base["economics"],
                **{k: s[k] for k in ("uplift_rate", "kam_cost", "account_cost", "fallback_years")},
            },
        }
