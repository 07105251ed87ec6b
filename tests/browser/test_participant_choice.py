"""Participant choice in Chromium: the senior mentee sees the mentors the matching ranks for her, with
the reasons and what each wrote, asks one; the junior accepts on the proposal page. A request is
withdrawn again, in a dialog or on a page of its own without JavaScript. Every page passes axe-core
and fits a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_accessible,
    assert_accessible_as_shown,
    assert_fits_phone_width,
    sign_in,
    watch_csp_violations,
)
from tests.factories import ProgrammeFactory
from tests.relationships.pairing import MENTEE, MENTOR, enrol
from twofold.programmes.models import MatchingMode, ProgrammeState
from twofold.relationships.models import Relationship, RelationshipState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_page(page) -> None:  # type: ignore[no-untyped-def]
    assert_accessible(page)
    assert_fits_phone_width(page)


def test_the_mentee_chooses_and_the_partner_accepts(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(
        name="Digital fluency",
        state=ProgrammeState.MATCHING,
        matching_mode=MatchingMode.PARTICIPANT_CHOICE,
        managers=[cast.programme_manager],
    )
    enrol(programme, cast.ana, MENTOR, goals="Show a sales leader what our generation builds with AI.")
    enrol(programme, cast.ben, MENTOR, goals="Teach video.")
    enrol(programme, cast.vp_sales, MENTEE, goals="Understand the tools my team's juniors use.")

    sign_in(page, "vera")
    page.goto("/programmes/mine/")
    page.get_by_role("link", name="Choose your mentor in Digital fluency").click()
    expect(page.get_by_role("heading", name="Choose your mentor", level=1)).to_be_visible()
    # Ben reports to Vera: never offered. Ana is, with what she wrote and why.
    expect(page.get_by_role("heading", name="1. Ana Junior")).to_be_visible()
    expect(page.get_by_text("Ben Junior")).to_have_count(0)
    expect(page.get_by_text("Show a sales leader what our generation builds with AI.")).to_be_visible()
    expect(page.get_by_text("From different departments")).to_be_visible()
    check_page(page)

    page.get_by_role("button", name="Ask Ana Junior").click()
    expect(page.get_by_role("heading", name="Your request")).to_be_visible()
    expect(page.locator("#proposal-heading + p")).to_contain_text("You asked Ana Junior to be your mentor.")
    check_page(page)
    request = Relationship.objects.get(programme=programme)
    assert request.state == RelationshipState.PROPOSED and request.requested_by_mentee

    page.context.clear_cookies()
    sign_in(page, "ana")
    page.goto("/programmes/mine/")
    page.get_by_role("link", name="Answer").first.click()
    expect(page.get_by_role("heading", name="Vera Sales asks you")).to_be_visible()
    expect(page.get_by_text("Understand the tools my team's juniors use.")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Accept Vera Sales as my mentee").click()
    expect(page.get_by_role("link", name="Log a meeting")).to_be_visible()
    request.refresh_from_db()
    assert request.state == RelationshipState.ACTIVE

    page.context.clear_cookies()
    sign_in(page, "pm")
    page.goto(f"/programmes/{programme.pk}/")
    expect(page.get_by_role("button", name="Start running")).to_be_visible()
    expect(page.get_by_role("link", name="Matching", exact=True)).to_have_count(0)
    check_page(page)


def choosing_vera(cast):  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(
        name="Digital fluency", state=ProgrammeState.MATCHING, matching_mode=MatchingMode.PARTICIPANT_CHOICE
    )
    enrol(programme, cast.ana, MENTOR, goals="Show a sales leader what our generation builds with AI.")
    enrol(programme, cast.vp_sales, MENTEE, goals="Understand the tools my team's juniors use.")
    return programme


def test_the_mentee_withdraws_her_request_in_a_dialog(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = choosing_vera(cast)
    sign_in(page, "vera")
    page.goto(f"/programmes/{programme.pk}/choose/")
    page.get_by_role("button", name="Ask Ana Junior").click()
    expect(page.get_by_role("heading", name="Your request")).to_be_visible()
    check_page(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw my request…").click()
    expect(page.get_by_text("You withdrew your request to Ana Junior.")).to_be_visible()
    expect(page.get_by_role("heading", name="This proposal was withdrawn")).to_be_visible()
    check_page(page)
    request = Relationship.objects.get(programme=programme)
    assert request.state == RelationshipState.WITHDRAWN


def test_without_javascript_withdrawing_asks_on_a_page(browser, live_server, cast) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(30_000)
    page = context.new_page()
    violations = watch_csp_violations(page)
    programme = choosing_vera(cast)
    sign_in(page, "vera")
    page.goto(f"/programmes/{programme.pk}/choose/")
    page.get_by_role("button", name="Ask Ana Junior").click()
    page.wait_for_load_state()
    page.goto(f"/programmes/{programme.pk}/choose/")
    page.get_by_role("button", name="Withdraw my request…").click()
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Yes, withdraw my request")).to_be_visible()
    assert_accessible_as_shown(page, javascript=False)
    assert Relationship.objects.get(programme=programme).state == RelationshipState.PROPOSED
    page.get_by_role("button", name="Yes, withdraw my request").click()
    page.wait_for_load_state()
    expect(page.get_by_text("You withdrew your request to Ana Junior.")).to_be_visible()
    assert Relationship.objects.get(programme=programme).state == RelationshipState.WITHDRAWN
    context.close()
    assert not violations, "\n".join(violations)
