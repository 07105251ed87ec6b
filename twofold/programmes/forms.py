"""Forms of the programme pages; the services check the rules, the forms only shape the input."""

from __future__ import annotations

from typing import Any

from django import forms

from twofold.programmes.models import Programme
from twofold.programmes.services import FAIRNESS_ATTRIBUTES

PROGRAMME_FIELDSETS: list[tuple[str, tuple[str, ...]]] = [
    ("About", ("name", "description")),
    ("Cohort and cadence", ("starts_on", "ends_on", "duration_months", "cadence_days")),
    (
        "Who can take part",
        (
            "mentor_min_level",
            "mentor_max_level",
            "mentee_min_level",
            "mentee_max_level",
            "min_level_gap",
            "max_level_gap",
            "requires_high_potential",
            "requires_manager_approval",
        ),
    ),
    (
        "Matching",
        (
            "capacity",
            "acceptance",
            "proposal_expiry_days",
            "allow_repeat_pairs",
            "fairness_enabled",
            "fairness_attribute",
            "fairness_tolerance",
        ),
    ),
    ("Check-ins", ("checkin_after_first_meeting", "checkin_at_midpoint", "checkin_at_end")),
]
PROGRAMME_FORM_FIELDS = [name for _, names in PROGRAMME_FIELDSETS for name in names]


class ProgrammeForm(forms.ModelForm):
    fairness_attribute = forms.ChoiceField(
        choices=[(name, name.replace("_", " ").capitalize()) for name in FAIRNESS_ATTRIBUTES], required=False
    )

    class Meta:
        model = Programme
        fields = PROGRAMME_FORM_FIELDS
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "mentor_min_level": "Mentors/sponsors at level … or above",
            "mentor_max_level": "Mentors/sponsors at level … or below",
            "mentee_min_level": "Mentees/protégés at level … or above",
            "mentee_max_level": "Mentees/protégés at level … or below",
            "min_level_gap": "Minimum level gap between the two",
            "max_level_gap": "Maximum level gap",
            "capacity": "Seats per mentor or sponsor",
            "proposal_expiry_days": "Days to answer a proposal",
            "fairness_tolerance": "Fairness tolerance (share, e.g. 0.05)",
        }

    def fieldsets(self) -> list[tuple[str, list[Any]]]:
        return [(title, [self[name] for name in names]) for title, names in PROGRAMME_FIELDSETS]


class InviteForm(forms.Form):
    role = forms.ChoiceField(choices=[("mentor", "Mentors / sponsors"), ("mentee", "Mentees / protégés")])
    min_level = forms.IntegerField(required=False, min_value=1, max_value=30, label="From level")
    max_level = forms.IntegerField(required=False, min_value=1, max_value=30, label="To level")
    departments = forms.MultipleChoiceField(required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    locations = forms.MultipleChoiceField(required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    high_potential_only = forms.BooleanField(required=False, label="High potential only")

    def __init__(self, *args: Any, departments: list[str], locations: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, values in (("departments", departments), ("locations", locations)):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = [(value, value) for value in values]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_level"), data.get("max_level")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("“From level” is above “To level”.")
        return data
