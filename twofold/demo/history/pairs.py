"""Six months in the life of each demo pair.

Answers and agreements, meetings with shared and private notes, skills passed on, advocacy actions
and their outcomes, check-ins, a few concerns, pairs that fade or end early, and completions.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from twofold.demo.history.recording import OPERATOR, DemoHistory, at, fresh_skills, weekday
from twofold.people.models import PersonSkill, Skill, SkillCategory
from twofold.programmes.models import Programme, ProgrammeKind
from twofold.relationships import services as life
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.models import (
    AdvocacyKind,
    AdvocacyOutcome,
    CheckInPoint,
    Direction,
    Relationship,
    RelationshipState,
)
from twofold.relationships.selectors import relationship_planned_end

MEETING_NOTES = (
    "Walked through {skill} on a real example from {dept}; agreed a small experiment before next time.",
    "Reviewed last session's homework on {skill}. Questions about where it fits in the team's week.",
    "Hands-on: set up {skill} together and tried it on a live task. Next: share results with the team.",
    "Talked about how younger colleagues use {skill} and what leaders miss when they do not.",
    "Short check-in; {skill} practice went well. Picked the next topic together.",
)
PRIVATE_NOTES = (
    "Felt more relaxed this time; easier to push back.",
    "Need to prepare better examples for next session.",
    "Surprised how much I did not know about this.",
    "Would like to bring this up with my own manager.",
)
SPONSOR_NOTES = (
    "Career conversation: where {name} wants to be in two years and who should know about it.",
    "Prepared {name} for the leadership offsite; discussed the audience and the story.",
    "Reviewed the stretch assignment so far; agreed what success looks like.",
    "Talked through the promotion case and the gaps to close before the next cycle.",
)
ADVOCACY = (
    (AdvocacyKind.STRETCH_ASSIGNMENT, "Put {name} forward to lead the {dept} pricing review."),
    (AdvocacyKind.INTRODUCTION, "Introduced {name} to two business-unit heads over lunch."),
    (AdvocacyKind.VISIBILITY, "Had {name} present their project at the quarterly leadership meeting."),
    (AdvocacyKind.NOMINATION, "Nominated {name} for the company's emerging-leaders award."),
    (AdvocacyKind.PROMOTION_ADVOCACY, "Argued for {name}'s promotion in the talent review."),
    (AdvocacyKind.SPEAKING, "Secured a speaking slot for {name} at the industry conference."),
    (AdvocacyKind.COMMITTEE, "Got {name} a seat on the diversity and inclusion steering committee."),
)
END_REASONS = (
    "New role with a heavy travel schedule; we cannot keep the cadence.",
    "Our goals turned out too different; we agreed to stop and try other partners.",
    "Parental leave from next month.",
)
CONCERNS = (
    "I find it hard to disagree in our sessions; my mentee's team reports into my director.",
    "We have missed three meetings in a row and I do not know how to raise it.",
)


def live(
    programme: Programme,
    rng: random.Random,
    start: date,
    as_of: date,
    history: DemoHistory,
    *,
    demo_pair: tuple[int, int],
) -> None:
    """Answers, agreements, meetings, transfers, advocacy, check-ins, endings: six months of a programme."""
    relationships = list(
        Relationship.objects.filter(programme=programme, state=RelationshipState.PROPOSED)
        .select_related("mentor", "mentee", "programme")
        .order_by("pk")
    )
    history.relationships += len(relationships)
    held, skills = fresh_skills([r.mentor_id for r in relationships] + [r.mentee_id for r in relationships])
    end_of_history = at(as_of, 8)
    for relationship in relationships:
        is_demo_pair = (relationship.mentor_id, relationship.mentee_id) == demo_pair
        answered = relationship.proposed_at + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 6))
        declines = not is_demo_pair and rng.random() < 0.03
        life.relationship_answer(
            actor=OPERATOR, relationship=relationship, person=relationship.mentee, accept=not declines, now=answered
        )
        if declines:
            continue
        relationship.refresh_from_db()
        if relationship.state == RelationshipState.PROPOSED:
            life.relationship_answer(
                actor=OPERATOR, relationship=relationship, person=relationship.mentor, accept=True, now=answered
            )
            relationship.refresh_from_db()
        for person in (relationship.mentor, relationship.mentee):
            if programme.kind == ProgrammeKind.REVERSE_MENTORING:
                life.agreement_accept(
                    actor=OPERATOR, relationship=relationship, person=person, now=answered + timedelta(hours=2)
                )
        meetings_and_more(relationship, rng, held, skills, answered, end_of_history, history, is_demo_pair)


def meetings_and_more(
    relationship: Relationship,
    rng: random.Random,
    held: dict[int, dict[int, PersonSkill]],
    skills: dict[int, Skill],
    started: datetime,
    end: datetime,
    history: DemoHistory,
    is_demo_pair: bool,
) -> None:
    programme = relationship.programme
    sponsorship = programme.kind == ProgrammeKind.SPONSORSHIP
    cadence = programme.cadence_days
    mentor, mentee = relationship.mentor, relationship.mentee
    teachable = [
        skill_id
        for skill_id, row in held.get(mentor.pk, {}).items()
        if row.can_teach
        and held.get(mentee.pk, {}).get(skill_id, None) is not None
        and held[mentee.pk][skill_id].wants_to_learn
    ] or [skill_id for skill_id, row in held.get(mentor.pk, {}).items() if row.can_teach]
    fate = "demo" if is_demo_pair else rng.choices(["steady", "fading", "ends_early", "completes"], [70, 12, 6, 12])[0]
    stop_at = end
    if fate == "fading":
        stop_at = started + timedelta(days=rng.randint(45, 90))
    elif fate == "ends_early":
        stop_at = started + timedelta(days=rng.randint(60, 140))
    moment = started + timedelta(days=rng.randint(4, 9))
    meetings = 0
    first_meeting: datetime | None = None
    while moment < stop_at:
        day = weekday(moment.date())
        starts_at = at(day, rng.choice((9, 10, 11, 13, 14, 15, 16)), rng.choice((0, 30)))
        if starts_at >= end:
            break
        skill_id = rng.choice(teachable) if teachable else None
        skill = skills.get(skill_id) if skill_id else None
        note = (
            rng.choice(SPONSOR_NOTES).format(name=mentee.name.split()[0])
            if sponsorship
            else rng.choice(MEETING_NOTES).format(skill=skill.name if skill else "new tools", dept=mentee.department)
        )
        author = rng.choice((mentor, mentee))
        life.meeting_log(
            actor=OPERATOR,
            relationship=relationship,
            person=author,
            starts_at=starts_at,
            duration_minutes=rng.choice((30, 45, 45, 60)),
            skills=[skill] if skill and not sponsorship else [],
            shared_note=note,
            private_note=rng.choice(PRIVATE_NOTES) if rng.random() < 0.3 else "",
            location=rng.choice(("Video call", "Video call", "Office, 4th floor", "Coffee bar")),
            now=starts_at + timedelta(hours=2),
        )
        meetings += 1
        history.meetings += 1
        first_meeting = first_meeting or starts_at
        if not sponsorship and skill is not None and meetings % 2 == 0 and rng.random() < 0.7:
            before = held[mentee.pk][skill.pk].proficiency if skill.pk in held.get(mentee.pk, {}) else 0
            life.knowledge_transfer_record(
                actor=OPERATOR,
                relationship=relationship,
                person=mentee,
                skill=skill,
                direction=Direction.MENTOR_TO_MENTEE,
                proficiency_before=before,
                proficiency_after=min(4, before + rng.choice((1, 1, 2))),
                note="Practised on my own work since; confident enough to use it with my team.",
                recorded_on=day,
            )
            history.knowledge_transfers += 1
        if not sponsorship and meetings == 5 and rng.random() < 0.35:
            leadership = [
                skill_id
                for skill_id, row in held.get(mentee.pk, {}).items()
                if row.can_teach and skills[skill_id].category in (SkillCategory.LEADERSHIP, SkillCategory.BUSINESS)
            ]
            if leadership:
                taught = skills[rng.choice(leadership)]
                before = held[mentor.pk][taught.pk].proficiency if taught.pk in held.get(mentor.pk, {}) else 0
                life.knowledge_transfer_record(
                    actor=OPERATOR,
                    relationship=relationship,
                    person=mentor,
                    skill=taught,
                    direction=Direction.MENTEE_TO_MENTOR,
                    proficiency_before=before,
                    proficiency_after=min(4, before + 1),
                    note="Learnt a lot from how my mentee handles a board discussion.",
                    recorded_on=day,
                )
                history.knowledge_transfers += 1
        if sponsorship and meetings % 2 == 1:
            kind, text = rng.choice(ADVOCACY)
            action = life.advocacy_action_record(
                actor=OPERATOR,
                relationship=relationship,
                person=mentor,
                kind=kind,
                happened_on=day,
                description=text.format(name=mentee.name.split()[0], dept=mentee.department),
            )
            history.advocacy_actions += 1
            if (end.date() - day).days > 45:
                outcome = rng.choices(
                    [AdvocacyOutcome.SUCCEEDED, AdvocacyOutcome.DID_NOT_SUCCEED, AdvocacyOutcome.PENDING], [6, 2, 2]
                )[0]
                life.advocacy_action_set_outcome(actor=OPERATOR, action=action, person=mentor, outcome=outcome)
        if meetings == 1:
            _check_ins(relationship, rng, CheckInPoint.FIT, starts_at + timedelta(days=1), fate)
            history.check_ins += 2
        moment = starts_at + timedelta(days=cadence + rng.randint(-3, 4))
    _check_ins(relationship, rng, CheckInPoint.MIDPOINT, None, fate, history=history, before=stop_at)
    if fate == "ends_early" and first_meeting is not None:
        life.relationship_end(
            actor=OPERATOR,
            relationship=relationship,
            person=rng.choice((mentor, mentee)),
            reason=rng.choice(END_REASONS),
            rematch=rng.random() < 0.5,
            now=stop_at,
        )
    elif fate == "fading" and not sponsorship and rng.random() < 0.4:
        life.concern_raise(actor=OPERATOR, relationship=relationship, person=mentor, text=rng.choice(CONCERNS))
    elif fate in ("completes", "demo") and not sponsorship:
        relationship.refresh_from_db()
        planned = relationship_planned_end(relationship)
        if fate == "completes" and planned is not None and planned - timedelta(days=14) <= end:
            completed_at = max(planned - timedelta(days=10), end - timedelta(days=3))
            life.relationship_complete(actor=OPERATOR, relationship=relationship, person=mentee, now=completed_at)
            for person in (mentor, mentee):
                life.check_in_submit(
                    actor=OPERATOR,
                    relationship=relationship,
                    person=person,
                    point=CheckInPoint.CLOSING,
                    satisfaction=rng.choice((4, 5, 5)),
                    psychological_safety=rng.choice((4, 5)),
                    progress=rng.choice((3, 4, 5)),
                    comment="Worth every hour. I would do it again.",
                    would_recommend=True,
                    now=completed_at + timedelta(days=1),
                )
                history.check_ins += 1
    if fate in ("steady", "demo"):
        relationship.refresh_from_db()
        if relationship.state == RelationshipState.ACTIVE:
            upcoming = at(weekday(end.date() + timedelta(days=rng.randint(2, 9))), rng.choice((10, 14, 16)))
            life.meeting_schedule(
                actor=OPERATOR,
                relationship=relationship,
                person=mentor,
                starts_at=upcoming,
                location="Video call",
                now=end,
            )


def _check_ins(
    relationship: Relationship,
    rng: random.Random,
    point: str,
    when: datetime | None,
    fate: str,
    *,
    history: DemoHistory | None = None,
    before: datetime | None = None,
) -> None:
    relationship.refresh_from_db()
    if relationship.state != RelationshipState.ACTIVE or relationship.started_at is None:
        return
    if when is None:
        planned = relationship_planned_end(relationship)
        assert planned is not None
        when = relationship.started_at + (planned - relationship.started_at) / 2 + timedelta(days=rng.randint(1, 8))
        if before is not None and when >= before:
            return
    low = fate == "fading"
    for person in (relationship.mentor, relationship.mentee):
        junior_side = (person.pk == relationship.mentor_id) != (
            relationship.programme.kind == ProgrammeKind.SPONSORSHIP
        )
        try:
            life.check_in_submit(
                actor=OPERATOR,
                relationship=relationship,
                person=person,
                point=point,
                satisfaction=rng.choice((2, 3)) if low else rng.choice((4, 4, 5, 5, 3)),
                psychological_safety=rng.choice((2, 3, 3))
                if low
                else rng.choice((3, 4, 4, 5, 5) if junior_side else (4, 5, 5)),
                progress=rng.choice((2, 3)) if low else rng.choice((3, 4, 4, 5)),
                comment="" if rng.random() < 0.6 else "Good rhythm; I look forward to our sessions.",
                now=when,
            )
        except RelationshipRuleBroken:
            continue
        if history is not None:
            history.check_ins += 1
