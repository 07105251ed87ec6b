"""The life of a pair in Chromium: the junior accepts, logs a meeting and a skill that moved; the senior
checks in and nominates the junior for sponsorship; a sponsor records an advocacy action; a stranger
gets the 404 of an unknown page; managers watch health and handle concerns. Every page passes
axe-core and fits a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_fits_phone_width, sign_in
from tests.factories import ProgrammeFactory, SkillFactory, acting
from tests.relationships.pairing import pair_up, propose
from twofold.programmes.models import ProgrammeState
from twofold.relationships.models import (
    AdvocacyAction,
    CheckIn,
    Concern,
    ConcernStatus,
    KnowledgeTransfer,
    Meeting,
    Nomination,
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.relationships.services import meeting_log, relationship_answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_page(page) -> None:  # type: ignore[no-untyped-def]
    assert_accessible(page)
    assert_fits_phone_width(page)


def wait_for_notice(page, section: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """htmx swapped the section in, with its confirmation."""
    page.locator(f"#{section} .message").filter(has_text=text).wait_for()


def test_the_junior_accepts_logs_a_meeting_and_a_knowledge_transfer(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(
        name="Digital fluency", state=ProgrammeState.MATCHING, managers=[cast.programme_manager]
    )
    skill = SkillFactory(name="Prompt engineering")
    relationship = propose(
        programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=3), score=2.5, breakdown={"skills": 0.9}
    )
    sign_in(page, "ana")
    assert page.url.endswith("/programmes/mine/")
    mine = page.get_by_role("region", name="My relationships")
    assert mine.get_by_text("Waiting for your answer").is_visible()
    check_page(page)
    mine.get_by_role("link", name="Answer the relationship with Vera Sales in Digital fluency").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "You and Vera Sales"
    assert page.get_by_text("Skills the mentor can teach that the mentee wants to learn").is_visible()
    check_page(page)

    page.get_by_role("button", name="Accept Vera Sales as my mentee").click()
    page.wait_for_load_state()
    assert page.get_by_text("The relationship starts once Vera Sales accepts too.").first.is_visible()
    relationship_answer(relationship=relationship, actor=acting(cast.vp_sales), accept=True)
    page.reload()
    assert page.get_by_role("heading", name="Meetings").is_visible()
    check_page(page)

    # Log a meeting through htmx: the log is swapped in, no page load. A refusal first, shown in place.
    log = page.locator("form").filter(has=page.get_by_role("heading", name="Log a meeting"))
    log.get_by_label("When you met").fill((timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    log.get_by_role("button", name="Log the meeting").click()
    error = page.locator("#meetings .error-summary")
    error.filter(has_text="A meeting that has not happened yet is scheduled, not logged.").wait_for()
    # The focus moves to the summary once htmx has settled the swap: wait for it (fails on timeout).
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('error-summary')")
    check_page(page)
    log.get_by_label("When you met").fill((timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    log.get_by_label("Duration in minutes").fill("50")
    log.get_by_label("Skills you discussed").select_option(label="Prompt engineering")
    log.get_by_label("Shared note").fill("Prompt patterns for board papers.")
    log.get_by_label("Private note").fill("Vera needs more hands-on time.")
    page.evaluate("window.notReloaded = true")
    log.get_by_role("button", name="Log the meeting").click()
    wait_for_notice(page, "meetings", "logged")
    assert page.evaluate("window.notReloaded") is True
    meetings = page.locator("#meetings")
    assert meetings.get_by_text("Prompt patterns for board papers.").is_visible()
    assert meetings.get_by_text("Vera needs more hands-on time.").is_visible()
    check_page(page)

    # Edit it in place.
    meetings.get_by_role("link", name="Edit the meeting").click()
    edit = page.locator("#meetings form").filter(has=page.get_by_role("heading", name="Edit the meeting"))
    edit.get_by_label("Shared note").fill("Prompt patterns for board papers, with examples.")
    check_page(page)
    edit.get_by_role("button", name="Save the meeting").click()
    wait_for_notice(page, "meetings", "saved")
    assert meetings.get_by_text("with examples.").is_visible()

    # Record a skill that moved.
    knowledge = page.locator("#knowledge")
    knowledge.get_by_label("Skill:", exact=True).select_option(label="Prompt engineering")
    knowledge.get_by_label("Ana Junior taught Vera Sales").check()
    knowledge.get_by_label("Level before").select_option("1")
    knowledge.get_by_label("Level now").select_option("3")
    knowledge.get_by_role("button", name="Record it").click()
    wait_for_notice(page, "knowledge", "Recorded: Prompt engineering, from 1 to 3.")
    assert page.evaluate("window.notReloaded") is True
    check_page(page)

    meeting = Meeting.objects.get()
    assert meeting.shared_note == "Prompt patterns for board papers, with examples." and meeting.duration_minutes == 50
    assert list(meeting.skills.values_list("name", flat=True)) == ["Prompt engineering"]
    assert PrivateNote.objects.get().author == cast.ana
    entry = KnowledgeTransfer.objects.get()
    assert (entry.skill, entry.proficiency_before, entry.proficiency_after) == (skill, 1, 3)


def test_the_senior_checks_in_and_nominates_the_junior(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(name="Digital fluency", state=ProgrammeState.MATCHING)
    sponsorship = ProgrammeFactory(name="Rising leaders", sponsorship=True, state=ProgrammeState.ENROLLING)
    relationship = pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=20))
    meeting_log(relationship=relationship, actor=acting(cast.ana), starts_at=timezone.now() - timedelta(days=6))
    sign_in(page, "vera")
    page.goto(f"/relationships/{relationship.pk}/")
    check_page(page)

    check_ins = page.locator("#check-ins")
    check_ins.get_by_role("group", name="How satisfied are you").get_by_label("4", exact=True).check()
    check_ins.get_by_role("group", name="I can speak openly").get_by_label("5 – strongly agree").check()
    check_ins.get_by_role("group", name="How much progress").get_by_label("3", exact=True).check()
    check_ins.get_by_label("Anything to add?").fill("Ana explains things clearly.")
    check_ins.get_by_role("button", name="Send my check-in").click()
    wait_for_notice(page, "check-ins", "Ana Junior does not see your answers.")
    check_page(page)

    nomination = page.locator("#nomination")
    nomination.get_by_label("Sponsorship programme").select_option(label="Rising leaders")
    nomination.get_by_label("Why you put them forward").fill("Ana changed how our sales team uses AI.")
    nomination.get_by_role("button", name="Nominate Ana Junior").click()
    wait_for_notice(page, "nomination", "You nominated Ana Junior for Rising leaders.")
    check_page(page)

    check_in = CheckIn.objects.get()
    assert (check_in.person, check_in.satisfaction, check_in.psychological_safety, check_in.progress) == (
        cast.vp_sales,
        4,
        5,
        3,
    )
    assert Nomination.objects.get().programme == sponsorship


def test_a_participant_opening_another_pairs_page_gets_404(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING)
    relationship = pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=3))
    sign_in(page, "ben")
    response = page.goto(f"/relationships/{relationship.pk}/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert page.get_by_text("Vera Sales").count() == 0
    check_page(page)


def test_a_sponsor_records_an_advocacy_action_and_its_outcome(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(name="Rising leaders", sponsorship=True, state=ProgrammeState.MATCHING)
    relationship = pair_up(programme, cast.vp_sales, cast.ana, now=timezone.now() - timedelta(days=40))
    sign_in(page, "vera")
    page.goto(f"/relationships/{relationship.pk}/")
    check_page(page)
    advocacy = page.locator("#advocacy")
    advocacy.get_by_label("What you did").select_option(label="Stretch assignment")
    advocacy.get_by_label("When").fill(timezone.localdate().isoformat())
    advocacy.get_by_label("Details").fill("Ana leads the pricing review for the board.")
    advocacy.get_by_role("button", name="Record it").click()
    wait_for_notice(page, "advocacy", "Recorded: stretch assignment")
    check_page(page)
    outcome = page.get_by_role("form", name="Outcome of stretch assignment")
    outcome.get_by_label("Outcome:", exact=True).select_option(label="Came through")
    outcome.get_by_role("button", name="Save the outcome").click()
    wait_for_notice(page, "advocacy", "Outcome saved: came through.")
    action = AdvocacyAction.objects.get()
    assert (action.kind, action.outcome, action.recorded_by) == ("stretch_assignment", "succeeded", cast.vp_sales)


def test_a_meeting_is_logged_without_javascript(browser, live_server, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING)
    relationship = pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=10))
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "ana")
    page.goto(f"/relationships/{relationship.pk}/")
    log = page.locator("form").filter(has=page.get_by_role("heading", name="Log a meeting"))
    log.get_by_label("When you met").fill((timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    log.get_by_label("Shared note").fill("Without JavaScript.")
    log.get_by_role("button", name="Log the meeting").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/relationships/{relationship.pk}/#meetings")
    assert page.locator(".messages").get_by_text("logged").is_visible()
    assert page.locator("#meetings").get_by_text("Without JavaScript.").is_visible()
    context.close()


def test_a_concern_goes_to_the_manager_who_handles_it(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(
        name="Digital fluency", state=ProgrammeState.MATCHING, managers=[cast.programme_manager]
    )
    relationship = pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=45))
    sign_in(page, "ana")
    page.goto(f"/relationships/{relationship.pk}/")
    concern = page.locator("#concern")
    concern.get_by_label("What worries you?").fill("Our meetings keep being moved at short notice.")
    concern.get_by_role("button", name="Send to the programme managers").click()
    wait_for_notice(page, "concern", "Vera Sales is never told")
    check_page(page)
    page.context.clear_cookies()

    sign_in(page, "pm")
    page.get_by_role("link", name="Concerns").click()
    page.wait_for_load_state()
    assert page.get_by_text("Our meetings keep being moved at short notice.").is_visible()
    check_page(page)
    page.get_by_role("button", name="Acknowledge the concern raised by Ana Junior").click()
    page.locator(".concern .message").filter(has_text="Concern acknowledged.").wait_for()
    page.get_by_label("How it was resolved").fill("Spoke with both; fixed slots agreed.")
    page.get_by_role("button", name="Resolve the concern raised by Ana Junior").click()
    page.locator(".concern .message").filter(has_text="Concern resolved.").wait_for()
    check_page(page)
    assert Concern.objects.get().status == ConcernStatus.RESOLVED

    page.goto(f"/programmes/{programme.pk}/")
    page.get_by_role("link", name="Health").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Programme health").is_visible()
    assert page.locator("table").filter(has_text="Ana Junior").count() == 1  # behind on meetings: no meeting yet
    check_page(page)
    assert Relationship.objects.get().state == RelationshipState.ACTIVE


def test_completing_with_the_closing_survey_and_ending_early(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(name="Digital fluency", state=ProgrammeState.MATCHING)
    finishing = pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=176))
    struggling = pair_up(programme, cast.ben, cast.vp_tech, now=timezone.now() - timedelta(days=20))
    sign_in(page, "ana")
    page.goto(f"/relationships/{finishing.pk}/")
    page.get_by_role("button", name="Complete the relationship").click()
    page.wait_for_load_state()
    assert page.url.endswith("#check-ins")
    check_page(page)
    survey = page.locator("#check-ins")
    survey.get_by_role("group", name="How satisfied are you").get_by_label("5 – very satisfied").check()
    survey.get_by_role("group", name="I can speak openly").get_by_label("4", exact=True).check()
    survey.get_by_role("group", name="How much progress").get_by_label("4", exact=True).check()
    survey.get_by_role("group", name="Would you recommend").get_by_label("Yes").check()
    survey.get_by_role("button", name="Send my survey").click()
    wait_for_notice(page, "check-ins", "your closing survey check-in is in")
    check_page(page)
    assert CheckIn.objects.get(relationship=finishing).would_recommend is True
    page.context.clear_cookies()

    sign_in(page, "ben")
    page.goto(f"/relationships/{struggling.pk}/")
    page.get_by_text("End the relationship early").click()
    page.get_by_label("Why are you ending it?").fill("We could never find a time to meet.")
    page.get_by_label("Match us both again").check()
    # Ending cannot be undone: the browser asks first.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End the relationship").click()
    expect(page.get_by_role("heading", name="This relationship ended early")).to_be_visible()
    check_page(page)
    struggling.refresh_from_db()
    assert struggling.state == RelationshipState.ENDED_EARLY and struggling.rematch_requested
