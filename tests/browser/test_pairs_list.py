"""In Chromium: a programme manager finds a stalled pair in the pairs list, nudges it and ends it after
confirming (with JavaScript a dialog, without it a page); a participant reads their partner's goals
before accepting a proposal. axe (which runs inside the page, so with JavaScript on) stays clean on
each page a JavaScript-enabled browser shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import ProgrammeFactory
from tests.relationships.pairing import enrol, pair_up, propose
from twofold.programmes.models import EnrolmentRole, ProgrammeState
from twofold.relationships.models import PairEvent, PairEventKind, Relationship, RelationshipState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stalled_pair(cast) -> Relationship:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(
        name="Digital fluency", state=ProgrammeState.MATCHING, managers=[cast.programme_manager], cadence_days=14
    )
    return pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=60))


def test_pairs_list_nudge_and_end_with_a_confirmation_dialog(page, cast) -> None:  # type: ignore[no-untyped-def]
    pair = stalled_pair(cast)
    sign_in(page, "pm")
    page.goto(f"/programmes/{pair.programme_id}/pairs/")
    page.get_by_label("Needs attention").select_option("idle")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    table = page.locator("#pairs")
    expect(table).to_contain_text("Idle")
    assert_accessible(page)
    table.get_by_role("link", name="Ana Junior").click()
    page.wait_for_load_state()
    assert_accessible(page)

    page.get_by_label("A word to both of them").fill("Shall we find a slot this month?")
    page.get_by_role("button", name="Send the nudge").click()
    expect(page.locator(".messages")).to_contain_text("Nudged")
    assert PairEvent.objects.filter(relationship=pair, kind=PairEventKind.NUDGED).count() == 1
    assert len(mail.outbox) == 2

    page.get_by_label("Reason (both of them read it)").fill("Their schedules never fit.")
    page.get_by_label(f"{cast.vp_sales.name} (mentee)").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End the relationship").click()
    expect(page.get_by_role("heading", name="Match again")).to_be_visible()
    pair.refresh_from_db()
    assert pair.state == RelationshipState.ENDED_EARLY
    assert_accessible(page)


def test_ending_without_javascript_goes_through_a_confirmation_page(browser, live_server, cast) -> None:  # type: ignore[no-untyped-def]
    pair = stalled_pair(cast)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "pm")
    page.goto(f"/programmes/{pair.programme_id}/pairs/{pair.pk}/")
    page.get_by_label("Reason (both of them read it)").fill("Not a fit.")
    page.get_by_role("button", name="End the relationship").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Ending a relationship cannot be undone.")).to_be_visible()
    pair.refresh_from_db()
    assert pair.state == RelationshipState.ACTIVE
    page.get_by_role("button", name="Yes, end the relationship").click()
    page.wait_for_load_state()
    pair.refresh_from_db()
    assert pair.state == RelationshipState.ENDED_EARLY
    context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_accepting_after_reading_the_partners_goals(browser, live_server, cast, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(name="Digital fluency", state=ProgrammeState.MATCHING)
    enrol(programme, cast.vp_sales, EnrolmentRole.MENTEE, goals="Understand how my teams use AI tools.")
    proposal = propose(programme, cast.ana, cast.vp_sales, breakdown={"skills": 0.9}, score=0.9)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, "ana")
    page.goto(f"/relationships/{proposal.pk}/")
    expect(page.get_by_text("Understand how my teams use AI tools.")).to_be_visible()
    expect(page.get_by_role("heading", name="Why you were matched")).to_be_visible()
    if javascript:  # axe runs inside the page: the same page is checked with JavaScript on
        assert_accessible(page)
    page.get_by_role("button", name="Accept Vera Sales as my mentee").click()
    page.wait_for_load_state()
    expect(page.get_by_text("The relationship starts once Vera Sales accepts too.").first).to_be_visible()
    proposal.refresh_from_db()
    assert proposal.mentor_answer == "accepted"
    context.close()
