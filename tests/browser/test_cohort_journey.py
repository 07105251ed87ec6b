"""A whole cohort from the web, as a new programme manager runs one, with JavaScript and without: create
a programme, preview and send the invitations (the emails arrive), add two people directly, run
matching, swap and remove pairs on the new programme's review board, publish after confirming, see
the pairs list, nudge a pair and end it after confirming; the participant accepts after reading the
partner's goals. axe stays clean on every page visited, the confirmation pages shown without
JavaScript included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible_as_shown, sign_in, watch_csp_violations
from tests.browser.test_programme_cycle import outsiders
from tests.factories import acting
from twofold.matchruns.models import MatchRun, Proposal
from twofold.programmes.enrolment_services import enrolment_respond
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme
from twofold.relationships.models import PairEvent, PairEventKind, Relationship, RelationshipState
from twofold.relationships.services import relationship_answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[True, False], ids=["with JavaScript", "without JavaScript"])
def javascript(request) -> bool:  # type: ignore[no-untyped-def]
    return bool(request.param)


@pytest.fixture
def manager(browser, live_server, javascript: bool) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, java_script_enabled=javascript
    )
    # Generous: a loaded machine runs several suites at once (nothing here asserts a time).
    context.set_default_timeout(30_000)
    page = context.new_page()
    violations = watch_csp_violations(page)
    yield page
    context.close()
    assert not violations, "\n".join(violations)


def submit(page, name: str, *, javascript: bool, confirm: str) -> None:  # type: ignore[no-untyped-def]
    """Press a button that asks first: with JavaScript the browser's dialog is accepted; without, the
    confirmation page is checked with axe, nothing has happened yet, and its ``confirm`` button posts."""
    if javascript:
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name=name).click()
        page.wait_for_load_state("networkidle")
        return
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()
    expect(page.get_by_role("button", name=confirm)).to_be_visible()
    assert_accessible_as_shown(page, javascript=False)
    page.get_by_role("button", name=confirm).click()
    page.wait_for_load_state()


def test_a_new_programme_from_invitation_to_ending_a_pair(browser, live_server, manager, cast, javascript) -> None:  # type: ignore[no-untyped-def]
    page = manager
    outsiders()
    mail.outbox.clear()
    sign_in(page, "pm")
    page.get_by_role("link", name="New reverse mentoring programme").click()
    page.wait_for_load_state()
    page.get_by_label("Name").fill("Digital fluency 2027")
    page.get_by_role("button", name="Create programme").click()
    page.wait_for_load_state()
    assert_accessible_as_shown(page, javascript=javascript)
    page.get_by_role("button", name="Open enrolment").click()
    page.wait_for_load_state()
    programme = Programme.objects.get(name="Digital fluency 2027")
    assert programme.state == "enrolling"

    # Invite the juniors by filter: preview first, then send; the worker emails the invitations.
    page.get_by_role("link", name="Enrolments").first.click()
    page.wait_for_load_state()
    page.get_by_label("Role").first.select_option("mentor")
    page.get_by_label("To level").fill("3")
    page.get_by_role("button", name="Preview the invitations").click()
    page.wait_for_load_state()
    expect(page.locator("#invite-preview")).to_contain_text("2 people to invite as mentors")
    assert not Enrolment.objects.filter(programme=programme).exists()
    assert_accessible_as_shown(page, javascript=javascript)
    page.get_by_role("button", name="Invite 2 and email them").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Invited 2 people")
    call_command("worker", "--batch")
    invitations = [m for m in mail.outbox if m.extra_headers.get("X-Twofold-Email") == "invitation"]
    assert sorted(address for m in invitations for address in m.to) == sorted(
        f"{person.name} <{person.email}>" for person in (cast.ana, cast.ben)
    )
    assert all(f"/programmes/{programme.pk}/apply/" in m.body for m in invitations)

    # Two seniors straight into the pool, picked from a search.
    page.get_by_role("link", name="Add people").click()
    page.wait_for_load_state()
    page.get_by_label("Name, email, title or employee id").fill("Outside")
    if not javascript:
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
    expect(page.locator("#add-results")).to_contain_text("Yuri Outside")
    assert_accessible_as_shown(page, javascript=javascript)
    for name in ("Xena Outside", "Yuri Outside"):
        page.get_by_role("checkbox", name=name).check()
        page.get_by_label(f"Role for {name}").select_option("mentee")
    page.get_by_role("button", name="Add the people picked").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Added 2 people to the pool.")
    Enrolment.objects.filter(programme=programme, person__employee_id="X1").update(
        goals="Learn how my analysts use AI, first hand."
    )
    Enrolment.objects.filter(programme=programme, person__employee_id="X2").update(
        goals="Understand what our youngest colleagues need from leaders."
    )
    for invited in Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.INVITED):
        enrolment_respond(actor=acting(invited.person), enrolment=invited, accept=True, goals="Teach what I use")

    # Matching on the new programme: run, swap the two pairs, remove one, publish the other.
    page.goto(f"/programmes/{programme.pk}/")
    page.get_by_role("button", name="Start matching").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Matching").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Run matching").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Proposed pairs (2)")).to_be_visible()
    assert_accessible_as_shown(page, javascript=javascript)
    run = MatchRun.objects.get(programme=programme)
    before = set(run.proposals.values_list("mentor_id", "mentee_id"))
    for box in page.locator("input[name=proposal]").all():
        box.check()
    page.get_by_role("button", name="Swap the partners of the two ticked pairs").click()
    page.wait_for_load_state()
    expect(page.locator("#board")).to_contain_text("Swapped")
    assert set(run.proposals.values_list("mentor_id", "mentee_id")) != before
    page.get_by_role("button", name="Remove").first.click()
    page.wait_for_load_state()
    expect(page.get_by_text("Proposed pairs (1)")).to_be_visible()
    [kept] = Proposal.objects.filter(run=run).select_related("mentor__person", "mentee__person")
    assert_accessible_as_shown(page, javascript=javascript)
    submit(page, "Publish 1 proposal", javascript=javascript, confirm="Yes, publish 1 proposal")
    expect(page.locator(".messages")).to_contain_text("Published: 1 proposal sent")
    pair = Relationship.objects.get(programme=programme)
    assert (pair.mentor_id, pair.mentee_id) == (kept.mentor.person_id, kept.mentee.person_id)

    # The junior reads the partner's goals before accepting, in a browser of their own.
    junior = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    junior.set_default_timeout(30_000)
    junior_page = junior.new_page()
    sign_in(junior_page, kept.mentor.person.user.username)
    junior_page.goto(f"/relationships/{pair.pk}/")
    partner_goals = Enrolment.objects.get(pk=kept.mentee_id).goals
    expect(junior_page.get_by_text(partner_goals)).to_be_visible()
    assert_accessible_as_shown(junior_page, javascript=javascript)
    junior_page.get_by_role("button", name=f"Accept {kept.mentee.person.name} as my mentee").click()
    junior_page.wait_for_load_state()
    junior.close()
    pair.refresh_from_db()
    assert pair.mentor_answer == "accepted"
    relationship_answer(actor=acting(pair.mentee), relationship=pair, accept=True)

    # The pairs list, a nudge, and ending the pair after confirming.
    page.goto(f"/programmes/{programme.pk}/")
    page.get_by_role("link", name="Pairs", exact=True).click()
    page.wait_for_load_state()
    table = page.locator("#pairs")
    expect(table).to_contain_text(kept.mentor.person.name)
    assert_accessible_as_shown(page, javascript=javascript)
    table.get_by_role("link", name=kept.mentor.person.name).click()
    page.wait_for_load_state()
    assert_accessible_as_shown(page, javascript=javascript)
    sent = len(mail.outbox)
    page.get_by_label("A word to both of them").fill("Shall we find a slot this month?")
    page.get_by_role("button", name="Send the nudge").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Nudged")
    assert PairEvent.objects.filter(relationship=pair, kind=PairEventKind.NUDGED).count() == 1
    assert len(mail.outbox) == sent + 2
    page.get_by_label("Reason (both of them read it)").fill("Their schedules never fit.")
    submit(page, "End the relationship", javascript=javascript, confirm="Yes, end the relationship")
    pair.refresh_from_db()
    assert pair.state == RelationshipState.ENDED_EARLY
    assert_accessible_as_shown(page, javascript=javascript)
