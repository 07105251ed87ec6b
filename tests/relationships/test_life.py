"""The life of a relationship: agreement, meetings and private notes, knowledge moved, advocacy,
check-ins, concerns, ending early and completing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import Cast
from tests.factories import PersonFactory, SkillFactory, UserFactory, acting
from tests.relationships.pairing import DAY, NOW, pair_up
from twofold.accounts.permissions import NotPermitted
from twofold.programmes.models import Enrolment, EnrolmentStatus
from twofold.relationships.models import (
    AdvocacyKind,
    AdvocacyOutcome,
    CheckInPoint,
    ConcernStatus,
    Direction,
    MeetingStatus,
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.relationships.services import (
    OUTCOME_NOTE_MAX_LENGTH,
    RelationshipForbidden,
    RelationshipRuleBroken,
    RelationshipStateConflict,
    advocacy_action_record,
    advocacy_action_set_outcome,
    agreement_accept,
    agreement_update,
    check_in_submit,
    concern_raise,
    concern_update,
    knowledge_transfer_record,
    meeting_log,
    meeting_schedule,
    meeting_update,
    private_note_set,
    relationship_complete,
    relationship_end,
)

HOUR = DAY / 24
GOOD_SCORES = {"satisfaction": 4, "psychological_safety": 5, "progress": 3}


def code_of(error: pytest.ExceptionInfo[RelationshipRuleBroken]) -> str:
    return error.value.code


# --- agreement -----------------------------------------------------------------------------------


def test_both_accept_the_confidentiality_statement(cast: Cast, active: Relationship) -> None:
    agreement = agreement_accept(relationship=active, actor=acting(cast.ana), now=NOW + HOUR)
    assert agreement.mentor_accepted_at == NOW + HOUR and not agreement.accepted_by_both
    agreement = agreement_accept(relationship=active, actor=acting(cast.vp_sales), now=NOW + 2 * HOUR)
    assert agreement.accepted_by_both
    again = agreement_accept(relationship=active, actor=acting(cast.ana), now=NOW + DAY)
    assert again.mentor_accepted_at == NOW + HOUR  # the first acceptance stands


def test_changing_the_agreement_asks_both_to_accept_again(cast: Cast, active: Relationship) -> None:
    agreement_accept(relationship=active, actor=acting(cast.ana), now=NOW)
    agreement_accept(relationship=active, actor=acting(cast.vp_sales), now=NOW)
    unchanged = agreement_update(relationship=active, actor=acting(cast.ana), cadence_days=14)
    assert unchanged.accepted_by_both
    changed = agreement_update(relationship=active, actor=acting(cast.ana), goals="Cloud basics", cadence_days=7)
    assert (changed.goals, changed.cadence_days) == ("Cloud basics", 7)
    assert changed.mentor_accepted_at is None and changed.mentee_accepted_at is None


def test_reverse_mentoring_keeps_a_confidentiality_statement(cast: Cast, active: Relationship) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        agreement_update(relationship=active, actor=acting(cast.vp_sales), confidentiality="   ")
    assert code_of(caught) == "confidentiality_required"
    with pytest.raises(RelationshipRuleBroken) as caught:
        agreement_update(relationship=active, actor=acting(cast.vp_sales), cadence_days=0)
    assert code_of(caught) == "cadence_out_of_range"


def test_sponsorship_needs_no_confidentiality_statement(cast: Cast, sponsored: Relationship) -> None:
    assert agreement_accept(relationship=sponsored, actor=acting(cast.ana), now=NOW).mentee_accepted_at == NOW


def test_outsiders_do_not_touch_the_agreement(cast: Cast, active: Relationship) -> None:
    with pytest.raises(NotPermitted):
        agreement_update(relationship=active, actor=acting(cast.ben), goals="Mine now")
    with pytest.raises(NotPermitted):
        agreement_accept(relationship=active, actor=acting(cast.ben), now=NOW)


# --- meetings and private notes ------------------------------------------------------------------


def test_a_meeting_is_logged_with_skills_a_shared_and_a_private_note(cast: Cast, active: Relationship) -> None:
    genai = SkillFactory(name="Generative AI")
    meeting = meeting_log(
        relationship=active,
        actor=acting(cast.ana),
        starts_at=NOW + 3 * DAY,
        duration_minutes=60,
        skills=[genai],
        shared_note="Tried prompting together",
        private_note="Vera seemed tired",
        now=NOW + 4 * DAY,
    )
    assert (meeting.status, meeting.duration_minutes, meeting.shared_note) == (
        MeetingStatus.HELD,
        60,
        "Tried prompting together",
    )
    assert list(meeting.skills.all()) == [genai]
    assert PrivateNote.objects.get(meeting=meeting).author == cast.ana


@pytest.mark.parametrize(
    ("starts_at", "duration", "code"),
    [
        (NOW + 5 * DAY, 45, "meeting_in_future"),
        (NOW - DAY, 45, "before_pairing"),
        (NOW + DAY, 4, "duration_out_of_range"),
        (NOW + DAY, 601, "duration_out_of_range"),
    ],
)
def test_a_logged_meeting_must_make_sense(cast: Cast, active: Relationship, starts_at, duration, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RelationshipRuleBroken) as caught:
        meeting_log(
            relationship=active,
            actor=acting(cast.ana),
            starts_at=starts_at,
            duration_minutes=duration,
            now=NOW + 4 * DAY,
        )
    assert code_of(caught) == code


def test_meetings_belong_to_active_relationships(cast: Cast, proposed: Relationship) -> None:
    with pytest.raises(RelationshipStateConflict) as caught:
        meeting_log(relationship=proposed, actor=acting(cast.ana), starts_at=NOW, now=NOW)
    assert code_of(caught) == "not_active"


def test_a_scheduled_meeting_is_held_or_cancelled(cast: Cast, active: Relationship) -> None:
    meeting = meeting_schedule(
        relationship=active, actor=acting(cast.vp_sales), starts_at=NOW + 7 * DAY, location="Room 4", now=NOW
    )
    assert meeting.status == MeetingStatus.SCHEDULED
    with pytest.raises(RelationshipRuleBroken) as caught:
        meeting_update(meeting=meeting, actor=acting(cast.ana), status=MeetingStatus.HELD, now=NOW + DAY)
    assert code_of(caught) == "meeting_in_future"
    moved = meeting_update(meeting=meeting, actor=acting(cast.ana), starts_at=NOW + 8 * DAY, now=NOW + DAY)
    assert (moved.starts_at, moved.status) == (NOW + 8 * DAY, MeetingStatus.SCHEDULED)
    held = meeting_update(
        meeting=meeting, actor=acting(cast.ana), status=MeetingStatus.HELD, shared_note="Went well", now=NOW + 9 * DAY
    )
    assert (held.status, held.shared_note, held.location) == (MeetingStatus.HELD, "Went well", "Room 4")
    with pytest.raises(RelationshipStateConflict):
        meeting_update(meeting=meeting, actor=acting(cast.ana), status=MeetingStatus.SCHEDULED, now=NOW + 9 * DAY)


def test_a_cancelled_meeting_stays_cancelled(cast: Cast, active: Relationship) -> None:
    meeting = meeting_schedule(relationship=active, actor=acting(cast.ana), starts_at=NOW + 7 * DAY, now=NOW)
    meeting_update(meeting=meeting, actor=acting(cast.vp_sales), status=MeetingStatus.CANCELLED, now=NOW)
    with pytest.raises(RelationshipStateConflict) as caught:
        meeting_update(meeting=meeting, actor=acting(cast.vp_sales), status=MeetingStatus.HELD, now=NOW + 8 * DAY)
    assert code_of(caught) == "meeting_status_not_allowed"


def test_scheduling_is_for_the_future(cast: Cast, active: Relationship) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        meeting_schedule(relationship=active, actor=acting(cast.ana), starts_at=NOW, now=NOW)
    assert code_of(caught) == "scheduled_in_past"


def test_private_notes_are_one_per_author_and_can_be_removed(cast: Cast, active: Relationship) -> None:
    meeting = meeting_log(relationship=active, actor=acting(cast.ana), starts_at=NOW + DAY, now=NOW + DAY)
    private_note_set(meeting=meeting, actor=acting(cast.ana), text="First thought")
    private_note_set(meeting=meeting, actor=acting(cast.ana), text="Second thought")
    private_note_set(meeting=meeting, actor=acting(cast.vp_sales), text="Vera's own")
    assert dict(PrivateNote.objects.values_list("author__name", "text")) == {
        "Ana Junior": "Second thought",
        "Vera Sales": "Vera's own",
    }
    assert private_note_set(meeting=meeting, actor=acting(cast.ana), text="") is None
    assert list(PrivateNote.objects.values_list("author__name", flat=True)) == ["Vera Sales"]
    with pytest.raises(NotPermitted):
        private_note_set(meeting=meeting, actor=acting(cast.ben), text="Snooping")


# --- knowledge and advocacy ----------------------------------------------------------------------


def test_knowledge_transfer_records_a_skill_moving(cast: Cast, active: Relationship) -> None:
    skill = SkillFactory(name="Data visualisation")
    entry = knowledge_transfer_record(
        relationship=active,
        actor=acting(cast.vp_sales),
        skill=skill,
        direction=Direction.MENTOR_TO_MENTEE,
        proficiency_before=1,
        proficiency_after=3,
        recorded_on=date(2027, 4, 1),
    )
    assert (entry.skill, entry.proficiency_before, entry.proficiency_after) == (skill, 1, 3)
    assert entry.recorded_by == cast.vp_sales
    for before, after in ((-1, 2), (1, 5)):
        with pytest.raises(RelationshipRuleBroken) as caught:
            knowledge_transfer_record(
                relationship=active,
                actor=acting(cast.ana),
                skill=skill,
                direction=Direction.MENTEE_TO_MENTOR,
                proficiency_before=before,
                proficiency_after=after,
            )
        assert code_of(caught) == "proficiency_out_of_range"
    with pytest.raises(RelationshipRuleBroken):
        knowledge_transfer_record(
            relationship=active,
            actor=acting(cast.ana),
            skill=skill,
            direction="sideways",
            proficiency_before=1,
            proficiency_after=2,
        )


def test_the_sponsor_records_advocacy_and_its_outcome(cast: Cast, sponsored: Relationship) -> None:
    action = advocacy_action_record(
        relationship=sponsored,
        actor=acting(cast.vp_sales),
        kind=AdvocacyKind.STRETCH_ASSIGNMENT,
        happened_on=date(2027, 3, 10),
        description="Put Ana forward to lead the pricing review",
    )
    assert (action.outcome, action.recorded_by) == (AdvocacyOutcome.PENDING, cast.vp_sales)
    relationship_end(relationship=sponsored, actor=acting(cast.ana), reason="Moved to Berlin", rematch=True, now=NOW)
    # Outcomes arrive late: the sponsor may still record one after the relationship ended.
    done = advocacy_action_set_outcome(
        action=action, actor=acting(cast.vp_sales), outcome=AdvocacyOutcome.SUCCEEDED, note="She led it"
    )
    assert (done.outcome, done.outcome_note) == (AdvocacyOutcome.SUCCEEDED, "She led it")


def test_an_outcome_note_past_the_limit_is_refused_and_nothing_is_stored(cast: Cast, sponsored: Relationship) -> None:
    action = advocacy_action_record(
        relationship=sponsored,
        actor=acting(cast.vp_sales),
        kind=AdvocacyKind.STRETCH_ASSIGNMENT,
        happened_on=date(2027, 3, 10),
        description="Put Ana forward to lead the pricing review",
    )
    with pytest.raises(RelationshipRuleBroken):
        advocacy_action_set_outcome(
            action=action,
            actor=acting(cast.vp_sales),
            outcome=AdvocacyOutcome.SUCCEEDED,
            note="x" * (OUTCOME_NOTE_MAX_LENGTH + 1),
        )
    action.refresh_from_db()
    assert (action.outcome, action.outcome_note) == (AdvocacyOutcome.PENDING, "")
    # Exactly the limit is kept, and an empty note is no note.
    sponsor, succeeded, failed = acting(cast.vp_sales), AdvocacyOutcome.SUCCEEDED, AdvocacyOutcome.DID_NOT_SUCCEED
    longest = "y" * OUTCOME_NOTE_MAX_LENGTH
    done = advocacy_action_set_outcome(action=action, actor=sponsor, outcome=succeeded, note=longest)
    assert len(done.outcome_note) == OUTCOME_NOTE_MAX_LENGTH
    cleared = advocacy_action_set_outcome(action=action, actor=sponsor, outcome=failed, note="  ")
    assert (cleared.outcome, cleared.outcome_note) == (AdvocacyOutcome.DID_NOT_SUCCEED, "")


def test_only_the_sponsor_records_advocacy(cast: Cast, sponsored: Relationship) -> None:
    with pytest.raises(RelationshipForbidden) as caught:
        advocacy_action_record(
            relationship=sponsored,
            actor=acting(cast.ana),
            kind=AdvocacyKind.VISIBILITY,
            happened_on=date(2027, 3, 10),
            description="I showcased myself",
        )
    assert code_of(caught) == "sponsor_only"


def test_advocacy_belongs_to_sponsorship(cast: Cast, active: Relationship) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        advocacy_action_record(
            relationship=active,
            actor=acting(cast.ana),
            kind=AdvocacyKind.INTRODUCTION,
            happened_on=date(2027, 3, 10),
            description="Introduced Vera to the dev team",
        )
    assert code_of(caught) == "not_sponsorship"


def test_advocacy_needs_a_known_kind_and_a_description(cast: Cast, sponsored: Relationship) -> None:
    for kind, description, code in (("bribe", "x", "unknown_kind"), (AdvocacyKind.OTHER, "  ", "description_required")):
        with pytest.raises(RelationshipRuleBroken) as caught:
            advocacy_action_record(
                relationship=sponsored,
                actor=acting(cast.vp_sales),
                kind=kind,
                happened_on=NOW.date(),
                description=description,
            )
        assert code_of(caught) == code


# --- check-ins -----------------------------------------------------------------------------------


def test_the_fit_check_opens_after_the_first_meeting(cast: Cast, active: Relationship) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        check_in_submit(
            relationship=active, actor=acting(cast.ana), point=CheckInPoint.FIT, now=NOW + DAY, **GOOD_SCORES
        )
    assert code_of(caught) == "check_in_not_open"
    meeting_log(relationship=active, actor=acting(cast.ana), starts_at=NOW + DAY, now=NOW + DAY)
    check_in = check_in_submit(
        relationship=active,
        actor=acting(cast.ana),
        point=CheckInPoint.FIT,
        comment="Good start",
        now=NOW + DAY,
        **GOOD_SCORES,
    )
    assert (check_in.satisfaction, check_in.psychological_safety, check_in.progress) == (4, 5, 3)
    with pytest.raises(RelationshipRuleBroken) as caught:
        check_in_submit(
            relationship=active, actor=acting(cast.ana), point=CheckInPoint.FIT, now=NOW + DAY, **GOOD_SCORES
        )
    assert code_of(caught) == "already_submitted"
    # The partner answers for themselves.
    check_in_submit(
        relationship=active, actor=acting(cast.vp_sales), point=CheckInPoint.FIT, now=NOW + DAY, **GOOD_SCORES
    )


def test_midpoint_and_end_open_by_the_calendar(cast: Cast, active: Relationship) -> None:
    # Started 1 March 2027, six months: the mid-point is 1 June, the end 1 September (its window from 18 August).
    for point, closed_at, open_at in (
        (CheckInPoint.MIDPOINT, NOW + 85 * DAY, NOW + 92 * DAY),
        (CheckInPoint.END, NOW + 169 * DAY, NOW + 170 * DAY),
    ):
        with pytest.raises(RelationshipRuleBroken) as caught:
            check_in_submit(relationship=active, actor=acting(cast.vp_sales), point=point, now=closed_at, **GOOD_SCORES)
        assert code_of(caught) == "check_in_not_open"
        assert check_in_submit(
            relationship=active, actor=acting(cast.vp_sales), point=point, now=open_at, **GOOD_SCORES
        )


def test_a_programme_can_switch_check_in_points_off(cast: Cast, reverse_mentoring, active: Relationship) -> None:
    reverse_mentoring.checkin_at_midpoint = False
    reverse_mentoring.save()
    with pytest.raises(RelationshipRuleBroken) as caught:
        check_in_submit(
            relationship=active, actor=acting(cast.ana), point=CheckInPoint.MIDPOINT, now=NOW + 120 * DAY, **GOOD_SCORES
        )
    assert code_of(caught) == "check_in_disabled"


@pytest.mark.parametrize("field", ["satisfaction", "psychological_safety", "progress"])
@pytest.mark.parametrize("value", [0, 6])
def test_scores_run_from_one_to_five(cast: Cast, active: Relationship, field: str, value: int) -> None:
    meeting_log(relationship=active, actor=acting(cast.ana), starts_at=NOW + DAY, now=NOW + DAY)
    with pytest.raises(RelationshipRuleBroken) as caught:
        check_in_submit(
            relationship=active,
            actor=acting(cast.ana),
            point=CheckInPoint.FIT,
            now=NOW + DAY,
            **{**GOOD_SCORES, field: value},
        )
    assert code_of(caught) == "score_out_of_range"


def test_the_closing_survey_follows_completion(cast: Cast, active: Relationship) -> None:
    with pytest.raises(RelationshipStateConflict) as caught:
        check_in_submit(relationship=active, actor=acting(cast.ana), point=CheckInPoint.CLOSING, now=NOW, **GOOD_SCORES)
    assert code_of(caught) == "not_completed"
    with pytest.raises(RelationshipRuleBroken) as caught:
        check_in_submit(
            relationship=active,
            actor=acting(cast.ana),
            point=CheckInPoint.END,
            would_recommend=True,
            now=NOW + 180 * DAY,
            **GOOD_SCORES,
        )
    assert code_of(caught) == "closing_only"
    relationship_complete(relationship=active, actor=acting(cast.ana), now=NOW + 184 * DAY)
    survey = check_in_submit(
        relationship=active,
        actor=acting(cast.ana),
        point=CheckInPoint.CLOSING,
        would_recommend=True,
        now=NOW + 185 * DAY,
        **GOOD_SCORES,
    )
    assert survey.would_recommend is True
    with pytest.raises(RelationshipStateConflict) as caught:
        check_in_submit(
            relationship=active, actor=acting(cast.ana), point=CheckInPoint.END, now=NOW + 185 * DAY, **GOOD_SCORES
        )
    assert code_of(caught) == "not_active"


def test_outsiders_do_not_check_in(cast: Cast, active: Relationship) -> None:
    with pytest.raises(NotPermitted):
        check_in_submit(relationship=active, actor=acting(cast.ben), point=CheckInPoint.FIT, now=NOW, **GOOD_SCORES)


# --- concerns ------------------------------------------------------------------------------------


def test_a_concern_reaches_the_programme_managers_who_handle_it(cast: Cast, active: Relationship) -> None:
    concern = concern_raise(
        relationship=active, actor=acting(cast.ana), text="  Vera keeps cancelling at short notice "
    )
    assert (concern.text, concern.status, concern.raised_by) == (
        "Vera keeps cancelling at short notice",
        ConcernStatus.OPEN,
        cast.ana,
    )
    seen = concern_update(concern=concern, actor=cast.programme_manager, status=ConcernStatus.ACKNOWLEDGED)
    assert (seen.status, seen.handled_by) == (ConcernStatus.ACKNOWLEDGED, cast.programme_manager)
    with pytest.raises(RelationshipRuleBroken) as caught:
        concern_update(concern=concern, actor=cast.admin, status=ConcernStatus.RESOLVED)
    assert code_of(caught) == "resolution_required"
    done = concern_update(concern=concern, actor=cast.admin, status=ConcernStatus.RESOLVED, resolution="Talked to both")
    assert (done.status, done.resolution, done.handled_by) == (ConcernStatus.RESOLVED, "Talked to both", cast.admin)


def test_only_the_programme_s_managers_handle_its_concerns(cast: Cast, active: Relationship) -> None:
    concern = concern_raise(relationship=active, actor=acting(cast.ana), text="Uneasy")
    other_manager = UserFactory(username="pm-elsewhere", is_programme_manager=True)
    for user in (other_manager, cast.vp_sales_user, cast.ana_user, cast.executive):
        with pytest.raises(NotPermitted):
            concern_update(concern=concern, actor=user, status=ConcernStatus.RESOLVED, resolution="Closed by me")
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.OPEN


def test_concerns_need_words_and_a_pair_member(cast: Cast, active: Relationship) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        concern_raise(relationship=active, actor=acting(cast.ana), text=" ")
    assert code_of(caught) == "text_required"
    with pytest.raises(NotPermitted):
        concern_raise(relationship=active, actor=acting(cast.ben), text="About them")


# --- ending early and completing -----------------------------------------------------------------


def enrolment_statuses(relationship: Relationship) -> tuple[str, str]:
    mentor = Enrolment.objects.get(pk=relationship.mentor_enrolment_id)
    mentee = Enrolment.objects.get(pk=relationship.mentee_enrolment_id)
    return mentor.status, mentee.status


def test_ending_early_with_a_re_match_keeps_both_in_the_pool(cast: Cast, active: Relationship) -> None:
    ended = relationship_end(
        relationship=active, actor=acting(cast.vp_sales), reason=" New role abroad ", rematch=True, now=NOW + 30 * DAY
    )
    assert (ended.state, ended.end_reason, ended.ended_by, ended.rematch_requested) == (
        RelationshipState.ENDED_EARLY,
        "New role abroad",
        cast.vp_sales,
        True,
    )
    assert ended.ended_at == NOW + 30 * DAY
    assert Enrolment.objects.get(pk=active.mentor_enrolment_id).seats_taken == 0
    assert enrolment_statuses(active) == (EnrolmentStatus.ACTIVE, EnrolmentStatus.ACTIVE)


def test_ending_early_without_a_re_match_takes_both_out_of_the_pool(cast: Cast, active: Relationship) -> None:
    relationship_end(relationship=active, actor=acting(cast.ana), reason="Not working out", now=NOW + 30 * DAY)
    assert enrolment_statuses(active) == (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.WITHDRAWN)


def test_a_sponsor_with_other_proteges_stays_when_one_ends(cast: Cast, sponsorship, sponsored: Relationship) -> None:
    other = pair_up(sponsorship, cast.vp_sales, PersonFactory(level=3, department="Legal", high_potential=True))
    relationship_end(relationship=sponsored, actor=acting(cast.ana), reason="Left for a startup", now=NOW + DAY)
    assert enrolment_statuses(sponsored) == (EnrolmentStatus.ACTIVE, EnrolmentStatus.WITHDRAWN)
    assert Enrolment.objects.get(pk=other.mentor_enrolment_id).seats_taken == 1


def test_a_programme_manager_may_end_a_relationship(cast: Cast, active: Relationship) -> None:
    ended = relationship_end(
        relationship=active, actor=acting(cast.programme_manager), reason="Concern upheld", rematch=True, now=NOW
    )
    assert ended.state == RelationshipState.ENDED_EARLY
    assert ended.ended_by is None  # the manager has no directory entry; the reason says why


def test_ending_needs_a_reason_and_a_right_to_end(cast: Cast, active: Relationship) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        relationship_end(relationship=active, actor=acting(cast.ana), reason="   ", now=NOW)
    assert code_of(caught) == "reason_required"
    for outsider in (cast.ben, cast.outsider, UserFactory(username="pm2", is_programme_manager=True)):
        with pytest.raises(NotPermitted):
            relationship_end(relationship=active, actor=acting(outsider), reason="Because", now=NOW)
    active.refresh_from_db()
    assert active.state == RelationshipState.ACTIVE


def test_a_pair_member_s_account_acts_as_them(cast: Cast, active: Relationship) -> None:
    ended = relationship_end(relationship=active, actor=acting(cast.ana_user), reason="Workload", now=NOW)
    assert ended.ended_by == cast.ana


def test_completion_comes_at_the_end(cast: Cast, active: Relationship) -> None:
    with pytest.raises(RelationshipRuleBroken) as caught:
        relationship_complete(relationship=active, actor=acting(cast.ana), now=NOW + 100 * DAY)
    assert code_of(caught) == "too_early"
    done = relationship_complete(relationship=active, actor=acting(cast.programme_manager), now=NOW + 175 * DAY)
    assert (done.state, done.ended_at) == (RelationshipState.COMPLETED, NOW + 175 * DAY)
    assert Enrolment.objects.get(pk=active.mentor_enrolment_id).seats_taken == 0


def test_the_programme_s_cohort_window_can_bring_the_end_forward(
    cast: Cast, reverse_mentoring, active: Relationship
) -> None:
    reverse_mentoring.starts_on, reverse_mentoring.ends_on = date(2027, 3, 1), date(2027, 5, 31)
    reverse_mentoring.save()
    done = relationship_complete(relationship=active, actor=acting(cast.ana), now=NOW + 90 * DAY)
    assert done.state == RelationshipState.COMPLETED
