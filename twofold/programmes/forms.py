"""Forms of the programme pages; the services check the rules, the forms only shape the input."""

from __future__ import annotations

from typing import Any

from django import forms

from twofold.matching import COMPONENTS
from twofold.people.models import Skill, SkillCategory
from twofold.programmes.models import Programme
from twofold.programmes.services import FAIRNESS_ATTRIBUTES

PROGRAMME_FIELDSETS: list[tuple[str, tuple[str, ...]]] = [
    ("About", ("name", "description")),
    ("Cohort and cadence", ("starts_on", "ends_on", "enrolment_closes_on", "duration_months", "cadence_days")),
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
            "invite_only",
            "requires_manager_approval",
        ),
    ),
    (
        "Matching",
        (
            "matching_mode",
            "capacity",
            "acceptance",
            "proposal_expiry_days",
            "allow_repeat_pairs",
            "fairness_enabled",
            "fairness_attribute",
            "fairness_tolerance",
            "policy",
        ),
    ),
    ("Check-ins", ("checkin_after_first_meeting", "checkin_at_midpoint", "checkin_at_end")),
]
PROGRAMME_FORM_FIELDS = [name for _, names in PROGRAMME_FIELDSETS for name in names]
# Fields whose help text the form shows under them (the others' labels say enough).
FIELDS_WITH_HELP = ("enrolment_closes_on", "invite_only", "matching_mode", "policy")


# What each kind calls its two sides, as the form's labels say them.
KIND_ROLE_NAMES = {"reverse_mentoring": ("reverse mentor", "senior mentee"), "sponsorship": ("sponsor", "protégé")}


def not_applicable(kind: str, current: Any) -> tuple[str, ...]:
    """The form fields a programme of ``kind`` does without: reverse mentoring has no high-potential
    requirement and no fairness minimums, unless this programme already turned them on."""
    if kind != "reverse_mentoring":
        return ()
    hidden: list[str] = []
    if not current("requires_high_potential"):
        hidden.append("requires_high_potential")
    if not current("fairness_enabled"):
        hidden.extend(("fairness_enabled", "fairness_attribute", "fairness_tolerance"))
    return tuple(hidden)


class ProgrammeForm(forms.ModelForm):
    fairness_attribute = forms.ChoiceField(
        choices=[(name, name.replace("_", " ").capitalize()) for name in FAIRNESS_ATTRIBUTES], required=False
    )
    # Checked by the service with the matching library's own rules; the form only reads the JSON.
    policy = forms.JSONField(
        required=False,
        label="Matching weights (advanced)",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=(
            "Leave empty for the kind's defaults, or override them as JSON, e.g. "
            '{"weights": {"skills": 4, "cross_department": 1}}. Weights (0 or more, at most 4 decimals): '
            + ", ".join(COMPONENTS)
            + ". Also possible: "
            '{"rules": {"preferred_gap": [3, 6], "maximize_matched": true}}.'
        ),
    )

    class Meta:
        model = Programme
        fields = PROGRAMME_FORM_FIELDS
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "enrolment_closes_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "starts_on": "Starts on",
            "ends_on": "Ends on",
            "duration_months": "Length (months)",
            "cadence_days": "Meet every … days",
            "min_level_gap": "Minimum level gap between the two",
            "max_level_gap": "Maximum level gap",
            "requires_high_potential": "Only high-potential people as protégés",
            "requires_manager_approval": "Applications need the line manager's approval",
            "matching_mode": "How pairs are made",
            "acceptance": "Who must accept a proposal",
            "proposal_expiry_days": "Days to answer a proposal",
            "allow_repeat_pairs": "Allow pairs who were matched before",
            "fairness_enabled": "Fairness minimums on matching",
            "fairness_attribute": "Fairness by",
            "fairness_tolerance": "Fairness tolerance (share, e.g. 0.05)",
            "checkin_after_first_meeting": "Check-in after the first meeting",
            "checkin_at_midpoint": "Check-in at the midpoint",
            "checkin_at_end": "Check-in at the end",
        }

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        giver, receiver = KIND_ROLE_NAMES[kind]
        self.fields["mentor_min_level"].label = f"{giver.capitalize()}s at level … or above"
        self.fields["mentor_max_level"].label = f"{giver.capitalize()}s at level … or below"
        self.fields["mentee_min_level"].label = f"{receiver.capitalize()}s at level … or above"
        self.fields["mentee_max_level"].label = f"{receiver.capitalize()}s at level … or below"
        self.fields["capacity"].label = f"Seats per {giver}"
        for name in not_applicable(kind, self._current):
            del self.fields[name]
        for name in FIELDS_WITH_HELP:
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-help"

    def _current(self, name: str) -> Any:
        """A setting's value as the form starts: the programme's, or the kind's default."""
        if self.instance.pk is not None:
            return getattr(self.instance, name)
        return self.initial.get(name)

    def values(self) -> dict[str, Any]:
        """The cleaned settings the form shows (those that do not apply to the kind keep their value)."""
        return {name: self.cleaned_data[name] for name in PROGRAMME_FORM_FIELDS if name in self.fields}

    def fields_with_help(self) -> tuple[str, ...]:
        return FIELDS_WITH_HELP

    def fieldsets(self) -> list[tuple[str, list[Any]]]:
        return [(title, [self[name] for name in names if name in self.fields]) for title, names in PROGRAMME_FIELDSETS]

    def clean_policy(self) -> Any:
        # An empty box means "no overrides".
        policy = self.cleaned_data.get("policy")
        return {} if policy in (None, "") else policy


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


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
AVAILABILITY_CHOICES = [
    (str(2 * day + half), f"{name} {'morning' if half == 0 else 'afternoon'}")
    for day, name in enumerate(WEEKDAYS)
    for half in (0, 1)
]


def availability_mask(bits: list[str]) -> int:
    return sum(1 << int(bit) for bit in bits)


def availability_bits(mask: int) -> list[str]:
    return [value for value, _ in AVAILABILITY_CHOICES if mask & (1 << int(value))]


class ApplicationForm(forms.Form):
    """Joining a programme: as which side, what for, which skills, and when one can meet."""

    role = forms.ChoiceField(widget=forms.RadioSelect)
    goals = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What you hope to give or get; your partner sees this.",
    )
    focus_skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.order_by("category", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Skills in focus",
    )
    availability = forms.MultipleChoiceField(
        choices=AVAILABILITY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="When you can usually meet",
        help_text="Leave empty if you are flexible.",
    )
    aspiration = forms.ChoiceField(
        required=False, label="Where you want your career to go", help_text="Protégés: a sponsor from there helps most."
    )
    capacity = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10,
        label="How many people you can take on",
        help_text="Mentors and sponsors.",
    )

    def __init__(self, *args: Any, roles: list[tuple[str, str]], departments: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = roles
        if len(roles) == 1:
            role_field.initial = roles[0][0]
        aspiration_field = self.fields["aspiration"]
        assert isinstance(aspiration_field, forms.ChoiceField)
        aspiration_field.choices = [("", "Not decided"), *((name, name) for name in departments)]

    def skill_groups(self) -> list[tuple[str, list[Any], int]]:
        """The focus-skill checkboxes by category, with how many of each are ticked."""
        categories = dict(Skill.objects.values_list("pk", "category"))
        grouped: dict[str, list[Any]] = {}
        for option in self["focus_skills"].subwidgets:
            category = categories.get(int(str(option.data["value"])), SkillCategory.OTHER)
            grouped.setdefault(category, []).append(option)
        return [
            (SkillCategory(category).label, options, sum(1 for option in options if option.data["selected"]))
            for category, options in grouped.items()
        ]


class PoolFileForm(forms.Form):
    file = forms.FileField(
        label="A CSV or XLSX file",
        help_text=(
            "Two columns: employee_id and role (mentor, sponsor, mentee or protégé). "
            "Nobody is added unless every row is right."
        ),
    )


class EmailWordingForm(forms.Form):
    subject = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "wide"}))
    body = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 12}))
