"""Reads: what each of the pair sees (never the partner's private notes, never a concern), what the
programme managers see, and the same number of queries whatever the amount of data."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import Cast
from tests.factories import (
    MeetingFactory,
    PersonFactory,
    ProgrammeFactory,
    RelationshipFactory,
    SkillFactory,
    UserFactory,
    acting,
)
from tests.relationships.pairing import DAY, NOW, pair_up
from twofold.programmes.models import ProgrammeState
from twofold.relationships.models import (
    Agreement,
    CheckIn,
    CheckInPoint,
    Concern,
    ConcernStatus,
    Direction,
    MeetingStatus,
    PrivateNote,
    Relationship,
    RelationshipState,
)
from twofold.relationships.selectors import (
    concerns_for_managers,
    concerns_raised_by,
    programme_health,
    relationship_page,
    relationships_meeting_clock,
    relationships_of_person,
)
from twofold.relationships.services import (
    RelationshipForbidden,
    advocacy_action_record,
    check_in_submit,
    concern_raise,
    knowledge_transfer_record,
    meeting_log,
    private_note_set,
)

SCORES = {"satisfaction": 4, "psychological_safety": 5, "progress": 3}


# --- a person's relationships --------------------------------------------------------------------


def test_a_person_sees_each_relationship_from_their_side(
    cast: Cast, active: Relationship, sponsored: Relationship
) -> None:
    rows = {row.relationship.pk: row for row in relationships_of_person(person=cast.ana)}
    assert set(rows) == {active.pk, sponsored.pk}
    as_mentor, as_protege = rows[active.pk], rows[sponsored.pk]
    assert (as_mentor.role, as_mentor.role_label, as_mentor.partner) == ("mentor", "mentor", cast.vp_sales)
    assert (as_protege.role, as_protege.role_label, as_protege.partner) == ("mentee", "protégé", cast.vp_sales)
    assert as_mentor.agreement == Agreement.objects.get(relationship=active)
    assert as_mentor.programme.name == "Digital fluency"
    assert relationships_of_person(person=cast.ben) == []


def test_a_proposal_has_no_agreement_yet_and_states_can_be_filtered(cast: Cast, proposed: Relationship) -> None:
    (row,) = relationships_of_person(person=cast.vp_sales)
    assert row.agreement is None
    assert relationships_of_person(person=cast.vp_sales, states=[RelationshipState.ACTIVE]) == []


@pytest.mark.parametrize("count", [1, 30])
def test_a_person_s_relationships_take_one_query(db, django_assert_max_num_queries, count: int) -> None:  # type: ignore[no-untyped-def]
    mentor = PersonFactory(level=2)
    programmes = [ProgrammeFactory() for _ in range(count)]
    for programme in programmes:
        RelationshipFactory(
            programme=programme, mentor_enrolment__person=mentor, state=RelationshipState.ACTIVE, proposed_at=NOW
        )
    with django_assert_max_num_queries(1):
        rows = relationships_of_person(person=mentor)
        assert all(row.partner.name and row.programme.name and row.agreement for row in rows)
        # Everything "My programmes", its progress table and the API read of a row, in that one query.
        for row in rows:
            pair = row.relationship
            assert pair.pk and pair.programme_id and pair.mentor_id and pair.mentee_id and row.partner.pk
            assert pair.get_state_display() and row.programme.get_kind_display() and row.programme.acceptance
            assert pair.proposed_at and pair.started_at and pair.ended_at is None
            assert pair.expires_at and pair.meetings_held == 0
            assert row.agreement.cadence_days and row.agreement.goals is not None
    assert len(rows) == count


# --- one relationship's page ---------------------------------------------------------------------


def test_each_sees_only_their_own_private_note(cast: Cast, active: Relationship) -> None:
    meeting = meeting_log(
        relationship=active,
        actor=acting(cast.ana),
        starts_at=NOW + DAY,
        shared_note="We tried the new BI tool",
        private_note="ANA-PRIVATE: I felt talked over",
        now=NOW + DAY,
    )
    private_note_set(meeting=meeting, actor=acting(cast.vp_sales), text="VERA-PRIVATE: she is ready for more")

    for viewer, own, other in (
        (cast.ana, "ANA-PRIVATE: I felt talked over", "VERA-PRIVATE"),
        (cast.vp_sales, "VERA-PRIVATE: she is ready for more", "ANA-PRIVATE"),
    ):
        page = relationship_page(relationship_id=active.pk, viewer=viewer, now=NOW + DAY)
        (seen,) = page.meetings
        assert seen.shared_note == "We tried the new BI tool"
        assert seen.own_private_note == own
        assert other not in repr(page)


def test_a_meeting_without_a_note_of_the_viewer_shows_none_even_if_the_partner_wrote_one(
    cast: Cast, active: Relationship
) -> None:
    meeting_log(
        relationship=active, actor=acting(cast.ana), starts_at=NOW + DAY, private_note="ANA-ONLY", now=NOW + DAY
    )
    (seen,) = relationship_page(relationship_id=active.pk, viewer=cast.vp_sales, now=NOW + DAY).meetings
    assert seen.own_private_note == ""
    assert PrivateNote.objects.filter(text="ANA-ONLY").exists()


def test_the_pair_s_page_never_carries_a_concern(cast: Cast, active: Relationship) -> None:
    concern_raise(relationship=active, actor=acting(cast.ana), text="CONCERN-TEXT: Vera belittles my ideas")
    for viewer in (cast.ana, cast.vp_sales):
        page = relationship_page(relationship_id=active.pk, viewer=viewer, now=NOW)
        assert "CONCERN-TEXT" not in repr(page)
        assert "CONCERN-TEXT" not in repr(relationships_of_person(person=viewer))


def test_outsiders_and_managers_do_not_read_the_pair_s_page(cast: Cast, active: Relationship) -> None:
    for outsider in (cast.ben, cast.vp_tech, cast.ceo):
        with pytest.raises(RelationshipForbidden):
            relationship_page(relationship_id=active.pk, viewer=outsider)


def test_the_page_shows_what_moved_and_the_viewer_s_check_ins(cast: Cast, sponsored: Relationship) -> None:
    skill = SkillFactory(name="Negotiation")
    knowledge_transfer_record(
        relationship=sponsored,
        actor=acting(cast.vp_sales),
        skill=skill,
        direction=Direction.MENTOR_TO_MENTEE,
        proficiency_before=1,
        proficiency_after=2,
    )
    advocacy_action_record(
        relationship=sponsored,
        actor=acting(cast.vp_sales),
        kind="introduction",
        happened_on=date(2027, 3, 5),
        description="Introduced Ana to the CFO",
    )
    page = relationship_page(relationship_id=sponsored.pk, viewer=cast.ana, now=NOW + DAY)
    assert [entry.skill.name for entry in page.knowledge_transfers] == ["Negotiation"]
    assert [action.description for action in page.advocacy_actions] == ["Introduced Ana to the CFO"]
    assert page.check_ins_due == [] and page.check_ins_done == []  # no meeting yet: no fit check

    meeting_log(relationship=sponsored, actor=acting(cast.ana), starts_at=NOW + DAY, now=NOW + DAY)
    page = relationship_page(relationship_id=sponsored.pk, viewer=cast.ana, now=NOW + DAY)
    assert page.check_ins_due == [CheckInPoint.FIT]

    check_in_submit(
        relationship=sponsored, actor=acting(cast.vp_sales), point=CheckInPoint.FIT, now=NOW + DAY, **SCORES
    )
    page = relationship_page(relationship_id=sponsored.pk, viewer=cast.ana, now=NOW + DAY)
    assert page.check_ins_due == [CheckInPoint.FIT]  # Vera's answer is hers, Ana still owes hers
    assert page.check_ins_done == []  # and Ana never sees Vera's answers
    check_in_submit(relationship=sponsored, actor=acting(cast.ana), point=CheckInPoint.FIT, now=NOW + DAY, **SCORES)
    page = relationship_page(relationship_id=sponsored.pk, viewer=cast.ana, now=NOW + 200 * DAY)
    assert [c.person_id for c in page.check_ins_done] == [cast.ana.pk]
    assert page.check_ins_due == [CheckInPoint.MIDPOINT]


@pytest.mark.parametrize("meetings", [1, 40])
def test_the_page_takes_the_same_queries_whatever_its_length(  # type: ignore[no-untyped-def]
    cast: Cast, sponsored: Relationship, django_assert_max_num_queries, meetings: int
) -> None:
    skills = [SkillFactory(name=f"Skill {n}") for n in range(3)]
    for n in range(meetings):
        meeting = MeetingFactory(relationship=sponsored, starts_at=NOW + n * DAY, created_by=cast.ana)
        meeting.skills.set(skills)
        PrivateNote.objects.create(meeting=meeting, author=cast.ana, text=f"Ana {n}")
        PrivateNote.objects.create(meeting=meeting, author=cast.vp_sales, text=f"Vera {n}")
        knowledge_transfer_record(
            relationship=sponsored,
            actor=acting(cast.ana),
            skill=skills[0],
            direction=Direction.MENTEE_TO_MENTOR,
            proficiency_before=0,
            proficiency_after=1,
        )
        advocacy_action_record(
            relationship=sponsored,
            actor=acting(cast.vp_sales),
            kind="visibility",
            happened_on=NOW.date(),
            description="x",
        )
    with django_assert_max_num_queries(8):  # the seven of the log, and the managers' log
        page = relationship_page(relationship_id=sponsored.pk, viewer=cast.ana, now=NOW + 60 * DAY)
    assert len(page.meetings) == meetings
    assert {m.own_private_note for m in page.meetings} == {f"Ana {n}" for n in range(meetings)}
    assert all(len(m.skills) == 3 for m in page.meetings)


# --- programme health ----------------------------------------------------------------------------


def active_since(programme, days_ago: int, *, cadence: int | None = None) -> Relationship:  # type: ignore[no-untyped-def]
    relationship = RelationshipFactory(
        programme=programme, state=RelationshipState.ACTIVE, proposed_at=NOW - days_ago * DAY
    )
    if cadence is not None:
        Agreement.objects.filter(relationship=relationship).update(cadence_days=cadence)
    return relationship


def held(relationship: Relationship, days_ago: int, status: str = MeetingStatus.HELD) -> None:
    MeetingFactory(relationship=relationship, starts_at=NOW - days_ago * DAY, status=status)


def test_programme_health_counts_pairs_meetings_check_ins_and_concerns(cast: Cast) -> None:
    programme = ProgrammeFactory(state=ProgrammeState.RUNNING, cadence_days=14)
    on_track = active_since(programme, 60)
    held(on_track, 5)
    held(on_track, 50)
    overdue = active_since(programme, 60)
    held(overdue, 20)
    idle = active_since(programme, 60)
    held(idle, 40)
    held(idle, -3, status=MeetingStatus.SCHEDULED)  # a plan is not a meeting
    never_met = active_since(programme, 40)
    slow_by_agreement = active_since(programme, 60, cadence=30)
    held(slow_by_agreement, 20)
    just_started = active_since(programme, 3)
    RelationshipFactory(programme=programme, state=RelationshipState.PROPOSED)
    RelationshipFactory(programme=programme, state=RelationshipState.DECLINED)
    RelationshipFactory(programme=programme, state=RelationshipState.COMPLETED)
    RelationshipFactory(state=RelationshipState.ACTIVE)  # another programme's

    for relationship, scores in ((on_track, (5, 5, 4)), (overdue, (3, 2, 2))):
        for person in (relationship.mentor, relationship.mentee):
            CheckIn.objects.create(
                relationship=relationship,
                person=person,
                point=CheckInPoint.FIT,
                satisfaction=scores[0],
                psychological_safety=scores[1],
                progress=scores[2],
                submitted_at=NOW,
            )
    CheckIn.objects.create(
        relationship=on_track,
        person=on_track.mentee,
        point=CheckInPoint.MIDPOINT,
        satisfaction=1,
        psychological_safety=1,
        progress=1,
        submitted_at=NOW,
    )
    Concern.objects.create(relationship=overdue, raised_by=overdue.mentor, text="a")
    Concern.objects.create(relationship=idle, raised_by=idle.mentee, text="b", status=ConcernStatus.ACKNOWLEDGED)
    Concern.objects.create(relationship=idle, raised_by=idle.mentor, text="c", status=ConcernStatus.RESOLVED)

    health = programme_health(programme=programme, now=NOW)
    assert health.pairs_by_state == {
        "proposed": 1,
        "active": 6,
        "completed": 1,
        "ended_early": 0,
        "declined": 1,
        "expired": 0,
        "withdrawn": 0,
    }
    assert health.active == 6
    assert (health.overdue_meetings, health.idle) == (3, 2)  # overdue, idle, never_met; idle and never_met
    assert health.check_ins == 5
    # Five answers, but no five from one point and side: an average of them would move with each
    # new answer, so none is shown, overall or per point.
    assert [mean.shown for mean in health.scores.overall.values()] == [False, False, False]
    assert set(health.scores.by_point) == {CheckInPoint.FIT, CheckInPoint.MIDPOINT}
    assert not any(mean.shown for point in health.scores.by_point.values() for mean in point.values())
    assert health.open_concerns == 2

    clock = {r.pk: (r.overdue, r.idle) for r in relationships_meeting_clock(programme=programme, now=NOW)}
    assert clock == {
        on_track.pk: (False, False),
        overdue.pk: (True, False),
        idle.pk: (True, True),
        never_met.pk: (True, True),
        slow_by_agreement.pk: (False, False),
        just_started.pk: (False, False),
    }


def test_an_empty_programme_is_healthy_and_says_so(db) -> None:
    health = programme_health(programme=ProgrammeFactory(), now=NOW)
    assert health.active == health.overdue_meetings == health.idle == health.check_ins == health.open_concerns == 0
    assert health.scores.overall == {} and health.scores.by_point == {}


def test_check_in_averages_count_whole_groups_of_five_answers_rounded_to_a_band(db) -> None:
    programme = ProgrammeFactory()
    pairs = [active_since(programme, 30) for _ in range(5)]
    for relationship, score in zip(pairs, (5, 5, 4, 4, 3), strict=True):
        CheckIn.objects.create(
            relationship=relationship,
            person=relationship.mentor,
            point=CheckInPoint.FIT,
            satisfaction=score,
            psychological_safety=score,
            progress=score,
            submitted_at=NOW,
        )
    for relationship in pairs[:4]:  # four mentees: not yet a group of five
        CheckIn.objects.create(
            relationship=relationship,
            person=relationship.mentee,
            point=CheckInPoint.FIT,
            satisfaction=1,
            psychological_safety=1,
            progress=1,
            submitted_at=NOW,
        )
    health = programme_health(programme=programme, now=NOW)
    satisfaction = health.scores.overall["satisfaction"]
    # The mentors' five add up to 21, published as the band 21–22: 4.2 to 4.4, shown as 4.3.
    assert (satisfaction.answers, satisfaction.counted) == (9, 5)
    assert (satisfaction.low, satisfaction.high, satisfaction.display) == (4.2, 4.4, "4.3")
    assert health.scores.by_point[CheckInPoint.FIT]["satisfaction"] == satisfaction


@pytest.mark.parametrize("pairs", [2, 40])
def test_programme_health_takes_four_queries_at_any_size(db, django_assert_max_num_queries, pairs: int) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory()
    for n in range(pairs):
        relationship = active_since(programme, 30 + n)
        held(relationship, n)
        held(relationship, n + 7)
        Concern.objects.create(relationship=relationship, raised_by=relationship.mentor, text="x")
        CheckIn.objects.create(
            relationship=relationship,
            person=relationship.mentor,
            point=CheckInPoint.FIT,
            satisfaction=4,
            psychological_safety=4,
            progress=4,
            submitted_at=NOW,
        )
    with django_assert_max_num_queries(4):
        health = programme_health(programme=programme, now=NOW)
    assert (health.active, health.open_concerns, health.check_ins) == (pairs, pairs, pairs)


# --- concerns reach the managers -----------------------------------------------------------------


def test_concerns_reach_the_programme_s_managers_and_admins_only(cast: Cast, active: Relationship) -> None:
    concern = concern_raise(relationship=active, actor=acting(cast.ana), text="Uneasy about feedback")
    elsewhere = UserFactory(username="pm-elsewhere", is_programme_manager=True)
    ProgrammeFactory(managers=[elsewhere])
    assert list(concerns_for_managers(cast.programme_manager)) == [concern]
    assert list(concerns_for_managers(cast.admin)) == [concern]
    for user in (elsewhere, cast.vp_sales_user, cast.ana_user, cast.executive, cast.outsider):
        assert list(concerns_for_managers(user)) == []


def test_the_author_follows_their_concern_and_the_partner_never_sees_it(cast: Cast, active: Relationship) -> None:
    concern = concern_raise(relationship=active, actor=acting(cast.ana), text="Uneasy about feedback")
    assert list(concerns_raised_by(person=cast.ana)) == [concern]
    assert list(concerns_raised_by(person=cast.vp_sales)) == []


@pytest.mark.parametrize("count", [1, 25])
def test_the_managers_concern_list_is_one_query(cast: Cast, django_assert_max_num_queries, count: int) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    for _ in range(count):
        relationship = pair_up(
            programme, PersonFactory(level=2, department="Ops"), PersonFactory(level=8, department="Legal")
        )
        concern_raise(relationship=relationship, actor=acting(relationship.mentor), text="x")
    with django_assert_max_num_queries(1):
        rows = [
            (c.relationship.programme.name, c.relationship.mentor.name, c.raised_by.name)
            for c in concerns_for_managers(cast.programme_manager)
        ]
    assert len(rows) == count
