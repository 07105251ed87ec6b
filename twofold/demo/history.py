"""Demo programmes with about six months of believable history, for ``twofold demo``.

One reverse-mentoring and one sponsorship programme, both running, matched by the engine, and
lived through the same services a real programme uses (with their clocks set back): answers and
agreements, meetings with shared and private notes, skills passed on, advocacy actions and their
outcomes, check-ins, a few concerns, pairs that faded or ended early, completions, nominations of
reverse mentors into sponsorship, and promotions, with one planted effect on protégés' careers (see
:func:`_promote`) and a planted bridge: reverse mentors nominated, enrolled in sponsorship,
sponsored and promoted, every step with enough people to be shown (see :func:`_nominate` and
:func:`_sponsor_nominees`). Deterministic for a given seed and date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.models import CareerEvent, CareerEventKind, Person, PersonSkill, Skill, SkillCategory
from twofold.people.services import career_event_record
from twofold.programmes.models import Enrolment, EnrolmentRole, Programme, ProgrammeKind, ProgrammeState
from twofold.programmes.services import (
    ProgrammeRuleBroken,
    enrolment_create,
    enrolment_respond,
    programme_create,
    programme_transition,
)
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

FRESH = (SkillCategory.DIGITAL, SkillCategory.TRENDS)
# The planted effect (see _promote): the chance of an extra promotion for a sponsored protégé.
PLANTED_PROMOTION_CHANCE = 0.35
# The planted bridge (see _nominate and _sponsor_nominees): reverse mentors their senior mentee
# nominates for sponsorship; of them, those who leave the invitation unanswered; of those who
# accept, those a sponsor takes on; and of the sponsored, those promoted since. Every step of the
# bridge then holds at least five people, so the insights show it rather than "not shown".
BRIDGE_NOMINEES = 24
BRIDGE_UNANSWERED = 6
BRIDGE_SPONSORED = 12
BRIDGE_PROMOTED = 7
# Sponsors who join for the nominees (three seats each), so that accepting never waitlists them.
BRIDGE_SPONSORS = 6
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


# Who records the demo's six months of history in the participants' names: the command line.
OPERATOR = CommandLineOperator()


@dataclass
class DemoHistory:
    programmes: list[Programme] = field(default_factory=list)
    relationships: int = 0
    meetings: int = 0
    knowledge_transfers: int = 0
    advocacy_actions: int = 0
    check_ins: int = 0
    nominations: int = 0
    promotions: int = 0


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _fresh_skills(person_ids: list[int]) -> tuple[dict[int, dict[int, PersonSkill]], dict[int, Skill]]:
    rows = PersonSkill.objects.filter(person_id__in=person_ids).select_related("skill")
    held: dict[int, dict[int, PersonSkill]] = {}
    skills: dict[int, Skill] = {}
    for row in rows:
        held.setdefault(row.person_id, {})[row.skill_id] = row
        skills[row.skill_id] = row.skill
    return held, skills


def demo_programmes_build(
    *,
    manager: Any,
    junior: Person,
    senior: Person,
    as_of: date | None = None,
    seed: int = 1,
    run_match: Any,
) -> DemoHistory:
    """Build both demo programmes. ``run_match(programme, created_by, now, locked)`` matches and publishes.

    The demo's junior and senior sign-ins are paired with each other in reverse mentoring (so the
    demo shows a pair from both sides), and the senior nominates the junior for sponsorship.
    """
    rng = random.Random(seed)
    as_of = as_of or timezone.localdate()
    start = _weekday(as_of - timedelta(days=182))
    history = DemoHistory()
    people = Person.objects.filter(active=True)

    # Reverse mentoring: juniors who can teach digital and trend skills, seniors who want them.
    rm = programme_create(
        name="Digital fluency for leaders",
        kind=ProgrammeKind.REVERSE_MENTORING,
        actor=manager,
        starts_on=start,
        description="Junior colleagues teach senior leaders the tools, trends and culture of work today.",
    )
    sp = programme_create(
        name="Rising leaders sponsorship",
        kind=ProgrammeKind.SPONSORSHIP,
        actor=manager,
        starts_on=start,
        description="Senior leaders advocate for high-potential colleagues: visibility, stretch work, introductions.",
    )
    history.programmes = [rm, sp]
    for programme in (rm, sp):
        programme_transition(actor=manager, programme=programme, to_state=ProgrammeState.ENROLLING)

    teachers = list(
        people.filter(
            level__lte=3, skills__can_teach=True, skills__skill__category__in=FRESH, skills__proficiency__gte=3
        )
        .exclude(pk=junior.pk)
        .distinct()
        .order_by("employee_id")
    )
    learners = list(
        people.filter(level__gte=6, skills__wants_to_learn=True, skills__skill__category__in=FRESH)
        .exclude(pk=senior.pk)
        .distinct()
        .order_by("employee_id")
    )
    mentees = [senior, *rng.sample(learners, k=min(len(learners), 70))]
    mentors = [junior, *rng.sample(teachers, k=min(len(teachers), 85))]
    for person in mentors:
        _enrol(rm, person, EnrolmentRole.MENTOR, rng)
    for person in mentees:
        _enrol(rm, person, EnrolmentRole.MENTEE, rng)

    sponsors = list(people.filter(level__gte=7).order_by("employee_id"))
    protégés = list(people.filter(high_potential=True, level__lte=6).order_by("employee_id"))
    for person in rng.sample(sponsors, k=min(len(sponsors), 30)):
        _enrol(sp, person, EnrolmentRole.MENTOR, rng)
    for person in rng.sample(protégés, k=min(len(protégés), 75)):
        _enrol(sp, person, EnrolmentRole.MENTEE, rng, aspiration=True)

    start_at = _at(start, 9)
    for programme in (rm, sp):
        programme_transition(actor=manager, programme=programme, to_state=ProgrammeState.MATCHING)
    # The demo pair is locked into the first run, so the two demo sign-ins meet from both sides.
    demo_pair = (rm.enrolments.get(person=junior).pk, rm.enrolments.get(person=senior).pk)
    run_match(rm, manager, start_at, [demo_pair])
    run_match(sp, manager, start_at, [])

    for programme in (rm, sp):
        _live(programme, rng, start, as_of, history, demo_pair=(junior.pk, senior.pk))

    _promote(sp, rng, start, as_of, history)
    accepted = _nominate(rm, sp, junior, senior, rng, history)
    _sponsor_nominees(sp, accepted, rng, start, as_of, history)
    return history


def _enrol(programme: Programme, person: Person, role: str, rng: random.Random, *, aspiration: bool = False) -> None:
    availability = 0
    for _ in range(rng.randint(2, 6)):
        availability |= 1 << rng.randrange(10)
    departments = ("Engineering", "Product", "Data & Analytics", "Sales", "Marketing", "Strategy", "Finance")
    goals = (
        "Share what my generation takes for granted, and learn how decisions get made at the top."
        if programme.kind == ProgrammeKind.REVERSE_MENTORING and role == EnrolmentRole.MENTOR
        else "Become fluent enough in today's tools to lead my team through the change."
        if programme.kind == ProgrammeKind.REVERSE_MENTORING
        else "Open doors for someone with the talent but not yet the network."
        if role == EnrolmentRole.MENTOR
        else "Get the visibility and stretch work to step into a leadership role."
    )
    enrolment_create(
        actor=OPERATOR,
        programme=programme,
        person=person,
        role=role,
        goals=goals,
        availability=availability,
        aspiration=rng.choice(departments) if aspiration else "",
        invited_by=None,
    )


def _live(
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
    held, skills = _fresh_skills([r.mentor_id for r in relationships] + [r.mentee_id for r in relationships])
    end_of_history = _at(as_of, 8)
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
        _meetings_and_more(relationship, rng, held, skills, answered, end_of_history, history, is_demo_pair)


def _meetings_and_more(
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
        day = _weekday(moment.date())
        starts_at = _at(day, rng.choice((9, 10, 11, 13, 14, 15, 16)), rng.choice((0, 30)))
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
            upcoming = _at(_weekday(end.date() + timedelta(days=rng.randint(2, 9))), rng.choice((10, 14, 16)))
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


def _nominate(
    rm: Programme,
    sp: Programme,
    junior: Person,
    senior: Person,
    rng: random.Random,
    history: DemoHistory,
) -> list[Enrolment]:
    """Senior mentees nominate their junior mentors for sponsorship: the pathway between the two.

    :data:`BRIDGE_NOMINEES` reverse mentors (the demo's junior among them, nominated by the demo's
    senior) are nominated; all but :data:`BRIDGE_UNANSWERED` accept (the demo's junior does). Sponsors
    join first (:data:`BRIDGE_SPONSORS`), so that those who accept enter the pool rather than its
    waiting list. Returns the enrolments of those who accepted.
    """
    enrolled = set(sp.enrolments.values_list("person_id", flat=True))
    newcomers = [
        person
        for person in Person.objects.filter(active=True, level__gte=7).order_by("employee_id")
        if person.pk not in enrolled
    ]
    for person in rng.sample(newcomers, k=min(len(newcomers), BRIDGE_SPONSORS)):
        _enrol(sp, person, EnrolmentRole.MENTOR, rng)
    pairs = list(
        Relationship.objects.filter(
            programme=rm, state__in=[RelationshipState.ACTIVE, RelationshipState.COMPLETED]
        ).select_related("mentor", "mentee")
    )
    chosen = [pair for pair in pairs if pair.mentor_id == junior.pk and pair.mentee_id == senior.pk]
    others = [pair for pair in pairs if pair not in chosen and not pair.mentor.high_potential]
    chosen += rng.sample(others, k=min(len(others), BRIDGE_NOMINEES - len(chosen)))
    unanswered = {pair.pk for pair in chosen[-BRIDGE_UNANSWERED:] if pair.mentor_id != junior.pk}
    accepted: list[Enrolment] = []
    for pair in chosen:
        try:
            nomination = life.nomination_create(
                actor=OPERATOR,
                relationship=pair,
                nominator=pair.mentee,
                programme=sp,
                statement=(
                    f"{pair.mentor.name.split()[0]} changed how I lead: patient, clear, ahead of the curve. "
                    "They deserve a sponsor with a seat at the table."
                ),
            )
            history.nominations += 1
            # A nomination is an invitation: a few are still waiting for an answer.
            if nomination.enrolment is not None and pair.pk not in unanswered:
                accepted.append(enrolment_respond(actor=OPERATOR, enrolment=nomination.enrolment, accept=True))
        except (RelationshipRuleBroken, ProgrammeRuleBroken):
            continue
    return accepted


def _sponsor_nominees(
    sp: Programme, accepted: list[Enrolment], rng: random.Random, start: date, as_of: date, history: DemoHistory
) -> None:
    """The rest of the bridge: a sponsor takes on :data:`BRIDGE_SPONSORED` of the nominees who
    accepted, about ten weeks into the programme (a pair proposed and accepted, then lived like the
    other sponsorships), and :data:`BRIDGE_PROMOTED` of those are promoted since, counting any
    promotion the organisation's usual pace already gave them."""
    proposed_at = _at(_weekday(start + timedelta(days=70)), 9)
    sponsors = list(
        Enrolment.objects.filter(programme=sp, role=EnrolmentRole.MENTOR).select_related("person").order_by("pk")
    )
    sponsored: list[Relationship] = []
    for enrolment in accepted:
        if len(sponsored) >= BRIDGE_SPONSORED:
            break
        enrolment.refresh_from_db()
        for sponsor in sponsors:
            sponsor.refresh_from_db()
            if sponsor.seats_free < 1:
                continue
            if life.pair_refusal(programme=sp, mentor_enrolment=sponsor, mentee_enrolment=enrolment) is not None:
                continue
            relationship = life.relationship_propose(
                actor=OPERATOR, programme=sp, mentor_enrolment=sponsor, mentee_enrolment=enrolment, now=proposed_at
            )
            answered = proposed_at + timedelta(days=rng.randint(1, 4))
            for person in (relationship.mentee, relationship.mentor):
                life.relationship_answer(
                    actor=OPERATOR, relationship=relationship, person=person, accept=True, now=answered
                )
            relationship.refresh_from_db()
            sponsored.append(relationship)
            history.relationships += 1
            held, skills = _fresh_skills([relationship.mentor_id, relationship.mentee_id])
            _meetings_and_more(relationship, rng, held, skills, answered, _at(as_of, 8), history, False)
            break
    promoted = {
        relationship.pk
        for relationship in sponsored
        if CareerEvent.objects.filter(
            person_id=relationship.mentee_id,
            kind=CareerEventKind.PROMOTION,
            effective_date__gt=relationship.started_at.date() if relationship.started_at else as_of,
        ).exists()
    }
    waiting = [relationship for relationship in sponsored if relationship.pk not in promoted]
    for relationship in rng.sample(waiting, k=max(0, min(len(waiting), BRIDGE_PROMOTED - len(promoted)))):
        assert relationship.started_at is not None
        first = relationship.started_at.date() + timedelta(days=30)
        when = first + timedelta(days=rng.randint(0, max(0, (as_of - first).days - 5)))
        person = relationship.mentee
        career_event_record(
            actor=OPERATOR,
            person=person,
            kind=CareerEventKind.PROMOTION,
            effective_date=when,
            to_level=person.level + 1,
            note="Promoted in the talent review, with their sponsor's backing.",
        )
        history.promotions += 1


def _promote(sp: Programme, rng: random.Random, start: date, as_of: date, history: DemoHistory) -> None:
    """The demo's planted effect: protégés are promoted more often than comparable colleagues.

    The generated organisation already promotes everyone at its usual pace (about one promotion
    every three years, so roughly one person in six within six months), protégés included. On top
    of that, each protégé with an active sponsor who has not been promoted since the start is
    promoted with probability :data:`PLANTED_PROMOTION_CHANCE`, from the third month on: about 30
    percentage points more promotions than their matched comparison group within six months, which
    the insights pages should find, with an interval that excludes zero. Reverse mentors get no such
    push, so their careers section should show no difference beyond chance.
    """
    promoted_since = set(
        CareerEvent.objects.filter(kind=CareerEventKind.PROMOTION, effective_date__gt=start).values_list(
            "person_id", flat=True
        )
    )
    protégés = list(
        Person.objects.filter(
            relationships_as_mentee__programme=sp,
            relationships_as_mentee__state=RelationshipState.ACTIVE,
            level__lt=9,
        )
        .exclude(pk__in=promoted_since)
        .distinct()
        .order_by("employee_id")
    )
    for person in protégés:
        if rng.random() >= PLANTED_PROMOTION_CHANCE:
            continue
        when = start + timedelta(days=rng.randint(60, max(61, (as_of - start).days - 5)))
        career_event_record(
            actor=OPERATOR,
            person=person,
            kind=CareerEventKind.PROMOTION,
            effective_date=when,
            to_level=person.level + 1,
            note="Promoted in the mid-year talent review.",
        )
        history.promotions += 1
