"""Forms of the relationship pages: they shape the input into the services' arguments, and the
services check the rules (a meeting in the future cannot be logged, scores run 1–5, …), so that the
web page, the API and the CLI refuse the same things with the same words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

from django import forms
from django.utils.choices import CallableChoiceIterator, normalize_choices

from twofold.people.models import Skill, SkillCategory
from twofold.programmes.models import Programme
from twofold.relationships.form_renderer import PAIR_FORM_RENDERER
from twofold.relationships.models import (
    AdvocacyKind,
    AdvocacyOutcome,
    CheckInPoint,
    ConcernStatus,
    MeetingStatus,
)
from twofold.relationships.services import OUTCOME_NOTE_MAX_LENGTH

PROFICIENCY_CHOICES = [(0, "0 · none"), (1, "1 · beginner"), (2, "2 · working"), (3, "3 · strong"), (4, "4 · expert")]
SCORE_WORDS = {
    "satisfaction": ("not at all satisfied", "very satisfied"),
    "psychological_safety": ("strongly disagree", "strongly agree"),
    "progress": ("no progress", "great progress"),
}
RECOMMEND_CHOICES = [("", "Not sure"), ("yes", "Yes"), ("no", "No")]


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _duration() -> forms.IntegerField:
    return forms.IntegerField(
        label="Duration in minutes",
        initial=45,
        widget=forms.NumberInput(attrs={"min": 5, "max": 600, "step": 5, "inputmode": "numeric"}),
    )


def _location() -> forms.CharField:
    return forms.CharField(label="Where", required=False, max_length=200, help_text="A room, or a video link.")


def _day(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))


def _text(label: str, *, rows: int = 3, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows})
    )


def skill_choices(skills: list[Skill]) -> list[tuple[str, list[tuple[int, str]]]]:
    """The taxonomy as option groups, one per category, in the order given."""
    # The category's label as get_category_display() gives it, without its lookup for each skill.
    labels = dict(SkillCategory.choices)
    groups: dict[str, list[tuple[int, str]]] = {}
    for skill in skills:
        groups.setdefault(labels.get(skill.category, skill.category), []).append((skill.pk, skill.name))
    return list(groups.items())


class _ChoicesMadeOnce(CallableChoiceIterator):
    """Choices made when first read, then kept for the form: Django reads a field's choices again
    for each value it checks, so that a plain callable would be called once per skill posted."""

    @cached_property
    def made(self) -> list[Any]:
        return list(normalize_choices(self.func()))

    def __iter__(self) -> Iterator[Any]:
        yield from self.made


class _PairForm(forms.Form):
    """A form of the pair's page: drawn by the renderer that writes the commonest widget and label
    templates in Python (``twofold.relationships.form_renderer``), to the same HTML."""

    default_renderer = PAIR_FORM_RENDERER


class _Reusable(_PairForm):
    """A form whose blank fields each draw the same for the same key (``blank_keys``, one per field),
    so that the pair's page draws each once per process (``{% form_fields %}``,
    ``relationships/templatetags/pair_forms.py``), shared by every pair whose field draws the same:
    the skill list, the dearest field, is keyed by the skill catalogue alone. A field showing a
    name of the pair is drawn each time. A bound form, or one given initial values or a prefix, has
    no keys and is drawn each time."""

    blank_keys: dict[str, tuple[Any, ...] | None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._blank = not self.is_bound and not self.initial and self.prefix is None

    def _reusable(self, *whole_form: Any, each_time: tuple[str, ...] = (), **per_field: Any) -> None:
        """What the blank fields draw besides the form's class, ids and field names: ``whole_form``
        for every field, ``per_field[name]`` for one field (its choices); the fields ``each_time``
        (showing the partner's name) are drawn for each form."""
        if self._blank:
            # The class itself, not its name: two forms of one name in two modules draw differently.
            self.blank_keys = {
                name: None
                if name in each_time
                else (type(self), self.auto_id, name, *whole_form, *((per_field[name],) if name in per_field else ()))
                for name in self.fields
            }


def _skills_key(skills: list[Skill]) -> tuple[tuple[int, str, str], ...]:
    return tuple((skill.pk, skill.name, skill.category) for skill in skills)


class _SkillsMixin(_Reusable):
    """Skills chosen by id from the catalogue handed in, cleaned into ``Skill`` rows (no query)."""

    skills_by_id: dict[int, Skill]

    def _set_skills(self, skills: list[Skill]) -> None:
        self.skills_by_id = {skill.pk: skill for skill in skills}
        for name in ("skills", "skill"):
            if name in self.fields:
                # Made when first read (drawing the field or checking a choice), once for the form: a
                # blank form's skill list is usually drawn from what {% form_fields %} kept, without them.
                self.fields[name].choices = _ChoicesMadeOnce(lambda: skill_choices(skills))  # type: ignore[attr-defined]


class MeetingLogForm(_SkillsMixin):
    """A meeting that took place, with a shared note and the author's private note."""

    starts_at = _when("When you met")
    duration_minutes = _duration()
    location = _location()
    skills = forms.TypedMultipleChoiceField(
        label="Skills you discussed",
        coerce=int,
        required=False,
        help_text="Hold Ctrl (or ⌘) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    shared_note = _text("Shared note", required=False, help_text="You both see this.")
    private_note = _text("Private note", rows=2, required=False)

    def __init__(self, *args: Any, skills: list[Skill], partner_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_skills(skills)
        self.fields[
            "private_note"
        ].help_text = f"Only you ever see this: not {partner_name}, not the programme managers."
        self._reusable(each_time=("private_note",), skills=_skills_key(skills))

    def chosen_skills(self) -> list[Skill]:
        return [self.skills_by_id[pk] for pk in self.cleaned_data["skills"]]


class MeetingEditForm(MeetingLogForm):
    """Reschedule, mark held or cancel a meeting, or complete its record."""

    status = forms.ChoiceField(label="Status")

    field_order = ["status", "starts_at", "duration_minutes", "location", "skills", "shared_note", "private_note"]

    def __init__(self, *args: Any, statuses: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].label = "When"
        self.fields["status"].choices = [(status, MeetingStatus(status).label) for status in statuses]  # type: ignore[attr-defined]
        # Never reused: its statuses and label come after MeetingLogForm's key, and the meeting it
        # edits gives it values anyway.
        self.blank_keys = None

    def changed_start(self, current: datetime) -> datetime | None:
        """The new start, or None when it is the current one to the minute (the form drops seconds)."""
        new = self.cleaned_data["starts_at"]
        return None if new == current.replace(second=0, microsecond=0) else new


class MeetingScheduleForm(_Reusable):
    """A meeting still to come, put in both calendars."""

    starts_at = _when("When you will meet")
    duration_minutes = _duration()
    location = _location()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reusable()


class KnowledgeTransferForm(_SkillsMixin):
    """A skill that moved between the two, and how far (0–4)."""

    skill = forms.TypedChoiceField(label="Skill", coerce=int)
    direction = forms.ChoiceField(label="Who taught whom", widget=forms.RadioSelect)
    proficiency_before = forms.TypedChoiceField(label="Level before", coerce=int, choices=PROFICIENCY_CHOICES)
    proficiency_after = forms.TypedChoiceField(label="Level now", coerce=int, choices=PROFICIENCY_CHOICES)
    recorded_on = _day("Date", required=False)
    note = _text("What made the difference", rows=2, required=False)

    def __init__(self, *args: Any, skills: list[Skill], directions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_skills(skills)
        self.fields["direction"].choices = directions  # type: ignore[attr-defined]
        self._reusable(each_time=("direction",), skill=_skills_key(skills))
        if directions and not self.is_bound:
            self.initial.setdefault("direction", directions[0][0])
        self.fields["recorded_on"].help_text = "Leave empty for today."

    def chosen_skill(self) -> Skill:
        return self.skills_by_id[self.cleaned_data["skill"]]


class AdvocacyActionForm(_PairForm):
    """Something the sponsor did for their protégé."""

    kind = forms.ChoiceField(label="What you did", choices=AdvocacyKind.choices)
    happened_on = _day("When")
    description = _text("Details", help_text="Who, what, and what it could lead to.")


class AdvocacyOutcomeForm(_PairForm):
    """What came of an advocacy action."""

    outcome = forms.ChoiceField(label="Outcome", choices=AdvocacyOutcome.choices)
    note = forms.CharField(label="Note on the outcome", required=False, max_length=OUTCOME_NOTE_MAX_LENGTH)


def _score(name: str, label: str) -> forms.TypedChoiceField:
    low, high = SCORE_WORDS[name]
    choices = [(value, str(value)) for value in range(1, 6)]
    choices[0], choices[-1] = (1, f"1 – {low}"), (5, f"5 – {high}")
    return forms.TypedChoiceField(label=label, coerce=int, choices=choices, widget=forms.RadioSelect)


class CheckInForm(_Reusable):
    """A short pulse at one check-in point; the closing survey also asks whether you would recommend it."""

    point = forms.ChoiceField(choices=CheckInPoint.choices, widget=forms.HiddenInput)
    satisfaction = _score("satisfaction", "How satisfied are you with this relationship?")
    psychological_safety = _score("psychological_safety", "“I can speak openly in this relationship.”")
    progress = _score("progress", "How much progress are you making towards your goals?")
    comment = _text("Anything to add?", rows=2, required=False, help_text="Your partner does not see your answers.")
    would_recommend = forms.TypedChoiceField(
        label="Would you recommend this programme to a colleague?",
        choices=RECOMMEND_CHOICES,
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, point: str, **kwargs: Any) -> None:
        # Several check-ins may be open at once: ids carry the point so that labels stay unique.
        kwargs.setdefault("auto_id", f"checkin-{point}-%s")
        super().__init__(*args, **kwargs)
        self.initial.setdefault("point", point)  # after _Reusable has seen that none was given
        self.check_in_point = point
        self.point_label = CheckInPoint(point).label if point in CheckInPoint.values else point
        if point != CheckInPoint.CLOSING:
            del self.fields["would_recommend"]
        self._reusable(point)


class ConcernForm(_Reusable):
    text = _text(
        "What worries you?",
        rows=4,
        help_text="Goes to the programme managers only. Your partner is never told.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reusable()


class EndForm(_Reusable):
    reason = forms.CharField(
        label="Why are you ending it?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your partner and the programme managers see the reason.",
    )
    rematch = forms.BooleanField(
        label="Match us both again: keep us in the programme's pool for the next matching", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reusable()


class AgreementForm(_PairForm):
    goals = _text("Goals", rows=4, required=False)
    cadence_days = forms.IntegerField(
        label="Meet every … days", widget=forms.NumberInput(attrs={"min": 1, "max": 365, "inputmode": "numeric"})
    )
    confidentiality = _text("Confidentiality statement", rows=4, required=False)

    def __init__(self, *args: Any, with_confidentiality: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_confidentiality:
            del self.fields["confidentiality"]
        self.fields["goals"].help_text = "Changing the agreement asks both of you to accept it again."


class NominationForm(_PairForm):
    programme = forms.TypedChoiceField(
        label="Sponsorship programme",
        coerce=int,
        error_messages={
            "invalid_choice": "That programme is not taking candidates now, or they were already nominated for it."
        },
    )
    statement = _text("Why you put them forward", rows=4)

    def __init__(self, *args: Any, programmes: list[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programmes = {programme.pk: programme for programme in programmes}
        self.fields["programme"].choices = [(programme.pk, programme.name) for programme in programmes]  # type: ignore[attr-defined]

    def chosen_programme(self) -> Programme:
        return self.programmes[self.cleaned_data["programme"]]


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])


class ConcernUpdateForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=[(ConcernStatus.ACKNOWLEDGED, "Acknowledged"), (ConcernStatus.RESOLVED, "Resolved")]
    )
    resolution = forms.CharField(
        label="How it was resolved", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args: Any, concern_id: int | None = None, **kwargs: Any) -> None:
        if concern_id is not None:
            kwargs.setdefault("auto_id", f"concern-{concern_id}-%s")
        super().__init__(*args, **kwargs)
