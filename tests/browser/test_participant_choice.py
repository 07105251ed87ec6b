"""Participant choice in Chromium: the senior mentee sees the mentors the matching ranks for her, with
the reasons and what each wrote, asks one; the junior accepts on the proposal page. Every page passes
axe-core and fits a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_fits_phone_width, sign_in
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
