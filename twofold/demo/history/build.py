"""Both demo programmes built and lived through: who enrols, the engine's match, then six months."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from twofold.demo.history.pairs import live
from twofold.demo.history.planted import nominate, promote, sponsor_nominees
from twofold.demo.history.recording import DemoHistory, at, enrol, weekday
from twofold.people.models import Person, SkillCategory
from twofold.programmes.models import EnrolmentRole, ProgrammeKind, ProgrammeState
from twofold.programmes.services import programme_create, programme_transition

FRESH = (SkillCategory.DIGITAL, SkillCategory.TRENDS)


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
    start = weekday(as_of - timedelta(days=182))
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
        enrol(rm, person, EnrolmentRole.MENTOR, rng)
    for person in mentees:
        enrol(rm, person, EnrolmentRole.MENTEE, rng)

    sponsors = list(people.filter(level__gte=7).order_by("employee_id"))
    protégés = list(people.filter(high_potential=True, level__lte=6).order_by("employee_id"))
    for person in rng.sample(sponsors, k=min(len(sponsors), 30)):
        enrol(sp, person, EnrolmentRole.MENTOR, rng)
    for person in rng.sample(protégés, k=min(len(protégés), 75)):
        enrol(sp, person, EnrolmentRole.MENTEE, rng, aspiration=True)

    start_at = at(start, 9)
    for programme in (rm, sp):
        programme_transition(actor=manager, programme=programme, to_state=ProgrammeState.MATCHING)
    # The demo pair is locked into the first run, so the two demo sign-ins meet from both sides.
    demo_pair = (rm.enrolments.get(person=junior).pk, rm.enrolments.get(person=senior).pk)
    run_match(rm, manager, start_at, [demo_pair])
    run_match(sp, manager, start_at, [])

    for programme in (rm, sp):
        live(programme, rng, start, as_of, history, demo_pair=(junior.pk, senior.pk))

    promote(sp, rng, start, as_of, history)
    accepted = nominate(rm, sp, junior, senior, rng, history)
    sponsor_nominees(sp, accepted, rng, start, as_of, history)
    return history
