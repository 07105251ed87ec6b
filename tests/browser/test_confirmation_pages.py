"""The confirmation pages a browser without JavaScript shows before anything irreversible or wide
(closing a programme, leaving one, ending a relationship; publishing is in test_cohort_journey.py):
nothing happens until confirmed, Cancel changes nothing, and axe finds nothing on the page itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible_as_shown, sign_in, watch_csp_violations
from tests.browser.test_pairs_list import stalled_pair
from tests.factories import EnrolmentFactory, ProgrammeFactory
from twofold.programmes.models import Enrolment, EnrolmentStatus, ProgrammeState
from twofold.relationships.models import RelationshipState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plain_page(browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    violations = watch_csp_violations(page)
    yield page
    context.close()
    assert not violations, "\n".join(violations)


def asked(page, heading: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    assert_accessible_as_shown(page, javascript=False)


def test_closing_a_programme_asks_on_a_page_and_cancel_changes_nothing(plain_page, cast) -> None:  # type: ignore[no-untyped-def]
    page = plain_page
    programme = ProgrammeFactory(
        name="Digital fluency", state=ProgrammeState.RUNNING, managers=[cast.programme_manager]
    )
    sign_in(page, "pm")
    page.goto(f"/programmes/{programme.pk}/")
    page.get_by_role("button", name="Close the programme…").click()
    asked(page, "Closing a programme cannot be undone.")
    page.get_by_role("link", name="Cancel, change nothing").click()
    page.wait_for_load_state()
    programme.refresh_from_db()
    assert programme.state == ProgrammeState.RUNNING
    page.get_by_role("button", name="Close the programme…").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Yes, close the programme").click()
    page.wait_for_load_state()
    programme.refresh_from_db()
    assert programme.state == ProgrammeState.CLOSED


def test_leaving_a_programme_asks_on_a_page(plain_page, cast) -> None:  # type: ignore[no-untyped-def]
    page = plain_page
    programme = ProgrammeFactory(name="Digital fluency", state=ProgrammeState.ENROLLING)
    enrolment = EnrolmentFactory(programme=programme, person=cast.ana, role="mentor")
    sign_in(page, "ana")
    page.goto("/programmes/mine/")
    page.get_by_role("button", name="Leave…").click()
    asked(page, "You leave the programme's pool, and are not matched in it again unless you apply again.")
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.ACTIVE
    page.get_by_role("button", name="Yes, leave the programme").click()
    page.wait_for_load_state()
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.WITHDRAWN


def test_ending_a_relationship_asks_on_a_page(plain_page, cast) -> None:  # type: ignore[no-untyped-def]
    page = plain_page
    pair = stalled_pair(cast)
    sign_in(page, "pm")
    page.goto(f"/programmes/{pair.programme_id}/pairs/{pair.pk}/")
    page.get_by_label("Reason (both of them read it)").fill("Not a fit.")
    page.get_by_role("button", name="End the relationship").click()
    asked(page, "Ending a relationship cannot be undone.")
    pair.refresh_from_db()
    assert pair.state == RelationshipState.ACTIVE
    page.get_by_role("button", name="Yes, end the relationship").click()
    page.wait_for_load_state()
    pair.refresh_from_db()
    assert pair.state == RelationshipState.ENDED_EARLY
