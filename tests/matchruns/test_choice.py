"""Participant choice: a mentee sees the partners the engine ranks best for them, with the reasons,
asks one, and the partner answers; every hard rule and the seats hold as in managed matching."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import OPERATOR, PersonFactory, ProgrammeFactory, SkillFactory, acting
from tests.interleave import interleave
from tests.people.test_views import signed_in
from tests.relationships.pairing import DAY, MENTEE, MENTOR, NOW, enrol
from twofold.accounts.permissions import NotPermitted
from twofold.matchruns.choice import partner_choices, partner_request
from twofold.matchruns.services import MatchRunRuleBroken, match_run_start
from twofold.people.models import Person, PersonSkill
from twofold.people.services import people_tree_rebuild
from twofold.programmes.errors import ProgrammeRuleBroken
from twofold.programmes.models import Acceptance, Enrolment, MatchingMode, Programme, ProgrammeState
from twofold.programmes.services import programme_transition, programme_update
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken
from twofold.relationships.models import Answer, Relationship, RelationshipState
from twofold.relationships.selectors import match_reasons
from twofold.relationships.services import relationship_answer, relationships_expire

pytestmark = pytest.mark.django_db


def choosing(**fields: object) -> Programme:
    return ProgrammeFactory(
        **{"state": ProgrammeState.MATCHING, "matching_mode": MatchingMode.PARTICIPANT_CHOICE, **fields}
    )


@pytest.fixture
def june(cast: Cast) -> Person:
    """A third junior, under the chief executive: in nobody's line but Cleo's."""
    person = PersonFactory(employee_id="J3", name="June Junior", level=2, manager=cast.ceo, department="Design")
    people_tree_rebuild()
    person.refresh_from_db()
    return person


@pytest.fixture
def programme(cast: Cast, june: Person) -> Programme:
    programme = choosing()
    for junior in (cast.ana, cast.ben, june):
        enrol(programme, junior, MENTOR)
    for senior in (cast.vp_sales, cast.vp_tech):
        enrol(programme, senior, MENTEE)
    return programme


def mine(programme: Programme, person: Person) -> Enrolment:
    return Enrolment.objects.get(programme=programme, person=person)


def ask(programme: Programme, mentee: Person, mentor: Person) -> Relationship:
    return partner_request(
        actor=acting(mentee), enrolment=mine(programme, mentee), partner=mine(programme, mentor), now=NOW
    )


def test_the_choices_are_the_allowed_partners_best_first_with_reasons(cast: Cast, programme: Programme, june: Person):
    skill = SkillFactory(name="Prompting")
    PersonSkill.objects.create(person=june, skill=skill, proficiency=4, can_teach=True)
    PersonSkill.objects.create(person=cast.vp_sales, skill=skill, proficiency=0, wants_to_learn=True)

    page = partner_choices(enrolment=mine(programme, cast.vp_sales))

    # Ben reports to Vera: never inside the reporting line.
    assert [choice.enrolment.person for choice in page.choices] == [june, cast.ana]
    assert page.closed == ""
    best = page.choices[0]
    assert best.score > page.choices[1].score
    assert "skills" in {reason.key for reason in best.reasons}
    assert [skill.name for skill in best.profile.can_teach] == ["Prompting"]


def test_a_request_is_a_proposal_holding_a_seat_that_the_partner_answers(
    cast: Cast, programme: Programme, june: Person
):
    shown = partner_choices(enrolment=mine(programme, cast.vp_sales)).choices[0]

    request = ask(programme, cast.vp_sales, june)

    assert request.state == RelationshipState.PROPOSED
    assert request.requested_by_mentee
    assert (request.mentee_answer, request.mentor_answer) == (Answer.ACCEPTED, Answer.PENDING)
    assert mine(programme, june).seats_taken == 1
    # The reasons on the pair's page are the ones shown when choosing: one explanation.
    assert [(r.key, r.percent) for r in match_reasons(request)] == [(r.key, r.percent) for r in shown.reasons]

    relationship_answer(relationship=request, actor=acting(june), accept=True, now=NOW + DAY)
    request.refresh_from_db()
    assert request.state == RelationshipState.ACTIVE


def test_one_open_request_at_a_time(cast: Cast, programme: Programme, june: Person):
    ask(programme, cast.vp_sales, june)

    with pytest.raises(RelationshipRuleBroken) as refused:
        ask(programme, cast.vp_sales, cast.ana)

    assert refused.value.code == "mentee_already_paired"
    assert Relationship.objects.filter(mentee=cast.vp_sales).count() == 1
    assert mine(programme, cast.ana).seats_taken == 0
    page = partner_choices(enrolment=mine(programme, cast.vp_sales))
    assert page.current is not None and page.current.mentor == june
    assert page.choices == []


def test_never_inside_the_reporting_line(cast: Cast, programme: Programme):
    with pytest.raises(RelationshipRuleBroken) as refused:
        ask(programme, cast.vp_sales, cast.ben)

    assert refused.value.code == "same_reporting_chain"
    assert not Relationship.objects.exists()
    assert mine(programme, cast.ben).seats_taken == 0


def test_level_rules_keep_partners_out_of_the_list_and_out_of_reach(cast: Cast, june: Person):
    programme = choosing(mentor_max_level=1)
    enrol(programme, june, MENTOR)
    enrol(programme, cast.vp_sales, MENTEE)

    assert partner_choices(enrolment=mine(programme, cast.vp_sales)).choices == []
    with pytest.raises(RelationshipRuleBroken):
        ask(programme, cast.vp_sales, june)
    assert not Relationship.objects.exists()


def test_a_full_partner_is_not_listed_and_cannot_be_asked(cast: Cast, programme: Programme, june: Person):
    ask(programme, cast.vp_tech, june)

    page = partner_choices(enrolment=mine(programme, cast.vp_sales))
    assert june not in [choice.enrolment.person for choice in page.choices]
    with pytest.raises(RelationshipRuleBroken) as refused:
        ask(programme, cast.vp_sales, june)

    assert refused.value.code == "no_free_seat"
    assert mine(programme, june).seats_taken == 1
    assert not Relationship.objects.filter(mentee=cast.vp_sales).exists()


def test_a_decline_gives_the_seat_back_and_the_mentee_chooses_again(cast: Cast, programme: Programme, june: Person):
    request = ask(programme, cast.vp_sales, june)

    relationship_answer(relationship=request, actor=acting(june), accept=False, now=NOW + DAY)

    assert mine(programme, june).seats_taken == 0
    page = partner_choices(enrolment=mine(programme, cast.vp_sales))
    # Declined once in this programme: not offered again, and refused if asked.
    assert [choice.enrolment.person for choice in page.choices] == [cast.ana]
    with pytest.raises(RelationshipRuleBroken) as refused:
        ask(programme, cast.vp_sales, june)
    assert refused.value.code == "declined_before"
    assert ask(programme, cast.vp_sales, cast.ana).state == RelationshipState.PROPOSED


def test_an_unanswered_request_expires_and_frees_the_seat(cast: Cast, programme: Programme, june: Person):
    ask(programme, cast.vp_sales, june)

    assert relationships_expire(now=NOW + programme.proposal_expiry_days * DAY) == 1

    assert mine(programme, june).seats_taken == 0
    choices = partner_choices(enrolment=mine(programme, cast.vp_tech)).choices
    assert june in [choice.enrolment.person for choice in choices]


def test_only_the_mentee_asks_for_themselves(cast: Cast, programme: Programme, june: Person):
    for someone in (acting(june), cast.programme_manager, cast.ana_user):
        with pytest.raises(NotPermitted):
            partner_request(
                actor=someone, enrolment=mine(programme, cast.vp_sales), partner=mine(programme, june), now=NOW
            )
    assert not Relationship.objects.exists()


def test_managed_programmes_take_no_requests(cast: Cast, june: Person):
    managed = ProgrammeFactory(state=ProgrammeState.MATCHING)
    enrol(managed, june, MENTOR)
    enrol(managed, cast.vp_sales, MENTEE)

    with pytest.raises(RelationshipRuleBroken) as refused:
        ask(managed, cast.vp_sales, june)

    assert refused.value.code == "not_participant_choice"
    assert not Relationship.objects.exists()


def test_nobody_chooses_before_matching_starts(cast: Cast, june: Person):
    programme = choosing(state=ProgrammeState.ENROLLING)
    enrol(programme, june, MENTOR)
    enrol(programme, cast.vp_sales, MENTEE)

    page = partner_choices(enrolment=mine(programme, cast.vp_sales))
    assert page.closed
    assert page.choices == []
    with pytest.raises(RelationshipRuleBroken):
        ask(programme, cast.vp_sales, june)
    assert not Relationship.objects.exists()


def test_in_a_one_sided_programme_the_asked_partner_still_answers(cast: Cast, june: Person):
    programme = choosing(acceptance=Acceptance.ONE_SIDED)
    enrol(programme, june, MENTOR)
    enrol(programme, cast.vp_sales, MENTEE)
    request = ask(programme, cast.vp_sales, june)
    assert request.mentor_answer == Answer.PENDING

    relationship_answer(relationship=request, actor=acting(june), accept=False, now=NOW + DAY)

    request.refresh_from_db()
    assert request.state == RelationshipState.DECLINED


def test_the_mentee_does_not_answer_their_own_request_again(cast: Cast, programme: Programme, june: Person):
    request = ask(programme, cast.vp_sales, june)

    with pytest.raises(Exception) as refused:
        relationship_answer(relationship=request, actor=acting(cast.vp_sales), accept=False, now=NOW + DAY)

    assert getattr(refused.value, "code", "") == "already_answered"
    request.refresh_from_db()
    assert request.state == RelationshipState.PROPOSED


def test_no_match_runs_and_no_rematch_for_a_participant_choice_programme(cast: Cast, programme: Programme):
    with pytest.raises(MatchRunRuleBroken) as refused:
        match_run_start(actor=OPERATOR, programme=programme, background=False)
    assert refused.value.code == "participant_choice"
    assert not programme.match_runs.exists()

    programme_transition(actor=OPERATOR, programme=programme, to_state=ProgrammeState.RUNNING)
    with pytest.raises(ProgrammeRuleBroken) as refused_move:
        programme_transition(actor=OPERATOR, programme=programme, to_state=ProgrammeState.MATCHING)
    assert refused_move.value.code == "participant_choice"
    programme.refresh_from_db()
    assert programme.state == ProgrammeState.RUNNING


def test_how_pairs_are_made_is_fixed_once_matching_started(programme: Programme):
    with pytest.raises(ProgrammeRuleBroken) as refused:
        programme_update(actor=OPERATOR, programme=programme, matching_mode=MatchingMode.MANAGED)

    assert refused.value.code == "matching_mode_fixed"
    programme.refresh_from_db()
    assert programme.matching_mode == MatchingMode.PARTICIPANT_CHOICE
    draft = ProgrammeFactory(state=ProgrammeState.ENROLLING)
    programme_update(actor=OPERATOR, programme=draft, matching_mode=MatchingMode.PARTICIPANT_CHOICE)
    draft.refresh_from_db()
    assert draft.is_participant_choice


def test_a_mentor_cannot_use_the_mentee_side(cast: Cast, programme: Programme, june: Person):
    with pytest.raises((NotPermitted, RelationshipForbidden)):
        partner_request(actor=acting(june), enrolment=mine(programme, june), partner=mine(programme, cast.ana))
    assert not Relationship.objects.exists()


# --- the pages -----------------------------------------------------------------------------------


def test_the_choose_page_shows_the_ranked_partners_and_a_request_reaches_the_partner(
    cast: Cast, programme: Programme, june: Person
):
    url = reverse("choice:partners", args=[programme.pk])
    vera = signed_in(cast.vp_sales_user)
    mine_page = vera.get(reverse("relationships:mine")).content.decode()
    assert url in mine_page and "Choose your mentor" in mine_page

    page = vera.get(url).content.decode()

    assert "June Junior" in page and "Ana Junior" in page and "Ben Junior" not in page
    assert "Why they suit you" in page

    response = vera.post(url, {"partner": mine(programme, june).pk})

    request = Relationship.objects.get(mentee=cast.vp_sales)
    assert response["Location"] == reverse("relationships:detail", args=[request.pk])
    assert "You asked June Junior" in vera.get(response["Location"]).content.decode()
    assert "Your request" in vera.get(url).content.decode()
    partner_page = signed_in(acting(june)).get(reverse("relationships:detail", args=[request.pk])).content.decode()
    assert "Vera Sales asks you" in partner_page and "Accept Vera Sales as my" in partner_page
    pairs = signed_in(cast.programme_manager)
    programme.managers.add(cast.programme_manager)
    listed = pairs.get(reverse("relationships:pairs", args=[programme.pk]), {"show": "requests"}).content.decode()
    assert "asked for by the mentee" in listed and "June Junior" in listed


def test_a_refused_request_says_why_and_changes_nothing(cast: Cast, programme: Programme):
    url = reverse("choice:partners", args=[programme.pk])

    response = signed_in(cast.vp_sales_user).post(url, {"partner": mine(programme, cast.ben).pk})

    assert response.status_code == 400
    assert "same reporting chain" in response.content.decode()
    assert not Relationship.objects.exists()
    for junk in ("", "x", "99999999", str(mine(programme, cast.vp_tech).pk)):
        assert signed_in(cast.vp_sales_user).post(url, {"partner": junk}).status_code == 400
    assert not Relationship.objects.exists()


def test_only_the_mentee_of_a_participant_choice_programme_has_the_page(cast: Cast, programme: Programme):
    url = reverse("choice:partners", args=[programme.pk])
    for user in (cast.ana_user, cast.programme_manager, cast.admin, cast.outsider):
        assert signed_in(user).get(url).status_code == 404
    managed = ProgrammeFactory(state=ProgrammeState.MATCHING)
    enrol(managed, cast.vp_sales, MENTEE)
    assert signed_in(cast.vp_sales_user).get(reverse("choice:partners", args=[managed.pk])).status_code == 404


def test_the_programme_page_offers_choosing_and_no_match_runs(cast: Cast):
    programme = choosing(state=ProgrammeState.ENROLLING, managers=[cast.programme_manager])
    client = signed_in(cast.programme_manager)

    page = client.get(reverse("programmes:detail", args=[programme.pk])).content.decode()

    assert "Let mentees choose their mentors" in page
    assert reverse("matchruns:list", args=[programme.pk]) not in page
    form = client.get(reverse("programmes:edit", args=[programme.pk])).content.decode()
    assert "How pairs are made" in form
    client.post(reverse("programmes:move", args=[programme.pk]), {"to_state": ProgrammeState.MATCHING})
    client.post(reverse("programmes:move", args=[programme.pk]), {"to_state": ProgrammeState.RUNNING})
    running = client.get(reverse("programmes:detail", args=[programme.pk])).content.decode()
    assert "Re-match people waiting in the pool" not in running
    runs = client.get(reverse("matchruns:list", args=[programme.pk])).content.decode()
    assert "there are no match runs" in runs and reverse("matchruns:start", args=[programme.pk]) not in runs


# --- the last seat, asked for twice at once (PostgreSQL) ------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers, so requests cannot race"
)


@pytest.mark.django_db(transaction=True)
@needs_postgres
def test_two_mentees_asking_for_the_last_seat_at_once_get_one_request_and_one_refusal(
    cast: Cast, programme: Programme, june: Person
):
    # Both see June (one seat) on their list before either asks.
    for mentee in (cast.vp_sales, cast.vp_tech):
        assert june in [c.enrolment.person for c in partner_choices(enrolment=mine(programme, mentee)).choices]

    outcomes = interleave(
        lambda: ask(programme, cast.vp_sales, june),
        lambda: ask(programme, cast.vp_tech, june),
        refusals=(RelationshipRuleBroken,),
    )

    assert outcomes == ("ok", "no_free_seat")
    assert mine(programme, june).seats_taken == 1
    assert list(Relationship.objects.values_list("mentee", "state")) == [(cast.vp_sales.pk, RelationshipState.PROPOSED)]


@pytest.mark.django_db(transaction=True)
@needs_postgres
def test_one_mentee_asking_two_partners_at_once_gets_one_request(cast: Cast, programme: Programme, june: Person):
    outcomes = interleave(
        lambda: ask(programme, cast.vp_sales, june),
        lambda: ask(programme, cast.vp_sales, cast.ana),
        refusals=(RelationshipRuleBroken,),
    )

    assert outcomes == ("ok", "mentee_already_paired")
    assert Relationship.objects.filter(mentee=cast.vp_sales).count() == 1
    assert (mine(programme, june).seats_taken, mine(programme, cast.ana).seats_taken) == (1, 0)


def test_a_policy_that_does_not_hold_is_said_plainly_and_nothing_is_requested(
    cast: Cast, programme: Programme, june: Person
):
    # Saved before the check existed (the services refuse it now): the page says so, never a 500.
    Programme.objects.filter(pk=programme.pk).update(policy={"weights": {"charisma": 1}})
    vera = signed_in(cast.vp_sales_user)
    url = reverse("choice:partners", args=[programme.pk])

    page = vera.get(url)
    refused = vera.post(url, {"partner": mine(programme, june).pk})

    assert page.status_code == 200 and "cannot be worked out now" in page.content.decode()
    assert refused.status_code == 400 and "cannot be worked out now" in refused.content.decode()
    assert not Relationship.objects.exists()
    assert mine(programme, june).seats_taken == 0
