"""The pair's page draws each blank form once per process (``{% form_fields %}``): what it reuses is
exactly what the field template draws, for that form's choices, labels and ids only; a bound form
(with its input and errors) is drawn each time."""

from __future__ import annotations

from django.template import Context, Template

from tests.factories import SkillFactory
from twofold.relationships.forms import (
    CheckInForm,
    ConcernForm,
    EndForm,
    KnowledgeTransferForm,
    MeetingEditForm,
    MeetingLogForm,
    MeetingScheduleForm,
)
from twofold.relationships.selectors import skill_catalogue

DRAWN_EACH_TIME = Template('{% for field in form %}{% include "relationships/partials/form_field.html" %}{% endfor %}')
REUSED = Template("{% load pair_forms %}{% form_fields form %}")


def _both(form) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return DRAWN_EACH_TIME.render(Context({"form": form})), REUSED.render(Context({"form": form}))


def test_a_blank_form_is_drawn_as_the_field_template_draws_it(db) -> None:  # type: ignore[no-untyped-def]
    SkillFactory(name="Negotiation")
    skills = skill_catalogue()
    directions = [("mentor_to_mentee", "Vera taught Ana"), ("mentee_to_mentor", "Ana taught Vera")]
    for make in (
        lambda: MeetingLogForm(skills=skills, partner_name="Vera", auto_id="log-%s"),
        lambda: MeetingScheduleForm(auto_id="schedule-%s"),
        lambda: KnowledgeTransferForm(skills=skills, directions=directions, auto_id="knowledge-%s"),
        lambda: CheckInForm(point="fit"),
        lambda: CheckInForm(point="closing"),
        lambda: ConcernForm(auto_id="concern-%s"),
        lambda: EndForm(auto_id="end-%s"),
    ):
        assert make().blank_key is not None
        fresh, reused = _both(make())
        assert fresh == reused and "<" in fresh
        assert REUSED.render(Context({"form": make()})) == fresh  # drawn again from what was kept


def test_what_a_blank_form_draws_is_part_of_what_is_kept(db) -> None:  # type: ignore[no-untyped-def]
    skills = [SkillFactory(name="Negotiation")]
    for_vera = REUSED.render(Context({"form": MeetingLogForm(skills=skills, partner_name="Vera")}))
    for_ben = REUSED.render(Context({"form": MeetingLogForm(skills=skills, partner_name="Ben")}))
    assert "not Vera" in for_vera and "not Ben" in for_ben
    more = REUSED.render(
        Context({"form": MeetingLogForm(skills=[*skills, SkillFactory(name="Pricing")], partner_name="Vera")})
    )
    assert "Pricing" in more and "Pricing" not in for_vera
    assert "checkin-midpoint-" in REUSED.render(Context({"form": CheckInForm(point="midpoint")}))


def test_a_bound_form_or_one_with_values_is_drawn_each_time(db) -> None:  # type: ignore[no-untyped-def]
    skills = skill_catalogue()
    blank = MeetingLogForm(skills=skills, partner_name="Vera", auto_id="log-%s")
    REUSED.render(Context({"form": blank}))
    posted = MeetingLogForm({"duration_minutes": "3"}, skills=skills, partner_name="Vera", auto_id="log-%s")
    assert not posted.is_valid() and posted.blank_key is None
    fresh, reused = _both(posted)
    assert fresh == reused and 'value="3"' in reused and 'role="alert"' in reused
    editing = MeetingEditForm(
        skills=skills, partner_name="Vera", statuses=("held",), auto_id="edit-%s", initial={"location": "Room 7"}
    )
    assert editing.blank_key is None and "Room 7" in REUSED.render(Context({"form": editing}))
    assert CheckInForm(point="fit", initial={"comment": "Mine"}).blank_key is None
