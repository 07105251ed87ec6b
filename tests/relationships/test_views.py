"""The pair's page, the managers' health page and concerns queue, and "My relationships".

Who sees what (only the pair sees a relationship's page; private notes and concerns never reach the
partner), every form both with htmx (a fragment back) and without JavaScript (redirect with a
flash message, or the page again with the errors), the services' refusals shown, and the same
number of queries whatever the amount of data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import (
    EnrolmentFactory,
    MeetingFactory,
    PersonFactory,
    ProgrammeFactory,
    RelationshipFactory,
    SkillFactory,
    UserFactory,
    acting,
)
from tests.people.test_views import signed_in
from tests.relationships.pairing import pair_up, propose
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme, ProgrammeState
from twofold.relationships.models import (
    AdvocacyAction,
    Agreement,
    CalendarFeed,
    CheckIn,
    Concern,
    ConcernStatus,
    KnowledgeTransfer,
    Meeting,
    MeetingStatus,
    Nomination,
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.relationships.services import (
    advocacy_action_record,
    check_in_submit,
    concern_raise,
    knowledge_transfer_record,
    meeting_log,
    nomination_create,
    relationship_end,
)

HTMX = {"HX-Request": "true"}
SCORES = {"satisfaction": "4", "psychological_safety": "5", "progress": "3"}


def when(delta: timedelta) -> str:
    """A datetime-local value ``delta`` from now."""
    return (timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def page_of(client: Client, relationship: Relationship) -> str:
    response = client.get(reverse("relationships:detail", args=[relationship.pk]))
    assert response.status_code == 200
    return response.content.decode()


def flashed(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The flash messages this response added (not those still waiting from earlier requests)."""
    return [str(message) for message in response.wsgi_request._messages._queued_messages]


@pytest.fixture
def started() -> datetime:
    """Pairs in these tests started a month ago: the views run on the real clock."""
    return timezone.now() - timedelta(days=30)


@pytest.fixture
def mentoring(cast: Cast, reverse_mentoring: Programme, started: datetime) -> Relationship:
    """Ana (junior) mentors Vera (VP Sales): active for a month."""
    return pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=started)


@pytest.fixture
def other_pair(cast: Cast, reverse_mentoring: Programme, started: datetime) -> Relationship:
    """Ben mentors Victor in the same programme."""
    return pair_up(reverse_mentoring, cast.ben, cast.vp_tech, now=started)


@pytest.fixture
def sponsoring(cast: Cast, sponsorship: Programme, started: datetime) -> Relationship:
    """Vera sponsors Ana: active for a month."""
    return pair_up(sponsorship, cast.vp_sales, cast.ana, now=started)


@pytest.fixture
def skill(db):  # type: ignore[no-untyped-def]
    return SkillFactory(name="Generative AI")


# --- who sees a relationship's page ----------------------------------------------------------------


def test_only_the_two_people_open_their_relationship_page(
    cast: Cast, mentoring: Relationship, other_pair: Relationship, client: Client
) -> None:
    url = reverse("relationships:detail", args=[mentoring.pk])
    assert url == f"/relationships/{mentoring.pk}/"
    assert "You and Vera Sales" in signed_in(cast.ana_user).get(url).content.decode()
    assert "You and Ana Junior" in signed_in(cast.vp_sales_user).get(url).content.decode()
    # Another pair's participants and an executive: the 404 of an unknown id (hole 12). The programme's
    # own manager, an org admin and an outsider have no person, so no relationship page at all: 403.
    for user, status in (
        (cast.ben_user, 404),
        (cast.vp_tech_user, 404),
        (cast.executive, 404),
        (cast.programme_manager, 403),
        (cast.admin, 403),
        (cast.outsider, 403),
    ):
        response = signed_in(user).get(url)
        assert response.status_code == status, user.username
        assert "Vera Sales" not in response.content.decode()
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    assert signed_in(cast.ana_user).get(reverse("relationships:detail", args=[999_999])).status_code == 404


def test_nobody_outside_the_pair_can_act_on_it(cast: Cast, mentoring: Relationship, skill) -> None:  # type: ignore[no-untyped-def]
    ben, manager = signed_in(cast.ben_user), signed_in(cast.programme_manager)
    pk = mentoring.pk
    attempts = [
        ("relationships:meeting_log", {"starts_at": when(-timedelta(days=1)), "duration_minutes": 45}),
        ("relationships:concern", {"text": "I am not even in this pair"}),
        ("relationships:end", {"reason": "Taking over"}),
        ("relationships:agreement_accept", {}),
        ("relationships:complete", {}),
    ]
    for name, data in attempts:
        for client, status in ((ben, 404), (manager, 403)):
            assert client.post(reverse(name, args=[pk]), data).status_code == status, name
            assert client.post(reverse(name, args=[pk]), data, headers=HTMX).status_code == status, name
    assert not Meeting.objects.exists() and not Concern.objects.exists()
    mentoring.refresh_from_db()
    assert mentoring.state == RelationshipState.ACTIVE


def test_the_page_shows_partner_programme_and_why_they_were_matched(
    cast: Cast, reverse_mentoring: Programme, started: datetime
) -> None:
    relationship = propose(
        reverse_mentoring,
        cast.ana,
        cast.vp_sales,
        now=started,
        score=3.2,
        breakdown={"skills": 3.2, "cross_department": 1.0, "availability": {"value": 0.25}, "network": 0},  # points
    )
    page = page_of(signed_in(cast.ana_user), relationship)
    assert "Digital fluency" in page and "Vera Sales" in page and "VP Sales" in page
    assert "Why you were matched" in page and "Match score 3.20" in page
    # Bars with their values as text, the largest part of the score first; a component worth nothing is left out.
    assert page.index("Skills the mentor can teach that the mentee") < page.index("From different departments")
    assert 'value="80"' in page and ">80%<" in page and ">25%<" in page
    assert "Reach of the" not in page
    empty = pair_up(reverse_mentoring, cast.ben, cast.vp_tech, now=started)
    assert "No score breakdown was stored for this pair" in page_of(signed_in(cast.ben_user), empty)


# --- answering a proposal --------------------------------------------------------------------------


def test_accepting_and_declining_a_proposal_with_and_without_htmx(
    cast: Cast, reverse_mentoring: Programme, started: datetime
) -> None:
    relationship = propose(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=1))
    ana, vera = signed_in(cast.ana_user), signed_in(cast.vp_sales_user)
    assert "Accept Vera Sales as my mentee" in page_of(ana, relationship)
    url = reverse("relationships:answer", args=[relationship.pk])

    response = ana.post(url, {"answer": "accept"})
    assert response.status_code == 302 and response["Location"] == f"/relationships/{relationship.pk}/"
    assert "The relationship starts once Vera Sales accepts too." in flashed(response)[0]
    assert "Accept Vera Sales" not in page_of(ana, relationship)

    response = vera.post(url, {"answer": "accept"}, headers=HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == f"/relationships/{relationship.pk}/"
    relationship.refresh_from_db()
    assert relationship.state == RelationshipState.ACTIVE
    assert "You and Ana Junior are now a pair." in page_of(vera, relationship)

    # Answering again: the service's refusal, flashed.
    response = ana.post(url, {"answer": "decline"}, follow=True)
    assert "This relationship changed meanwhile" in response.content.decode()
    assert "already been answered" in response.content.decode()

    other = propose(reverse_mentoring, cast.ben, cast.vp_tech, now=timezone.now() - timedelta(days=1))
    response = signed_in(cast.ben_user).post(reverse("relationships:answer", args=[other.pk]), {"answer": "decline"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.state == RelationshipState.DECLINED
    assert "You declined the match with Victor Tech" in flashed(response)[0]


# --- the agreement ---------------------------------------------------------------------------------


def test_each_accepts_the_agreement_and_confidentiality(cast: Cast, mentoring: Relationship) -> None:
    ana, vera = signed_in(cast.ana_user), signed_in(cast.vp_sales_user)
    page = page_of(ana, mentoring)
    assert "What we say in our meetings stays between us." in page
    assert "I accept this agreement, confidentiality included" in page
    url = reverse("relationships:agreement_accept", args=[mentoring.pk])

    response = ana.post(url)
    assert response.status_code == 302 and response["Location"].endswith("#agreement")
    assert flashed(response) == ["You accepted the agreement."]

    response = vera.post(url, headers=HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.startswith('<section id="agreement"')
    assert "<html" not in fragment and "You accepted the agreement." in fragment
    assert Agreement.objects.get(relationship=mentoring).accepted_by_both


def test_changing_the_agreement_with_and_without_htmx_and_its_refusals(cast: Cast, mentoring: Relationship) -> None:
    ana = signed_in(cast.ana_user)
    url = reverse("relationships:agreement", args=[mentoring.pk])
    data = {"goals": "Learn to prompt well", "cadence_days": "21", "confidentiality": "Between us."}
    response = ana.post(url, data)
    assert response.status_code == 302
    agreement = Agreement.objects.get(relationship=mentoring)
    assert (agreement.goals, agreement.cadence_days, agreement.confidentiality) == (
        "Learn to prompt well",
        21,
        "Between us.",
    )

    response = ana.post(url, {**data, "cadence_days": "7"}, headers=HTMX)
    assert response.status_code == 200 and "Agreement saved." in response.content.decode()
    assert Agreement.objects.get(relationship=mentoring).cadence_days == 7

    # The service's rules, shown next to the form: in the fragment (422) or on the page (400).
    response = ana.post(url, {**data, "cadence_days": "400"}, headers=HTMX)
    assert response.status_code == 422 and "Meet every 1 to 365 days, not every 400." in response.content.decode()
    response = ana.post(url, {**data, "confidentiality": ""})
    assert response.status_code == 400
    assert "A reverse-mentoring agreement keeps a confidentiality statement." in response.content.decode()
    assert "<html" in response.content.decode()
    assert Agreement.objects.get(relationship=mentoring).confidentiality == "Between us."


# --- meetings and private notes ----------------------------------------------------------------------


def test_logging_a_meeting_without_javascript_keeps_the_private_note_private(
    cast: Cast, mentoring: Relationship, skill
) -> None:  # type: ignore[no-untyped-def]
    ana, vera = signed_in(cast.ana_user), signed_in(cast.vp_sales_user)
    assert "No meetings yet." in page_of(ana, mentoring)
    response = ana.post(
        reverse("relationships:meeting_log", args=[mentoring.pk]),
        {
            "starts_at": when(-timedelta(days=2)),
            "duration_minutes": "50",
            "skills": [str(skill.pk)],
            "shared_note": "Walked through prompt patterns.",
            "private_note": "Vera seemed unsure about the pace.",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#meetings")
    assert "logged" in flashed(response)[0]
    meeting = Meeting.objects.get()
    assert (meeting.duration_minutes, meeting.status, list(meeting.skills.all())) == (50, MeetingStatus.HELD, [skill])
    assert PrivateNote.objects.get().author == cast.ana

    ana_page, vera_page = page_of(ana, mentoring), page_of(vera, mentoring)
    assert "Walked through prompt patterns." in ana_page and "Walked through prompt patterns." in vera_page
    assert "Vera seemed unsure about the pace." in ana_page and "only you see this" in ana_page
    assert "Vera seemed unsure about the pace." not in vera_page
    assert "Ana Junior never sees yours" in vera_page  # the page says who sees a private note
    # Not in the partner's edit form either.
    edit = vera.get(reverse("relationships:meeting_edit", args=[mentoring.pk, meeting.pk])).content.decode()
    assert 'id="edit-starts_at"' in edit and "Vera seemed unsure" not in edit


def test_logging_a_meeting_with_htmx_returns_the_log_and_shows_refusals(cast: Cast, mentoring: Relationship) -> None:
    ana = signed_in(cast.ana_user)
    url = reverse("relationships:meeting_log", args=[mentoring.pk])
    response = ana.post(url, {"starts_at": when(-timedelta(hours=3)), "duration_minutes": "45"}, headers=HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.startswith('<section id="meetings"')
    assert "logged" in fragment and "<html" not in fragment and Meeting.objects.count() == 1

    response = ana.post(url, {"starts_at": when(timedelta(days=3)), "duration_minutes": "45"}, headers=HTMX)
    assert response.status_code == 422
    assert "A meeting that has not happened yet is scheduled, not logged." in response.content.decode()
    # Two days back: never the day of the meeting logged above (three hours ago is yesterday just
    # after midnight, and a second meeting on one day is asked about before anything else).
    response = ana.post(url, {"starts_at": when(-timedelta(days=2)), "duration_minutes": "2"})
    assert response.status_code == 400 and "A meeting lasts 5 to 600 minutes, not 2." in response.content.decode()
    response = ana.post(url, {"starts_at": "not a date", "duration_minutes": "45"}, headers=HTMX)
    assert response.status_code == 422 and "Enter a valid date/time." in response.content.decode()
    assert Meeting.objects.count() == 1


def test_scheduling_a_meeting_with_and_without_htmx(cast: Cast, mentoring: Relationship) -> None:
    vera = signed_in(cast.vp_sales_user)
    url = reverse("relationships:meeting_schedule", args=[mentoring.pk])
    response = vera.post(url, {"starts_at": when(timedelta(days=7)), "duration_minutes": "30", "location": "Room 4"})
    assert response.status_code == 302 and "scheduled" in flashed(response)[0]
    response = vera.post(url, {"starts_at": when(timedelta(days=21)), "duration_minutes": "30"}, headers=HTMX)
    assert response.status_code == 200 and "scheduled" in response.content.decode()
    assert list(Meeting.objects.values_list("status", flat=True)) == [MeetingStatus.SCHEDULED] * 2
    response = vera.post(url, {"starts_at": when(-timedelta(days=1)), "duration_minutes": "30"}, headers=HTMX)
    assert response.status_code == 422
    assert "A meeting is scheduled for a time still to come." in response.content.decode()
    assert "Room 4" in page_of(signed_in(cast.ana_user), mentoring)


def test_editing_a_meeting_with_and_without_htmx(cast: Cast, mentoring: Relationship, skill) -> None:  # type: ignore[no-untyped-def]
    ana, vera = signed_in(cast.ana_user), signed_in(cast.vp_sales_user)
    meeting = meeting_log(
        relationship=mentoring,
        actor=acting(cast.ana),
        starts_at=timezone.now() - timedelta(days=3),
        shared_note="First draft",
        private_note="Ana's own thought",
    )
    url = reverse("relationships:meeting_edit", args=[mentoring.pk, meeting.pk])

    # The form: inside the whole page without JavaScript, the log alone with htmx.
    full = ana.get(url)
    assert full.status_code == 200 and "<html" in full.content.decode()
    assert "Ana&#x27;s own thought" in full.content.decode()
    fragment = ana.get(url, headers=HTMX).content.decode()
    assert fragment.startswith('<section id="meetings"') and 'name="status"' in fragment

    base = {"status": "held", "starts_at": when(-timedelta(days=3)), "duration_minutes": "60", "location": ""}
    response = vera.post(
        url, {**base, "shared_note": "Final notes", "skills": [str(skill.pk)], "private_note": "Vera's"}
    )
    assert response.status_code == 302 and "saved" in flashed(response)[0]
    meeting.refresh_from_db()
    assert (meeting.shared_note, meeting.duration_minutes, list(meeting.skills.all())) == ("Final notes", 60, [skill])
    assert dict(PrivateNote.objects.values_list("author__name", "text")) == {
        "Ana Junior": "Ana's own thought",
        "Vera Sales": "Vera's",
    }

    response = ana.post(url, {**base, "shared_note": "Final notes, htmx", "private_note": ""}, headers=HTMX)
    assert response.status_code == 200 and "saved" in response.content.decode()
    assert not PrivateNote.objects.filter(author=cast.ana).exists()  # emptied: deleted

    response = ana.post(url, {**base, "status": "cancelled"}, headers=HTMX)
    assert response.status_code == 422 and "Select a valid choice." in response.content.decode()
    response = ana.post(url, {**base, "starts_at": when(timedelta(days=2))})
    assert response.status_code == 400 and "A meeting cannot be held in the future." in response.content.decode()
    # The log alone again (htmx "cancel"), and the page at the log without JavaScript.
    assert ana.get(reverse("relationships:meetings", args=[mentoring.pk]), headers=HTMX).status_code == 200
    assert ana.get(reverse("relationships:meetings", args=[mentoring.pk]))["Location"].endswith("#meetings")


def test_a_meeting_of_another_pair_cannot_be_edited_through_this_one(
    cast: Cast, mentoring: Relationship, other_pair: Relationship
) -> None:
    theirs = MeetingFactory(relationship=other_pair, starts_at=timezone.now() - timedelta(days=1))
    url = reverse("relationships:meeting_edit", args=[mentoring.pk, theirs.pk])
    assert signed_in(cast.ana_user).get(url).status_code == 404
    assert signed_in(cast.ana_user).post(url, {"status": "held"}).status_code == 404


# --- knowledge transfer and advocacy -----------------------------------------------------------------


def test_recording_knowledge_transfer_with_and_without_htmx(cast: Cast, mentoring: Relationship, skill) -> None:  # type: ignore[no-untyped-def]
    ana = signed_in(cast.ana_user)
    page = page_of(ana, mentoring)
    assert "No skills recorded yet." in page and "Ana Junior taught Vera Sales" in page
    url = reverse("relationships:knowledge", args=[mentoring.pk])
    data = {
        "skill": str(skill.pk),
        "direction": "mentor_to_mentee",
        "proficiency_before": "1",
        "proficiency_after": "3",
    }
    response = ana.post(url, data)
    assert response.status_code == 302 and flashed(response) == ["Recorded: Generative AI, from 1 to 3."]
    response = ana.post(url, {**data, "direction": "mentee_to_mentor", "note": "Sales framing"}, headers=HTMX)
    assert response.status_code == 200 and "Sales framing" in response.content.decode()
    assert KnowledgeTransfer.objects.count() == 2
    response = ana.post(url, {**data, "proficiency_after": "9"}, headers=HTMX)
    assert response.status_code == 422 and "Select a valid choice." in response.content.decode()
    assert "Vera Sales taught Ana Junior" in page_of(signed_in(cast.vp_sales_user), mentoring)


def test_a_change_after_the_relationship_ended_is_told_and_the_page_reloads(
    cast: Cast, mentoring: Relationship, skill
) -> None:  # type: ignore[no-untyped-def]
    ana = signed_in(cast.ana_user)
    relationship_end(relationship=mentoring, actor=acting(cast.vp_sales), reason="Moving abroad")
    url = reverse("relationships:knowledge", args=[mentoring.pk])
    data = {
        "skill": str(skill.pk),
        "direction": "mentor_to_mentee",
        "proficiency_before": "1",
        "proficiency_after": "2",
    }
    response = ana.post(url, data, headers=HTMX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert "This relationship changed meanwhile" in flashed(response)[0]
    response = ana.post(url, data)
    assert response.status_code == 302 and response["Location"] == f"/relationships/{mentoring.pk}/"
    assert not KnowledgeTransfer.objects.exists()
    page = page_of(ana, mentoring)
    assert "This relationship ended early" in page and "Moving abroad" in page
    assert "Record a skill that moved" not in page


def test_the_sponsor_records_advocacy_and_outcomes_the_protege_reads_them(cast: Cast, sponsoring: Relationship) -> None:
    vera, ana = signed_in(cast.vp_sales_user), signed_in(cast.ana_user)
    assert "No advocacy actions yet." in page_of(vera, sponsoring)
    url = reverse("relationships:advocacy", args=[sponsoring.pk])
    data = {"kind": "introduction", "happened_on": timezone.localdate().isoformat(), "description": "Met the CFO"}
    response = vera.post(url, data)
    assert response.status_code == 302 and flashed(response)[0].startswith("Recorded: introduction to their network")
    response = vera.post(
        url, {**data, "kind": "stretch_assignment", "description": "Lead the pricing study"}, headers=HTMX
    )
    assert response.status_code == 200 and "Lead the pricing study" in response.content.decode()
    response = vera.post(url, {**data, "description": "   "}, headers=HTMX)
    assert response.status_code == 422 and "This field is required." in response.content.decode()

    # The protégé reads them, and may not record any: the service says only the sponsor does.
    page = page_of(ana, sponsoring)
    assert "Met the CFO" in page and "Record an advocacy action" not in page
    assert ana.post(url, data).status_code == 403
    assert AdvocacyAction.objects.count() == 2

    action = AdvocacyAction.objects.get(description="Met the CFO")
    outcome_url = reverse("relationships:advocacy_outcome", args=[sponsoring.pk, action.pk])
    prefix = f"outcome-{action.pk}"
    response = vera.post(outcome_url, {f"{prefix}-outcome": "succeeded", f"{prefix}-note": "CFO mentoring"})
    assert response.status_code == 302 and flashed(response) == ["Outcome saved: came through."]
    response = vera.post(outcome_url, {f"{prefix}-outcome": "did_not_succeed"}, headers=HTMX)
    assert response.status_code == 200 and "Outcome saved: did not come through." in response.content.decode()
    action.refresh_from_db()
    assert action.outcome == "did_not_succeed"
    assert ana.post(outcome_url, {f"{prefix}-outcome": "succeeded"}).status_code == 403


# --- check-ins ----------------------------------------------------------------------------------------


def test_check_ins_due_and_done_with_and_without_htmx(cast: Cast, mentoring: Relationship) -> None:
    ana, vera = signed_in(cast.ana_user), signed_in(cast.vp_sales_user)
    assert "No check-in is due now. The first one opens after your first meeting." in page_of(ana, mentoring)
    meeting_log(relationship=mentoring, actor=acting(cast.ana), starts_at=timezone.now() - timedelta(days=5))
    assert "Fit check after the first meeting check-in" in page_of(ana, mentoring)
    url = reverse("relationships:check_in", args=[mentoring.pk])

    response = ana.post(url, {"point": "fit", **SCORES, "comment": "Going well, a bit fast"})
    assert response.status_code == 302
    assert "your fit check after the first meeting check-in is in" in flashed(response)[0]
    response = vera.post(url, {"point": "fit", **SCORES, "psychological_safety": "2"}, headers=HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and "Ana Junior does not see your answers." in fragment
    assert "2 / 5" in fragment and "No check-in is due now." in fragment
    assert CheckIn.objects.count() == 2
    # Each sees their own answers only.
    assert "Going well, a bit fast" in page_of(ana, mentoring)
    assert "Going well, a bit fast" not in page_of(vera, mentoring)

    # Refusals from the service: answered already; a point not open yet.
    response = ana.post(url, {"point": "fit", **SCORES}, headers=HTMX)
    assert response.status_code == 422 and "You already answered the fit check after the first meeting check-in." in (
        response.content.decode()
    )
    response = ana.post(url, {"point": "midpoint", **SCORES})
    assert response.status_code == 400 and "The mid-point check-in opens on" in response.content.decode()
    response = ana.post(url, {"point": "fit", "satisfaction": "7"}, headers=HTMX)
    assert response.status_code == 422 and "Select a valid choice." in response.content.decode()


# --- concerns ------------------------------------------------------------------------------------------


def test_a_concern_reaches_the_managers_and_never_the_partner(cast: Cast, mentoring: Relationship) -> None:
    ana, vera = signed_in(cast.ana_user), signed_in(cast.vp_sales_user)
    url = reverse("relationships:concern", args=[mentoring.pk])
    response = ana.post(url, {"text": "Vera keeps cancelling at the last minute."})
    assert response.status_code == 302
    (message,) = flashed(response)
    assert "went to the programme managers of Digital fluency, and only to them: Vera Sales is never told" in message
    response = ana.post(url, {"text": "Second worry, sent with htmx."}, headers=HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and "Vera Sales is never told" in fragment
    assert "Second worry, sent with htmx." in fragment  # the author follows their own concerns
    response = ana.post(url, {"text": "  "}, headers=HTMX)
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    assert Concern.objects.count() == 2

    assert "Vera keeps cancelling" in page_of(ana, mentoring)
    vera_page = page_of(vera, mentoring)
    assert "Vera keeps cancelling" not in vera_page and "Second worry" not in vera_page
    assert "Concerns you raised" not in vera_page
    queue = reverse("relationships:concerns")
    assert "Vera keeps cancelling" in signed_in(cast.programme_manager).get(queue).content.decode()
    other_manager = UserFactory(username="pm2", is_programme_manager=True)
    assert "Vera keeps cancelling" not in signed_in(other_manager).get(queue).content.decode()


def test_managers_acknowledge_and_resolve_concerns_with_and_without_htmx(cast: Cast, mentoring: Relationship) -> None:
    concern = concern_raise(relationship=mentoring, actor=acting(cast.ana), text="Meetings keep slipping")
    manager = signed_in(cast.programme_manager)
    listing = manager.get(reverse("relationships:concerns")).content.decode()
    assert "Meetings keep slipping" in listing and "Raised by Ana Junior" in listing
    url = reverse("relationships:concern_handle", args=[concern.pk])

    response = manager.post(url, {"status": "acknowledged"})
    assert response.status_code == 302 and flashed(response) == ["Concern acknowledged."]
    response = manager.post(url, {"status": "resolved", "resolution": ""}, headers=HTMX)
    assert response.status_code == 422 and "Say how the concern was resolved." in response.content.decode()
    response = manager.post(url, {"status": "resolved", "resolution": ""})
    assert response.status_code == 302 and flashed(response) == ["Say how the concern was resolved."]
    response = manager.post(url, {"status": "resolved", "resolution": "Talked to both"}, headers=HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.startswith(f'<article id="concern-{concern.pk}"')
    assert "Concern resolved." in fragment and "Talked to both" in fragment
    concern.refresh_from_db()
    assert (concern.status, concern.handled_by) == (ConcernStatus.RESOLVED, cast.programme_manager)
    assert "No open concerns" in manager.get(reverse("relationships:concerns")).content.decode()
    assert "Talked to both" in manager.get(reverse("relationships:concerns"), {"show": "resolved"}).content.decode()


def test_only_managers_of_the_programme_handle_its_concerns(cast: Cast, mentoring: Relationship) -> None:
    concern = concern_raise(relationship=mentoring, actor=acting(cast.ana), text="Worry")
    url = reverse("relationships:concern_handle", args=[concern.pk])
    other_manager = UserFactory(username="pm2", is_programme_manager=True)
    # Another programme's concern does not exist for this manager.
    assert signed_in(other_manager).post(url, {"status": "acknowledged"}).status_code == 404
    for user in (cast.ana_user, cast.vp_sales_user, cast.executive, cast.outsider):
        assert signed_in(user).get(reverse("relationships:concerns")).status_code == 403
        assert signed_in(user).post(url, {"status": "acknowledged"}).status_code == 403
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.OPEN
    assert signed_in(cast.admin).post(url, {"status": "acknowledged"}).status_code == 302
    # The menu offers the queue to programme managers and org admins only.
    assert 'href="/concerns/"' in signed_in(cast.programme_manager).get(reverse("programmes:list")).content.decode()
    assert 'href="/concerns/"' not in signed_in(cast.ana_user).get(reverse("relationships:mine")).content.decode()


# --- nominating the mentor for sponsorship -------------------------------------------------------------


def test_the_senior_mentee_nominates_the_mentor_with_and_without_htmx(
    cast: Cast, mentoring: Relationship, sponsorship: Programme
) -> None:
    vera, ana = signed_in(cast.vp_sales_user), signed_in(cast.ana_user)
    assert "Nominate Ana Junior for sponsorship" in page_of(vera, mentoring)
    assert "Nominate" not in page_of(ana, mentoring)  # the junior mentor does not nominate anyone
    url = reverse("relationships:nominate", args=[mentoring.pk])
    assert ana.post(url, {"programme": str(sponsorship.pk), "statement": "Me"}).status_code == 403

    response = vera.post(url, {"programme": str(sponsorship.pk), "statement": "Ana changed how I see AI."})
    assert response.status_code == 302
    assert flashed(response)[0].startswith("You nominated Ana Junior for Rising leaders.")
    nomination = Nomination.objects.get()
    assert (nomination.nominator, nomination.nominee, nomination.source) == (cast.vp_sales, cast.ana, mentoring)
    assert Enrolment.objects.get(programme=sponsorship, person=cast.ana).nominated_by == cast.vp_sales
    page = page_of(vera, mentoring)
    assert "You nominated Ana Junior for <strong>Rising leaders</strong>" in page
    assert "No sponsorship programme is taking candidates for Ana Junior right now." in page

    # Ana is asked before she is enrolled: the nomination waits on her page until she answers.
    candidacy = Enrolment.objects.get(programme=sponsorship, person=cast.ana)
    assert candidacy.status == "invited"
    mine = ana.get(reverse("relationships:mine")).content.decode()
    assert "<strong>Vera Sales</strong> nominated you for <strong>Rising leaders</strong>" in mine
    assert "You join its pool only if you accept." in mine
    accepted = ana.post(reverse("programmes:apply", args=[sponsorship.pk]), {"role": "mentee", "goals": "Grow"})
    assert accepted.status_code == 302
    candidacy.refresh_from_db()
    assert candidacy.status in ("active", "waitlisted")

    second = ProgrammeFactory(name="Future execs", sponsorship=True, state=ProgrammeState.ENROLLING)
    response = vera.post(url, {"programme": str(second.pk), "statement": "Again"}, headers=HTMX)
    assert response.status_code == 200 and "You nominated Ana Junior for Future execs." in response.content.decode()
    response = vera.post(url, {"programme": str(sponsorship.pk), "statement": "Twice"}, headers=HTMX)
    assert response.status_code == 422 and "they were already nominated for it" in response.content.decode()
    assert Nomination.objects.count() == 2


def test_a_nomination_refused_by_the_service_says_why(
    cast: Cast, mentoring: Relationship, sponsoring: Relationship, sponsorship: Programme
) -> None:
    """Ana is already Vera's protégé in Rising leaders: the programme service refuses a second candidacy."""
    response = signed_in(cast.vp_sales_user).post(
        reverse("relationships:nominate", args=[mentoring.pk]),
        {"programme": str(sponsorship.pk), "statement": "She deserves it"},
    )
    assert response.status_code == 400
    assert "Ana Junior is already in this programme (in the pool)" in response.content.decode()
    assert not Nomination.objects.exists()


# --- ending and completing -----------------------------------------------------------------------------


def test_ending_early_with_a_reason_and_a_rematch(
    cast: Cast, mentoring: Relationship, other_pair: Relationship
) -> None:
    ana = signed_in(cast.ana_user)
    url = reverse("relationships:end", args=[mentoring.pk])
    response = ana.post(url, {"reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    # Without JavaScript, a page asks first; nothing has ended yet.
    asked = ana.post(url, {"reason": "Our schedules never fit", "rematch": "on"})
    assert asked.status_code == 200 and "cannot be undone" in asked.content.decode()
    assert Relationship.objects.get(pk=mentoring.pk).state == RelationshipState.ACTIVE
    response = ana.post(url, {"reason": "Our schedules never fit", "rematch": "on", "confirmed": "yes"})
    assert response.status_code == 302 and "You both stay in the programme's pool" in flashed(response)[0]
    mentoring.refresh_from_db()
    assert (mentoring.state, mentoring.end_reason, mentoring.rematch_requested) == (
        RelationshipState.ENDED_EARLY,
        "Our schedules never fit",
        True,
    )
    ben = signed_in(cast.ben_user)
    # With htmx, the browser's dialog asked, and the form posts confirmed.
    response = ben.post(
        reverse("relationships:end", args=[other_pair.pk]), {"reason": "Not a fit", "confirmed": "yes"}, headers=HTMX
    )
    assert response.status_code == 200 and response["HX-Redirect"] == f"/relationships/{other_pair.pk}/"
    other_pair.refresh_from_db()
    assert other_pair.state == RelationshipState.ENDED_EARLY and not other_pair.rematch_requested


def test_completing_at_the_end_opens_the_closing_survey(cast: Cast, reverse_mentoring: Programme) -> None:
    early = pair_up(reverse_mentoring, cast.ben, cast.vp_tech, now=timezone.now() - timedelta(days=30))
    response = signed_in(cast.ben_user).post(reverse("relationships:complete", args=[early.pk]), follow=True)
    assert "runs until" in response.content.decode() and "end it early with a reason" in response.content.decode()
    early.refresh_from_db()
    assert early.state == RelationshipState.ACTIVE

    # Six months less a week ago: within the fortnight before the planned end.
    relationship = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=176))
    ana, vera = signed_in(cast.ana_user), signed_in(cast.vp_sales_user)
    assert "Complete the relationship" in page_of(ana, relationship)
    response = ana.post(reverse("relationships:complete", args=[relationship.pk]), headers=HTMX)
    assert response["HX-Redirect"] == f"/relationships/{relationship.pk}/"
    relationship.refresh_from_db()
    assert relationship.state == RelationshipState.COMPLETED
    page = page_of(vera, relationship)
    assert "Closing survey" in page and "Would you recommend this programme to a colleague?" in page
    response = vera.post(
        reverse("relationships:check_in", args=[relationship.pk]),
        {"point": "closing", **SCORES, "would_recommend": "yes"},
    )
    assert response.status_code == 302
    assert CheckIn.objects.get(person=cast.vp_sales).would_recommend is True


# --- My relationships and My calendar -----------------------------------------------------------------


def test_my_relationships_put_proposals_awaiting_my_answer_first(
    cast: Cast, reverse_mentoring: Programme, sponsorship: Programme
) -> None:
    active = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=40))
    proposal = propose(sponsorship, cast.vp_sales, cast.ana, now=timezone.now() - timedelta(days=2))
    page = signed_in(cast.ana_user).get(reverse("relationships:mine")).content.decode()
    assert page.index(f'href="/relationships/{proposal.pk}/"') < page.index(f'href="/relationships/{active.pk}/"')
    assert "Waiting for your answer" in page and "Rising leaders" in page and "protégé" in page
    assert "No relationships yet." in signed_in(cast.ben_user).get(reverse("relationships:mine")).content.decode()


def test_my_calendar_shows_the_secret_address_and_rotates_it(cast: Cast) -> None:
    ana = signed_in(cast.ana_user)
    page = ana.get(reverse("relationships:mine")).content.decode()
    token = CalendarFeed.objects.get(person=cast.ana).token
    assert f"/calendar/{token}.ics" in page
    response = ana.post(reverse("relationships:calendar_rotate"))
    assert response.status_code == 302 and response["Location"] == "/programmes/mine/#calendar"
    assert "the old one has stopped working" in flashed(response)[0]
    new_token = CalendarFeed.objects.get(person=cast.ana).token
    assert (
        new_token != token and f"/calendar/{new_token}.ics" in ana.get(reverse("relationships:mine")).content.decode()
    )
    response = ana.post(reverse("relationships:calendar_rotate"), headers=HTMX)
    assert response["HX-Redirect"] == "/programmes/mine/"
    assert CalendarFeed.objects.get(person=cast.ana).token != new_token
    assert signed_in(cast.programme_manager).post(reverse("relationships:calendar_rotate")).status_code == 403


# --- programme health ----------------------------------------------------------------------------------


def test_health_shows_aggregates_and_who_is_behind_never_a_note(
    cast: Cast, mentoring: Relationship, other_pair: Relationship, reverse_mentoring: Programme
) -> None:
    met = timezone.now() - timedelta(days=25)
    meeting_log(
        relationship=mentoring,
        actor=acting(cast.ana),
        starts_at=met,
        shared_note="Shared words",
        private_note="Secret words",
    )
    check_in_submit(
        relationship=mentoring, actor=acting(cast.ana), point="fit", satisfaction=4, psychological_safety=2, progress=3
    )
    concern_raise(relationship=mentoring, actor=acting(cast.vp_sales), text="Concern words")
    url = reverse("relationships:programme_health", args=[reverse_mentoring.pk])
    response = signed_in(cast.programme_manager).get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ana Junior" in page and "Vera Sales" in page and "Ben Junior" in page and "Victor Tech" in page
    assert met.strftime("%-d %b %Y") in page  # the last meeting's date
    # One answer: no average is shown, or it would be Ana's own "I can speak openly" score.
    assert "averages appear once 5 answers" in page and "2.0 / 5" not in page
    for private in ("Shared words", "Secret words", "Concern words"):
        assert private not in page
    # The programme page links to it; other managers and participants are refused.
    detail = signed_in(cast.programme_manager).get(reverse("programmes:detail", args=[reverse_mentoring.pk]))
    assert f'href="/programmes/{reverse_mentoring.pk}/health/"' in detail.content.decode()
    assert signed_in(UserFactory(username="pm2", is_programme_manager=True)).get(url).status_code == 404
    assert signed_in(cast.ana_user).get(url).status_code == 404
    assert signed_in(cast.admin).get(url).status_code == 200


def test_health_of_a_programme_without_pairs_has_clear_empty_states(cast: Cast, reverse_mentoring: Programme) -> None:
    url = reverse("relationships:programme_health", args=[reverse_mentoring.pk])
    page = signed_in(cast.programme_manager).get(url).content.decode()
    assert "Every active pair has met within its cadence." in page and "No check-ins answered yet." in page


# --- a bounded number of queries, whatever the amount of data --------------------------------------------


def _busy_pair(cast: Cast, *, sponsorship: bool, size: int) -> Relationship:
    """A running pair of Vera (the senior) and Ana with ``size`` of everything: meetings with skills and
    private notes, knowledge transfers, advocacy actions or nominations, concerns."""
    programme = ProgrammeFactory(sponsorship=sponsorship, state=ProgrammeState.RUNNING)
    senior, junior = cast.vp_sales, cast.ana
    relationship = RelationshipFactory(
        programme=programme,
        mentor_enrolment__person=senior if sponsorship else junior,
        mentee_enrolment__person=junior if sponsorship else senior,
        state=RelationshipState.ACTIVE,
        proposed_at=timezone.now() - timedelta(days=60),
    )
    for day in range(size):
        meeting_log(
            relationship=relationship,
            actor=acting(senior),
            starts_at=timezone.now() - timedelta(days=day + 1),
            skills=[SkillFactory(), SkillFactory()],
            shared_note=f"Meeting {day}",
            private_note=f"Private {day}",
        )
        knowledge_transfer_record(
            relationship=relationship,
            actor=acting(senior),
            skill=SkillFactory(),
            direction="mentee_to_mentor",
            proficiency_before=1,
            proficiency_after=2,
        )
        if sponsorship:
            advocacy_action_record(
                relationship=relationship,
                actor=acting(senior),
                kind="nomination",
                happened_on=timezone.localdate(),
                description=f"Action {day}",
            )
        else:
            target = ProgrammeFactory(sponsorship=True, state=ProgrammeState.ENROLLING)
            nomination_create(relationship=relationship, actor=acting(senior), programme=target, statement="Strong")
        concern_raise(relationship=relationship, actor=acting(senior), text=f"Concern {day}")
    return relationship


@pytest.mark.parametrize("sponsorship", [True, False], ids=["sponsorship", "reverse-mentoring"])
@pytest.mark.parametrize("size", [1, 12])
def test_the_relationship_page_takes_the_same_queries_for_any_log(
    cast: Cast, django_assert_max_num_queries, size: int, sponsorship: bool
) -> None:  # type: ignore[no-untyped-def]
    relationship = _busy_pair(cast, sponsorship=sponsorship, size=size)
    client = signed_in(cast.vp_sales_user)
    # Every page's navigation asks whether the user may import: two queries (their and their groups' permissions).
    # The partner's profile takes three (their enrolments, focus skills, profile skills), the managers' log one.
    with django_assert_max_num_queries(18):
        response = client.get(reverse("relationships:detail", args=[relationship.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and "Meeting 0" in page and f"Concern {size - 1}" in page
    assert page.count("Private ") >= min(size, 10)
    # The history comes in pages of ten, newest first: the oldest meeting is on the last page.
    with django_assert_max_num_queries(18):
        last = client.get(reverse("relationships:detail", args=[relationship.pk]), {"meetings": "last"})
    assert f"Meeting {size - 1}" in last.content.decode()
    assert (size > 10) == ("Meeting 0" not in last.content.decode())
    meeting = Meeting.objects.filter(relationship=relationship).first()
    assert meeting is not None
    with django_assert_max_num_queries(18):
        response = client.get(reverse("relationships:meeting_edit", args=[relationship.pk, meeting.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 12])
def test_my_programmes_takes_the_same_queries_for_any_number_of_relationships(
    cast: Cast, django_assert_max_num_queries, size: int
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(size):
        RelationshipFactory(
            programme=ProgrammeFactory(), mentor_enrolment__person=cast.ana, state=RelationshipState.ACTIVE
        )
    # Every kind of row the page draws of an enrolment: a nomination, an invitation, one in the pool
    # with a reason given, one that has ended; none may read a column the page leaves unread.
    EnrolmentFactory(
        programme=ProgrammeFactory(name="Nominating"),
        person=cast.ana,
        role=EnrolmentRole.MENTEE,
        status=EnrolmentStatus.INVITED,
        nominated_by=cast.vp_sales,
        goals="Grow",
    )
    EnrolmentFactory(programme=ProgrammeFactory(), person=cast.ana, status=EnrolmentStatus.INVITED)
    EnrolmentFactory(
        programme=ProgrammeFactory(name="Waiting"),
        person=cast.ana,
        status=EnrolmentStatus.WAITLISTED,
        status_reason="Full for now",
    )
    EnrolmentFactory(programme=ProgrammeFactory(), person=cast.ana, status=EnrolmentStatus.WITHDRAWN)
    client = signed_in(cast.ana_user)
    client.get(reverse("relationships:mine"))  # the calendar feed is created on the first visit
    with django_assert_max_num_queries(8):  # one of them for "My progress", whatever the number of pairs
        response = client.get(reverse("relationships:mine"))
    page = response.content.decode()
    assert page.count('href="/relationships/') == size
    assert f"<strong>{cast.vp_sales.name}</strong> nominated you for <strong>Nominating</strong>" in page
    assert "Full for now" in page and page.count("Leave…") == size + 1


@pytest.mark.parametrize("size", [1, 30])
def test_health_and_concerns_take_the_same_queries_for_any_number_of_pairs(
    cast: Cast, django_assert_max_num_queries, size: int
) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    long_ago = timezone.now() - timedelta(days=90)
    for _ in range(size):
        relationship = RelationshipFactory(
            programme=programme,
            state=RelationshipState.ACTIVE,
            proposed_at=long_ago,
            mentor_enrolment__person=PersonFactory(level=2),
            mentee_enrolment__person=PersonFactory(level=8),
        )
        MeetingFactory(relationship=relationship, starts_at=long_ago + timedelta(days=1))
        Concern.objects.create(relationship=relationship, raised_by=relationship.mentee, text="Idle")
    client = signed_in(cast.programme_manager)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("relationships:programme_health", args=[programme.pk]))
    assert response.content.decode().count("Idle</span>") == min(size, 25)
    # Two of them audit entries (the decision, and the concerns shown), one the programmes to filter by.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("relationships:concerns"))
    assert response.content.decode().count('class="card concern"') == min(size, 25)
