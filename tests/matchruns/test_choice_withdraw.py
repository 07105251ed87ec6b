"""Participant choice: a mentee takes back their own request before it is answered; the seat is free
again and they choose anew. Nobody else withdraws it, and an answered request stays answered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import PersonFactory, UserFactory, acting
from tests.interleave import interleave
from tests.matchruns.test_choice import ask, choosing, mine, needs_postgres
from tests.people.test_views import signed_in
from tests.relationships.pairing import DAY, MENTEE, MENTOR, NOW, enrol
from twofold.accounts.models import User
from twofold.accounts.permissions import NotPermitted
from twofold.matchruns.choice import partner_choices, partner_request
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild
from twofold.programmes.models import Programme
from twofold.relationships.errors import RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.models import Relationship, RelationshipState
from twofold.relationships.request_limit import REQUEST_WINDOW, REQUESTS_PER_WINDOW
from twofold.relationships.services import relationship_answer, relationship_request, relationship_request_withdraw

pytestmark = pytest.mark.django_db


@pytest.fixture
def june(cast: Cast) -> Person:
    person = PersonFactory(employee_id="J3", name="June Junior", level=2, manager=cast.ceo, department="Design")
    people_tree_rebuild()
    person.refresh_from_db()
    return person


@pytest.fixture
def programme(cast: Cast, june: Person) -> Programme:
    programme = choosing()
    for junior in (cast.ana, june):
        enrol(programme, junior, MENTOR)
    enrol(programme, cast.vp_sales, MENTEE)
    return programme


def state_of(relationship: Relationship) -> tuple[str, int]:
    relationship.refresh_from_db()
    return relationship.state, mine(relationship.programme, relationship.mentor).seats_taken


def test_the_mentee_withdraws_their_request_frees_the_seat_and_may_choose_again(
    cast: Cast, programme: Programme, june: Person
) -> None:
    request = ask(programme, cast.vp_sales, june)
    assert state_of(request) == ("proposed", 1)

    relationship_request_withdraw(relationship=request, actor=acting(cast.vp_sales), now=NOW + DAY)

    assert state_of(request) == ("withdrawn", 0)
    assert request.ended_by == cast.vp_sales and request.ended_at == NOW + DAY
    page = partner_choices(enrolment=mine(programme, cast.vp_sales))
    assert page.current is None and june in [choice.enrolment.person for choice in page.choices]
    # Taking a request back is no decline by the partner: the same partner may be asked again.
    again = ask(programme, cast.vp_sales, june)
    assert state_of(again) == ("proposed", 1)


def test_only_the_mentee_who_asked_withdraws_and_an_answered_request_stays(
    cast: Cast, programme: Programme, june: Person
) -> None:
    request = ask(programme, cast.vp_sales, june)
    for someone in (june, cast.ana):
        with pytest.raises(NotPermitted):
            relationship_request_withdraw(relationship=request, actor=acting(someone))
    assert state_of(request) == ("proposed", 1)

    relationship_answer(relationship=request, actor=acting(june), accept=True, now=NOW + DAY)
    with pytest.raises(RelationshipStateConflict) as refused:
        relationship_request_withdraw(relationship=request, actor=acting(cast.vp_sales))
    assert refused.value.code == "not_proposed"
    assert state_of(request) == ("active", 1)


def test_a_proposal_the_managers_made_is_declined_not_withdrawn(cast: Cast, june: Person) -> None:
    from tests.relationships.pairing import propose

    programme = choosing()
    proposal = propose(programme, june, cast.vp_sales)
    with pytest.raises(RelationshipRuleBroken) as refused:
        relationship_request_withdraw(relationship=proposal, actor=acting(cast.vp_sales))
    assert refused.value.code == "not_a_request"
    proposal.refresh_from_db()
    assert proposal.state == RelationshipState.PROPOSED


def test_the_withdraw_button_asks_first_without_javascript(cast: Cast, programme: Programme, june: Person) -> None:
    request = ask(programme, cast.vp_sales, june)
    vera = signed_in(User.objects.get(person=cast.vp_sales))
    assert "Withdraw my request" in vera.get(reverse("relationships:detail", args=[request.pk])).content.decode()
    assert "Withdraw my request" in vera.get(reverse("choice:partners", args=[programme.pk])).content.decode()
    url = reverse("relationships:withdraw_request", args=[request.pk])

    asked = vera.post(url)
    assert asked.status_code == 200 and "Yes, withdraw my request" in asked.content.decode()
    assert state_of(request) == ("proposed", 1)

    done = vera.post(url, {"confirmed": "yes"}, follow=True)
    assert state_of(request) == ("withdrawn", 0)
    page = done.content.decode()
    assert "You withdrew your request" in page and "You withdrew the request on" in page
    # The partner has no such button, and posting anyway changes nothing.
    request = ask(programme, cast.vp_sales, june)
    partner = signed_in(UserFactory(username="june", person=june))
    assert "Withdraw my request" not in partner.get(reverse("relationships:detail", args=[request.pk])).content.decode()
    assert (
        partner.post(reverse("relationships:withdraw_request", args=[request.pk]), {"confirmed": "yes"}).status_code
        == 403
    )
    assert state_of(request) == ("proposed", 1)


def test_asking_and_withdrawing_over_and_over_stops_at_the_limit_until_a_request_ages_out(
    cast: Cast, programme: Programme, june: Person
) -> None:
    start = timezone.now() - timedelta(hours=1)
    vera = mine(programme, cast.vp_sales)
    for turn in range(REQUESTS_PER_WINDOW):
        at = start + turn * timedelta(minutes=1)
        request = partner_request(actor=acting(cast.vp_sales), enrolment=vera, partner=mine(programme, june), now=at)
        relationship_request_withdraw(relationship=request, actor=acting(cast.vp_sales), now=at)
    before = list(Relationship.objects.order_by("pk").values())

    # Refused by the service itself, whichever way it is called, and nothing is written.
    later, partner = start + timedelta(minutes=30), mine(programme, june)
    with pytest.raises(RelationshipRuleBroken) as refused:
        partner_request(actor=acting(cast.vp_sales), enrolment=vera, partner=partner, now=later)
    assert refused.value.code == "request_limit"
    with pytest.raises(RelationshipRuleBroken) as refused:
        relationship_request(actor=acting(cast.vp_sales), mentee_enrolment=vera, mentor_enrolment=partner, now=later)
    assert refused.value.code == "request_limit"
    assert list(Relationship.objects.order_by("pk").values()) == before
    assert mine(programme, june).seats_taken == 0

    # The page lists the partners with every Ask button disabled, and a post anyway asks nobody.
    client = signed_in(User.objects.get(person=cast.vp_sales))
    url = reverse("choice:partners", args=[programme.pk])
    page = client.get(url).content.decode()
    shown = partner_choices(enrolment=vera).choices
    assert shown and page.count('disabled aria-describedby="request-limit"') == len(shown)
    assert client.post(url, {"partner": mine(programme, june).pk}).status_code == 400
    assert list(Relationship.objects.order_by("pk").values()) == before

    # Once the first request is a week old, one more may be made.
    again = start + REQUEST_WINDOW + timedelta(seconds=1)
    request = partner_request(actor=acting(cast.vp_sales), enrolment=vera, partner=mine(programme, june), now=again)
    assert state_of(request) == ("proposed", 1)


@pytest.mark.django_db(transaction=True)
@needs_postgres
def test_a_request_racing_an_ask_and_withdraw_still_stops_at_the_limit(
    cast: Cast, programme: Programme, june: Person
) -> None:
    start = timezone.now() - timedelta(hours=1)
    vera = mine(programme, cast.vp_sales)
    for turn in range(REQUESTS_PER_WINDOW - 1):
        at = start + turn * timedelta(minutes=1)
        request = partner_request(actor=acting(cast.vp_sales), enrolment=vera, partner=mine(programme, june), now=at)
        relationship_request_withdraw(relationship=request, actor=acting(cast.vp_sales), now=at)

    def ask_and_withdraw() -> None:
        # The last request the limit allows, and its withdrawal, committed while the other request waits.
        asked = partner_request(actor=acting(cast.vp_sales), enrolment=vera, partner=mine(programme, june))
        relationship_request_withdraw(relationship=asked, actor=acting(cast.vp_sales))

    outcomes = interleave(
        ask_and_withdraw,
        lambda: partner_request(actor=acting(cast.vp_sales), enrolment=vera, partner=mine(programme, cast.ana)),
        refusals=(RelationshipRuleBroken,),
    )

    assert outcomes == ("ok", "request_limit")
    assert Relationship.objects.filter(mentee=cast.vp_sales).count() == REQUESTS_PER_WINDOW
    assert mine(programme, cast.ana).seats_taken == 0
