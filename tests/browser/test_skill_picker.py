"""Choosing focus skills when joining: a search box over categories that fold, and the same list
working without JavaScript."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import OPERATOR, SkillFactory
from twofold.people.models import SkillCategory
from twofold.programmes.models import Enrolment
from twofold.programmes.services import programme_create, programme_transition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def programme(cast):  # type: ignore[no-untyped-def]
    for name, category in [
        ("SQL", SkillCategory.DIGITAL),
        ("Python", SkillCategory.DIGITAL),
        ("Generative AI", SkillCategory.DIGITAL),
        ("TikTok culture", SkillCategory.TRENDS),
        ("Negotiation", SkillCategory.LEADERSHIP),
    ]:
        SkillFactory(name=name, category=category)
    programme = programme_create(actor=OPERATOR, name="Digital fluency", kind="reverse_mentoring")
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    return programme


def test_typing_narrows_the_skills_and_the_choice_is_kept(page, cast, programme) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "ana")
    page.goto(f"/programmes/{programme.pk}/apply/")
    search = page.get_by_label("Find a skill")
    search.fill("sql")
    assert page.get_by_label("SQL", exact=True).is_visible()
    assert not page.get_by_label("Python", exact=True).is_visible()
    assert not page.get_by_text("Trends & culture").is_visible()  # a category with no match folds away
    assert page.get_by_text("1 match").is_visible()
    page.get_by_label("SQL", exact=True).check()
    search.fill("")
    assert_accessible(page)
    page.get_by_label("Mentor").check()
    page.get_by_label("Goals").fill("Teach the leadership team SQL.")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")
    enrolment = Enrolment.objects.get(programme=programme, person=cast.ana)
    assert [skill.name for skill in enrolment.focus_skills.all()] == ["SQL"]


def test_without_javascript_the_categories_open_and_the_search_box_stays_away(
    browser, live_server, cast, programme
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "ana")
        page.goto(f"/programmes/{programme.pk}/apply/")
        assert not page.get_by_label("Find a skill").is_visible()
        page.get_by_text("Trends & culture").click()  # <details> opens natively
        page.get_by_label("TikTok culture").check()
        page.get_by_label("Mentor").check()
        page.get_by_label("Goals").fill("Explain what the feeds are saying.")
        page.get_by_role("button", name="Apply").click()
        enrolment = Enrolment.objects.get(programme=programme, person=cast.ana)
        assert [skill.name for skill in enrolment.focus_skills.all()] == ["TikTok culture"]
    finally:
        context.close()


def test_my_skills_page_has_the_same_search(page, cast, programme) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "ana")
    page.goto("/people/me/skills/")
    page.get_by_label("Find a skill").fill("nego")
    assert page.get_by_role("rowheader", name="Negotiation").is_visible()
    assert not page.get_by_role("rowheader", name="SQL").is_visible()
    assert_accessible(page)
