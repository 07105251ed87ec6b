"""The pair's page draws each blank form once per process (``{% form_fields %}``): what it reuses is
exactly what the field template draws, for that form's choices, labels and ids only; a bound form
(with its input and errors) is drawn each time, and makes its skill list once however many skills
are posted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import SkillFactory
from tests.people.test_views import signed_in
from tests.relationships.pairing import pair_up
from tests.relationships.test_views import when
from twofold.people.models import Skill
from twofold.programmes.models import Programme
from twofold.relationships import forms
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
    skill_choices,
)
from twofold.relationships.selectors import skill_catalogue
from twofold.relationships.templatetags import pair_forms

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
        assert make().blank_keys is not None
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
    assert not posted.is_valid() and posted.blank_keys is None
    fresh, reused = _both(posted)
    assert fresh == reused and 'value="3"' in reused and 'role="alert"' in reused
    editing = MeetingEditForm(
        skills=skills, partner_name="Vera", statuses=("held",), auto_id="edit-%s", initial={"location": "Room 7"}
    )
    assert editing.blank_keys is None and "Room 7" in REUSED.render(Context({"form": editing}))
    assert CheckInForm(point="fit", initial={"comment": "Mine"}).blank_keys is None


def test_the_edit_form_is_drawn_with_its_own_statuses_and_label(db) -> None:  # type: ignore[no-untyped-def]
    skills = skill_catalogue()
    REUSED.render(Context({"form": MeetingLogForm(skills=skills, partner_name="Vera", auto_id="log-%s")}))
    held = MeetingEditForm(skills=skills, partner_name="Vera", statuses=("held",), auto_id="log-%s")
    assert held.blank_keys is None
    fresh, reused = _both(held)
    assert fresh == reused and "When you met" not in reused
    both = MeetingEditForm(skills=skills, partner_name="Vera", statuses=("held", "cancelled"), auto_id="log-%s")
    assert 'value="cancelled"' in REUSED.render(Context({"form": both}))


class _OtherScheduleForm(MeetingScheduleForm):
    """Another form of the same name (as in another module), drawing another label."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].label = "Room"


_OtherScheduleForm.__qualname__ = MeetingScheduleForm.__qualname__


def test_two_form_classes_of_one_name_are_kept_apart(db) -> None:  # type: ignore[no-untyped-def]
    assert ">Where" in REUSED.render(Context({"form": MeetingScheduleForm(auto_id="same-%s")}))
    fresh, reused = _both(_OtherScheduleForm(auto_id="same-%s"))
    assert fresh == reused and ">Room" in reused


def test_two_pairs_share_the_skill_list_and_each_sees_its_own_names(db) -> None:  # type: ignore[no-untyped-def]
    SkillFactory(name="Negotiation")
    skills = skill_catalogue()
    pair_forms._drawn.clear()
    vera = MeetingLogForm(skills=skills, partner_name="Vera", auto_id="log-%s")
    fresh_vera, reused_vera = _both(vera)
    kept = dict(pair_forms._drawn)
    ben = MeetingLogForm(skills=skills, partner_name="Ben", auto_id="log-%s")
    assert ben.blank_keys is not None and vera.blank_keys is not None
    assert ben.blank_keys["skills"] == vera.blank_keys["skills"] and ben.blank_keys["skills"] in kept
    assert REUSED.render(Context({"form": ben})) == DRAWN_EACH_TIME.render(Context({"form": ben}))
    assert pair_forms._drawn == kept  # Ben's form drew nothing new to keep
    assert fresh_vera == reused_vera and "not Vera" in reused_vera
    assert "not Ben" in REUSED.render(Context({"form": ben})) and "Vera" not in REUSED.render(Context({"form": ben}))

    to_vera = [("mentor_to_mentee", "Vera taught Ana"), ("mentee_to_mentor", "Ana taught Vera")]
    to_ben = [("mentor_to_mentee", "Ben taught Ana"), ("mentee_to_mentor", "Ana taught Ben")]
    first = KnowledgeTransferForm(skills=skills, directions=to_vera, auto_id="knowledge-%s")
    REUSED.render(Context({"form": first}))
    kept = dict(pair_forms._drawn)
    second = KnowledgeTransferForm(skills=skills, directions=to_ben, auto_id="knowledge-%s")
    fresh, reused = _both(second)
    assert fresh == reused and "Ben taught Ana" in reused and "Vera" not in reused
    assert pair_forms._drawn == kept


def test_a_posted_form_makes_its_skill_list_once_whatever_the_skills_posted(
    cast: Cast, reverse_mentoring: Programme, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    active = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=60))
    skills = [SkillFactory(name=f"Skill {n:02}") for n in range(20)]
    made: list[int] = []

    def counted(catalogue: list[Skill]) -> Any:
        made.append(len(catalogue))
        return skill_choices(catalogue)

    monkeypatch.setattr(forms, "skill_choices", counted)
    client = signed_in(cast.ana_user)
    posted = {"starts_at": when(-timedelta(days=2)), "duration_minutes": "45", "same_day": "yes"}
    response = client.post(
        reverse("relationships:meeting_log", args=[active.pk]), {**posted, "skills": [s.pk for s in skills]}
    )
    assert response.status_code == 302
    assert sorted(active.meetings.get().skills.values_list("pk", flat=True)) == sorted(s.pk for s in skills)
    assert made == [20]
    # A skill outside the catalogue is still refused, by the list made once.
    made.clear()
    form = MeetingLogForm({**posted, "skills": [skills[0].pk, 10**9]}, skills=skill_catalogue(), partner_name="Vera")
    assert not form.is_valid() and "skills" in form.errors and made == [20]


INCLUDED = Template(
    '{% include "relationships/partials/notice.html" %}|{% include "relationships/partials/form_errors.html" %}'
)
TAGGED = Template("{% load pair_forms %}{% notice %}|{% form_errors form %}")


def test_the_notice_and_error_tags_draw_what_their_templates_draw(db) -> None:  # type: ignore[no-untyped-def]
    with_errors = ConcernForm({"text": ""}, auto_id="concern-%s")
    assert with_errors.errors
    for notice in ("", "Saved <b>R&D</b>"):
        for form in (None, ConcernForm(auto_id="concern-%s"), with_errors):
            context = {"notice": notice, "form": form}
            drawn = TAGGED.render(Context(context))
            assert drawn == INCLUDED.render(Context(context))
            assert ("Saved &lt;b&gt;R&amp;D&lt;/b&gt;" in drawn) == bool(notice)
            assert ('href="#concern-text"' in drawn) == (form is with_errors)


def test_every_form_of_the_pair_s_page_is_drawn_as_the_field_template_draws_it(db) -> None:  # type: ignore[no-untyped-def]
    # Written in Python for the pair's page, the field template's markup must stay what the template
    # (still drawing the managers' forms) draws: blank, with what was posted and its errors, with values.
    SkillFactory(name="R&D <b>")
    skills = skill_catalogue()
    name = "<b>Vera</b> & 'co'"
    directions = [("mentor_to_mentee", f"{name} taught Ana"), ("mentee_to_mentor", f"Ana taught {name}")]
    programme = Programme(pk=9, name="Sponsors <i>&</i>")
    makers = [
        lambda *data, **kw: MeetingLogForm(*data, skills=skills, partner_name=name, auto_id="log-%s", **kw),
        lambda *data, **kw: MeetingEditForm(
            *data, skills=skills, partner_name=name, statuses=("held", "cancelled"), auto_id="edit-%s", **kw
        ),
        lambda *data, **kw: MeetingScheduleForm(*data, auto_id="schedule-%s", **kw),
        lambda *data, **kw: KnowledgeTransferForm(
            *data, skills=skills, directions=directions, auto_id="knowledge-%s", **kw
        ),
        lambda *data, **kw: CheckInForm(*data, point="fit", **kw),
        lambda *data, **kw: CheckInForm(*data, point="closing", **kw),
        lambda *data, **kw: ConcernForm(*data, auto_id="concern-%s", **kw),
        lambda *data, **kw: EndForm(*data, auto_id="end-%s", **kw),
        lambda *data, **kw: AgreementForm(*data, with_confidentiality=True, auto_id="agreement-%s", **kw),
        lambda *data, **kw: AgreementForm(*data, with_confidentiality=False, auto_id="agreement-%s", **kw),
        lambda *data, **kw: AdvocacyActionForm(*data, auto_id="advocacy-%s", **kw),
        lambda *data, **kw: AdvocacyOutcomeForm(*data, prefix="outcome-3", **kw),
        lambda *data, **kw: NominationForm(*data, programmes=[programme], auto_id="nomination-%s", **kw),
    ]
    hostile = "<script>x</script>"  # echoed by the error of a choice not offered
    posted = {"location": hostile, "direction": hostile, "status": hostile, "duration_minutes": "9", "text": ""}
    initial = {"location": "Room <7>", "goals": "Learn & <grow>", "cadence_days": 14, "note": "<i>n</i>"}
    for make in makers:
        for form in (make(), make(posted), make(initial=initial)):
            fresh, reused = _both(form)
            assert fresh == reused and "<script>x" not in reused and "<b>Vera" not in reused
    assert 'role="alert"' in _both(makers[0](posted))[1]
