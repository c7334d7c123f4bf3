"""Plan forms; each carries the version it was read at, for optimistic locking."""

from __future__ import annotations

from django import forms

from openkam.web.accounts.forms import VersionedForm
from openkam.web.planning.models import (
    SHAREABLE_SECTIONS,
    Action,
    Objective,
    Plan,
    Risk,
    ValueProposition,
    WhitespaceCell,
)
from openkam.web.planning.services import PLAN_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(VersionedForm):
    class Meta:
        model = Plan
        fields = PLAN_FIELDS
        widgets = {
            **{
                f: forms.Textarea(attrs={"rows": 3})
                for f in PLAN_FIELDS
                if f
                not in (
                    "share_of_wallet",
                    "relationship_stage",
                    "review_every_months",
                    "next_review",
                )
            },
            "next_review": DATE,
        }


class PartForm(VersionedForm):
    """A row of one of the plan's lists; knows its plan before the row exists."""

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan or self.instance.plan


class ObjectiveForm(PartForm):
    class Meta:
        model = Objective
        fields = ["year", "metric", "target", "note", "customer_visible", "customer_text"]

    def clean(self):
        data = super().clean()
        if data.get("metric") == Objective.Metric.MILESTONE:
            return data
        others = Objective.objects.filter(
            plan=self.plan, year=data.get("year"), metric=data.get("metric")
        ).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("The plan already has this objective for that year.")
        return data


class ValuePropositionForm(PartForm):
    class Meta:
        model = ValueProposition
        fields = ["solution", "customer_gain"]


class WhitespaceForm(PartForm):
    class Meta:
        model = WhitespaceCell
        fields = ["product_line", "business_unit", "potential", "note"]


class RiskForm(PartForm):
    class Meta:
        model = Risk
        fields = ["description", "likelihood", "impact", "mitigation"]


class ActionForm(PartForm):
    class Meta:
        model = Action
        fields = ["title", "owner", "due", "status", "customer_visible"]
        widgets = {"due": DATE}


PART_FORMS = {
    "objectives": ObjectiveForm,
    "value_propositions": ValuePropositionForm,
    "whitespace": WhitespaceForm,
    "risks": RiskForm,
    "actions": ActionForm,
}


class SharingForm(forms.Form):
    sections = forms.MultipleChoiceField(
        choices=list(SHAREABLE_SECTIONS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Sections shared with the customer",
    )
