"""Through the API as the two of a pair: knowledge transfer, advocacy, check-ins, a nomination and its
answer — each asserting what is stored afterwards, refusals included."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.test_flows import as_user
from tests.conftest import Cast
from tests.factories import MeetingFactory, ProgrammeFactory, SkillFactory
from tests.relationships.pairing import MENTOR, enrol, pair_up
from twofold.programmes.models import Enrolment, EnrolmentStatus, ProgrammeState
from twofold.relationships.models import AdvocacyAction, CheckIn, KnowledgeTransfer, MeetingStatus, Nomination

MONTH_AGO = timedelta(days=30)


def test_either_of_the_pair_records_knowledge_transfer_and_both_read_it(cast: Cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    pair = pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - MONTH_AGO)
    skill = SkillFactory(name="Prompting")
    ana = as_user(cast.ana_user, "relationships:write")
    vera = as_user(cast.vp_sales_user, "relationships:read")
    path = f"/relationships/{pair.pk}/knowledge"

    body = {"skill_id": skill.pk, "direction": "mentor_to_mentee", "proficiency_before": 1, "proficiency_after": 3}
    recorded = ana("POST", path, {**body, "note": "Few-shot prompts"})
    assert recorded.status_code == 201, recorded.json()
    assert (recorded.json()["skill_name"], recorded.json()["recorded_by_id"]) == ("Prompting", cast.ana.pk)
    entry = KnowledgeTransfer.objects.get()
    assert (entry.relationship_id, entry.proficiency_before, entry.proficiency_after) == (pair.pk, 1, 3)
    assert [item["id"] for item in vera("GET", path).json()["items"]] == [entry.pk]

    # Refused: an unknown skill, a proficiency off the scale, someone outside the pair, the manager.
    assert ana("POST", path, {**body, "skill_id": 999_999}).status_code == 422
    assert ana("POST", path, {**body, "proficiency_after": 9}).status_code == 422
    for outsider in (cast.ben_user, cast.programme_manager):
        refused = as_user(outsider, "relationships:write")("POST", path, body)
        assert refused.status_code == 404 and refused["Content-Type"] == "application/problem+json"
        assert as_user(outsider, "relationships:read")("GET", path).status_code == 404
    assert KnowledgeTransfer.objects.count() == 1


def test_only_the_sponsor_records_advocacy_actions_and_only_in_sponsorship(cast: Cast) -> None:
    sponsorship = ProgrammeFactory(sponsorship=True)
    sponsored = pair_up(sponsorship, cast.vp_sales, cast.ana, now=timezone.now() - MONTH_AGO)
    vera = as_user(cast.vp_sales_user, "relationships:write")
    ana = as_user(cast.ana_user, "relationships:write")
    body = {"kind": "introduction", "happened_on": timezone.localdate().isoformat(), "description": "Met the CFO"}
    path = f"/relationships/{sponsored.pk}/advocacy"

    refused = ana("POST", path, body)
    assert refused.status_code == 403 and refused.json()["type"].endswith("sponsor_only")
    assert not AdvocacyAction.objects.exists()
    recorded = vera("POST", path, body)
    assert recorded.status_code == 201 and recorded.json()["outcome"] == "pending"
    assert [item["description"] for item in ana("GET", path).json()["items"]] == ["Met the CFO"]
    assert vera("POST", path, {**body, "kind": "bribery"}).status_code == 422
    assert vera("POST", path, {**body, "description": "   "}).status_code == 422
    assert AdvocacyAction.objects.filter(relationship=sponsored).count() == 1

    mentoring = pair_up(ProgrammeFactory(), cast.ben, cast.vp_tech, now=timezone.now() - MONTH_AGO)
    victor = as_user(cast.vp_tech_user, "relationships:write")
    wrong_kind = victor("POST", f"/relationships/{mentoring.pk}/advocacy", body)
    assert wrong_kind.status_code == 422 and wrong_kind.json()["type"].endswith("not_sponsorship")
    assert victor("GET", f"/relationships/{mentoring.pk}/advocacy").json()["items"] == []
    assert AdvocacyAction.objects.count() == 1


def test_the_sponsor_sets_an_advocacy_outcome_also_after_the_sponsorship_ended(cast: Cast) -> None:
    sponsorship = ProgrammeFactory(sponsorship=True)
    sponsored = pair_up(sponsorship, cast.vp_sales, cast.ana, now=timezone.now() - MONTH_AGO)
    vera = as_user(cast.vp_sales_user, "relationships:write")
    ana = as_user(cast.ana_user, "relationships:write")
    ben = as_user(cast.ben_user, "relationships:write")
    body = {"kind": "introduction", "happened_on": timezone.localdate().isoformat(), "description": "Met the CFO"}
    action_id = vera("POST", f"/relationships/{sponsored.pk}/advocacy", body).json()["id"]
    path = f"/relationships/{sponsored.pk}/advocacy/{action_id}/outcome"

    def stored() -> tuple[str, str]:
        action = AdvocacyAction.objects.get(pk=action_id)
        return action.outcome, action.outcome_note

    # The protégé, someone outside the pair, an unknown outcome, an action of another pair: nothing changes.
    assert ana("POST", path, {"outcome": "succeeded"}).status_code == 403
    assert ben("POST", path, {"outcome": "succeeded"}).status_code == 404
    assert vera("POST", path, {"outcome": "maybe"}).status_code == 422
    assert vera("POST", path, {"outcome": "succeeded", "note": "x" * 501}).status_code == 422
    other = pair_up(ProgrammeFactory(sponsorship=True), cast.vp_tech, cast.ben, now=timezone.now() - MONTH_AGO)
    elsewhere = f"/relationships/{other.pk}/advocacy/{action_id}/outcome"
    assert vera("POST", elsewhere, {"outcome": "succeeded"}).status_code == 404
    assert stored() == ("pending", "")

    answer = vera("POST", path, {"outcome": "succeeded", "note": " Board seat "})
    assert answer.status_code == 200 and answer.json()["outcome"] == "succeeded"
    assert stored() == ("succeeded", "Board seat")
    assert [item["outcome"] for item in ana("GET", f"/relationships/{sponsored.pk}/advocacy").json()["items"]] == [
        "succeeded"
    ]

    # Outcomes often come later: the sponsor still records one once the sponsorship has ended.
    assert vera("POST", f"/relationships/{sponsored.pk}/end", {"reason": "Done"}).status_code == 200
    later = vera("POST", path, {"outcome": "did_not_succeed"})
    assert later.status_code == 200
    assert stored() == ("did_not_succeed", "")
    assert ana("POST", path, {"outcome": "succeeded"}).status_code == 403
    assert stored() == ("did_not_succeed", "")


def test_each_answers_their_own_check_in_once_and_managers_see_only_averages(cast: Cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    pair = pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - MONTH_AGO)
    MeetingFactory(relationship=pair, starts_at=timezone.now() - timedelta(days=20))
    ana = as_user(cast.ana_user, "relationships:write")
    vera = as_user(cast.vp_sales_user, "relationships:write")
    path = f"/relationships/{pair.pk}/check-ins"

    assert [(item["point"], item["status"]) for item in ana("GET", path).json()["items"]] == [("fit", "due")]
    answer = {"point": "fit", "satisfaction": 4, "psychological_safety": 5, "progress": 3, "comment": "Good start"}
    answered = ana("POST", path, answer)
    assert answered.status_code == 201, answered.json()
    assert answered.json()["status"] == "answered" and answered.json()["answer"]["comment"] == "Good start"
    again = ana("POST", path, {**answer, "satisfaction": 1})
    assert again.status_code == 422 and again.json()["type"].endswith("already_submitted")
    not_open = ana("POST", path, {**answer, "point": "midpoint"})
    assert not_open.status_code == 422 and not_open.json()["type"].endswith("check_in_not_open")
    # One row, Ana's, unchanged by the refusals; her partner sees only their own check-in, still due.
    assert list(CheckIn.objects.values_list("person_id", "point", "satisfaction")) == [(cast.ana.pk, "fit", 4)]
    assert [(item["point"], item["status"], item["answer"]) for item in vera("GET", path).json()["items"]] == [
        ("fit", "due", None)
    ]

    # The programme's manager: never a person's answers; the averages, held back below k answers.
    manager = as_user(cast.programme_manager, "relationships:write", "programmes:read")
    assert manager("GET", path).status_code == 404
    assert manager("POST", path, answer).status_code == 404
    scores = manager("GET", f"/programmes/{programme.pk}/check-ins")
    assert scores.status_code == 200 and scores.json()["answered"] == 1
    assert scores.json()["overall"]["satisfaction"]["value"] is None
    assert scores.json()["by_point"]["fit"]["progress"]["answers"] == 1
    assert as_user(cast.ana_user, "programmes:read")("GET", f"/programmes/{programme.pk}/check-ins").status_code == 404
    assert CheckIn.objects.count() == 1


def test_a_mentee_nominates_their_mentor_who_accepts_and_the_nominator_sees_it(cast: Cast) -> None:
    mentoring = ProgrammeFactory()
    pair = pair_up(mentoring, cast.ana, cast.vp_sales, now=timezone.now() - MONTH_AGO)
    rising = ProgrammeFactory(name="Rising leaders", sponsorship=True, state=ProgrammeState.ENROLLING)
    enrol(rising, cast.vp_tech, MENTOR)  # a sponsor in the pool: a protégé who accepts joins it, not a waitlist
    vera = as_user(cast.vp_sales_user, "relationships:write")
    ana = as_user(cast.ana_user, "relationships:write", "programmes:write")
    path = f"/relationships/{pair.pk}/nominations"
    body = {"programme_id": rising.pk, "statement": "Ready to lead"}

    # Only the mentee nominates: the mentor putting themselves forward is refused, nothing stored.
    refused = ana("POST", path, body)
    assert refused.status_code == 403 and refused.json()["type"].endswith("not_the_mentee")
    assert not Nomination.objects.exists() and not Enrolment.objects.filter(programme=rising, person=cast.ana).exists()
    made = vera("POST", path, body)
    assert made.status_code == 201, made.json()
    assert (made.json()["nominee_id"], made.json()["status"]) == (cast.ana.pk, "invited")
    assert vera("POST", path, body).status_code == 422  # nominated once per programme
    closed = ProgrammeFactory(sponsorship=True, state=ProgrammeState.CLOSED)
    assert vera("POST", path, {**body, "programme_id": closed.pk}).status_code == 422
    assert Nomination.objects.count() == 1

    invitation = Enrolment.objects.get(programme=rising, person=cast.ana)
    assert invitation.nominated_by_id == cast.vp_sales.pk and invitation.status == EnrolmentStatus.INVITED
    # Nobody answers someone else's invitation: not the nominator, not another employee.
    for other in (cast.vp_sales_user, cast.ben_user):
        answer = as_user(other, "programmes:write")(
            "POST", f"/enrolments/{invitation.pk}/response", {"answer": "accept"}
        )
        assert answer.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == EnrolmentStatus.INVITED

    accepted = ana("POST", f"/enrolments/{invitation.pk}/response", {"answer": "accept", "goals": "Lead a team"})
    assert accepted.status_code == 200 and accepted.json()["status"] == EnrolmentStatus.ACTIVE
    invitation.refresh_from_db()
    assert (invitation.status, invitation.goals) == (EnrolmentStatus.ACTIVE, "Lead a team")
    assert [item["status"] for item in vera("GET", path).json()["items"]] == [EnrolmentStatus.ACTIVE]
    late = ana("POST", f"/enrolments/{invitation.pk}/response", {"answer": "decline"})
    assert late.status_code == 409 and late.json()["type"].endswith("no_invitation")
    invitation.refresh_from_db()
    assert invitation.status == EnrolmentStatus.ACTIVE


def test_an_invitation_is_declined_by_the_person_invited(cast: Cast) -> None:
    programme = ProgrammeFactory(sponsorship=True, state=ProgrammeState.ENROLLING)
    invited = Enrolment.objects.create(
        programme=programme, person=cast.ben, role="mentee", status=EnrolmentStatus.INVITED
    )
    ben = as_user(cast.ben_user, "programmes:write")
    declined = ben("POST", f"/enrolments/{invited.pk}/response", {"answer": "decline"})
    assert declined.status_code == 200 and declined.json()["status"] == EnrolmentStatus.DECLINED
    invited.refresh_from_db()
    assert invited.status == EnrolmentStatus.DECLINED
    again = ben("POST", f"/enrolments/{invited.pk}/response", {"answer": "accept"})
    assert again.status_code == 409
    invited.refresh_from_db()
    assert invited.status == EnrolmentStatus.DECLINED


def test_text_with_a_nul_character_is_refused_before_anything_is_written(cast: Cast) -> None:
    """PostgreSQL stores no NUL in text: the API refuses it as the pages' forms do, on every database."""
    pair = pair_up(
        ProgrammeFactory(managers=[cast.programme_manager]), cast.ana, cast.vp_sales, now=timezone.now() - MONTH_AGO
    )
    ana = as_user(cast.ana_user, "relationships:write")
    held = (timezone.now() - timedelta(hours=1)).isoformat()
    refused = ana("POST", f"/relationships/{pair.pk}/meetings", {"starts_at": held, "shared_note": "a\u0000b"})
    assert refused.status_code == 422 and "NUL" in refused.json()["detail"]
    body = {"skill_id": SkillFactory().pk, "proficiency_before": 1, "proficiency_after": 2, "note": "\u0000"}
    assert ana("POST", f"/relationships/{pair.pk}/knowledge", body).status_code == 422
    assert not KnowledgeTransfer.objects.exists() and pair.meetings.count() == 0
    manager = as_user(cast.programme_manager, "programmes:read")
    assert manager("GET", f"/programmes/{pair.programme_id}/pairs?q=a%00b").status_code == 422
    assert manager("GET", f"/programmes/{pair.programme_id}/pairs?q=Ana").status_code == 200


def test_the_check_in_list_reads_no_meeting_whatever_the_log_s_length(cast: Cast) -> None:
    programme = ProgrammeFactory()
    pair = pair_up(programme, cast.ana, cast.vp_sales, now=timezone.now() - MONTH_AGO)
    ana = as_user(cast.ana_user, "relationships:read")

    def listed() -> tuple[list[tuple[str, str]], list[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = ana("GET", f"/relationships/{pair.pk}/check-ins")
        assert response.status_code == 200
        return [(item["point"], item["status"]) for item in response.json()["items"]], [
            query["sql"] for query in queries.captured_queries
        ]

    # No meeting held yet: nothing due; a meeting held then opens the fit check-in.
    MeetingFactory(relationship=pair, starts_at=timezone.now() + timedelta(days=2), status=MeetingStatus.SCHEDULED)
    assert listed()[0] == []
    MeetingFactory(relationship=pair, starts_at=timezone.now() - timedelta(days=20))
    due, few = listed()
    for n in range(40):
        MeetingFactory(relationship=pair, starts_at=timezone.now() - timedelta(days=19, hours=n))
    assert listed()[0] == due == [("fit", "due")]
    many = listed()[1]
    assert len(many) == len(few)
    # The log is summed up in SQL: none of its rows (notes, skills) is read.
    for sql in many:
        assert "shared_note" not in sql and "relationships_meeting_skills" not in sql
