"""The pair's forms are drawn by ``PairFormRenderer``, which writes Django's widget and label templates
in Python: every field of every form of the page, blank, with hostile values and bound with hostile
input (and so with errors), draws the same HTML as Django's own renderer draws from the templates."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from tests.factories import SkillFactory
from twofold.programmes.models import Programme
from twofold.relationships.form_renderer import PAIR_FORM_RENDERER, PairFormRenderer
from twofold.relationships.forms import (
    AdvocacyActionForm,
    AdvocacyOutcomeForm,
    AgreementForm,
    CheckInForm,
    ConcernForm,
    EndForm,
    KnowledgeTransferForm,
    MeetingEditForm,
    MeetingLogForm,
    MeetingScheduleForm,
    NominationForm,
)
from twofold.relationships.selectors import skill_catalogue

HOSTILE = "<b>\"Vera\" & 'Ana'</b>\n{{ x }} {% y %} &amp; é"
TEMPLATES = DjangoTemplates()


def _drawn_both_ways(form: django_forms.Form) -> list[tuple[str, str]]:
    """Each field (widget and label) drawn by the pair's renderer and by Django's templates."""
    assert form.renderer is PAIR_FORM_RENDERER
    python = [(str(field), field.label_tag()) for field in form]
    form.renderer = TEMPLATES
    templates = [(str(field), field.label_tag()) for field in form]
    return list(zip(python, templates, strict=True))


def _forms(skills: Any, programmes: list[Programme]) -> list[django_forms.Form]:
    directions = [("mentor_to_mentee", f"{HOSTILE} taught Ana"), ("mentee_to_mentor", f"Ana taught {HOSTILE}")]
    every_value = {
        "starts_at": HOSTILE,
        "duration_minutes": HOSTILE,
        "location": HOSTILE,
        "shared_note": HOSTILE,
        "private_note": HOSTILE,
        "skills": [HOSTILE, str(skills[0].pk)],
        "skill": HOSTILE,
        "direction": HOSTILE,
        "proficiency_before": "9",
        "recorded_on": HOSTILE,
        "note": HOSTILE,
        "kind": HOSTILE,
        "happened_on": HOSTILE,
        "description": HOSTILE,
        "outcome": HOSTILE,
        "satisfaction": "3",
        "comment": HOSTILE,
        "would_recommend": "yes",
        "text": HOSTILE,
        "reason": HOSTILE,
        "goals": HOSTILE,
        "cadence_days": HOSTILE,
        "confidentiality": HOSTILE,
        "programme": HOSTILE,
        "statement": HOSTILE,
        "status": HOSTILE,
    }
    made = []
    for data in (None, every_value, {}):
        made += [
            MeetingLogForm(data, skills=skills, partner_name=HOSTILE, auto_id="log-%s"),
            MeetingEditForm(
                data,
                skills=skills,
                partner_name=HOSTILE,
                statuses=("held", "cancelled"),
                auto_id="edit-%s",
                initial={"location": HOSTILE, "shared_note": HOSTILE, "private_note": HOSTILE, "duration_minutes": 45},
            ),
            MeetingScheduleForm(data, auto_id="schedule-%s"),
            KnowledgeTransferForm(data, skills=skills, directions=directions, auto_id="knowledge-%s"),
            AdvocacyActionForm(data, auto_id="advocacy-%s"),
            AdvocacyOutcomeForm(data, prefix="outcome-7", initial={"outcome": "succeeded", "note": HOSTILE}),
            CheckInForm(data, point="fit"),
            CheckInForm(data, point="closing", initial={"comment": HOSTILE}),
            ConcernForm(data, auto_id="concern-%s"),
            EndForm(data, auto_id="end-%s"),
            AgreementForm(
                data,
                auto_id="agreement-%s",
                with_confidentiality=True,
                initial={"goals": HOSTILE, "cadence_days": 14, "confidentiality": mark_safe("<i>kept</i>")},
            ),
            AgreementForm(data, with_confidentiality=False, auto_id=False),
            NominationForm(data, programmes=programmes, auto_id="nomination-%s"),
        ]
    return made


def test_every_field_of_the_pair_forms_is_drawn_as_the_templates_draw_it(db) -> None:  # type: ignore[no-untyped-def]
    SkillFactory(name=HOSTILE)
    SkillFactory(name="Negotiation")
    skills = skill_catalogue()
    programmes = [Programme(pk=3, name=HOSTILE), Programme(pk=4, name="Second")]
    compared = 0
    for form in _forms(skills, programmes):
        form.is_bound and form.is_valid()
        for python, templates in _drawn_both_ways(form):
            assert python == templates
            compared += 1
    assert compared > 100


def test_what_it_does_not_write_goes_to_the_template() -> None:
    class Grouped(django_forms.Form):
        default_renderer = PAIR_FORM_RENDERER
        choice = django_forms.ChoiceField(
            choices=[("Group <1>", [("a", "A & a")]), ("b", "B")], widget=django_forms.RadioSelect
        )
        boxes = django_forms.MultipleChoiceField(
            choices=[("x", mark_safe("<em>X</em>")), ("y", 7)], widget=django_forms.CheckboxSelectMultiple
        )
        flag = django_forms.BooleanField(label=mark_safe("<em>Flag</em>"), required=False)
        hidden = django_forms.CharField(widget=django_forms.HiddenInput(attrs={"data-x": ("a", "b")}))

    form = Grouped(initial={"boxes": ["x"], "flag": True, "hidden": 'a"b'})
    for python, templates in _drawn_both_ways(form):
        assert python == templates
    assert isinstance(PAIR_FORM_RENDERER, PairFormRenderer)


def test_the_python_writers_are_the_ones_that_draw(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The comparisons above prove nothing if every writer handed its field back to the template:
    count the templates each writer drew itself, and require each writer to have drawn some."""
    from twofold.relationships import form_renderer

    drawn: dict[str, int] = {}

    def recording(name: str, write: Any) -> Any:
        def wrapped(context: Any) -> str:
            html = write(context)  # raises _AsTemplate when the template is to draw it
            drawn[name] = drawn.get(name, 0) + 1
            return html

        return wrapped

    for name, write in list(form_renderer._WRITTEN.items()):
        monkeypatch.setitem(form_renderer._WRITTEN, name, recording(name, write))

    class Boxes(django_forms.Form):
        default_renderer = PAIR_FORM_RENDERER
        boxes = django_forms.MultipleChoiceField(
            choices=[("x", HOSTILE), ("y", "Y")], widget=django_forms.CheckboxSelectMultiple
        )

    SkillFactory(name=HOSTILE)
    forms = [*_forms(skill_catalogue(), [Programme(pk=3, name=HOSTILE)]), Boxes({"boxes": ["x", "y"]})]
    for form in forms:
        form.is_bound and form.is_valid()
        for python, templates in _drawn_both_ways(form):
            assert python == templates
    for name in (
        "django/forms/widgets/text.html",
        "django/forms/widgets/textarea.html",
        "django/forms/widgets/radio.html",
        "django/forms/widgets/checkbox_select.html",
        "django/forms/label.html",
    ):
        assert drawn.get(name, 0) > 0, name
    assert "checked" in str(forms[-1]["boxes"])
