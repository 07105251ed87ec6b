"""What the demo plants for the insights to find.

The planted effect: protégés promoted more often than comparable colleagues (:func:`promote`). The
planted bridge from reverse mentoring into sponsorship: reverse mentors nominated, enrolled,
sponsored and promoted (:func:`nominate`, :func:`sponsor_nominees`).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from twofold.demo.history.pairs import meetings_and_more
from twofold.demo.history.recording import OPERATOR, DemoHistory, at, enrol, fresh_skills, weekday
from twofold.people.models import CareerEvent, CareerEventKind, Person
from twofold.people.services import career_event_record
from twofold.programmes.enrolment_services import enrolment_respond
from twofold.programmes.models import Enrolment, EnrolmentRole, Programme
from twofold.programmes.services import ProgrammeRuleBroken
from twofold.relationships import services as life
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.models import Relationship, RelationshipState

# The planted effect (see promote): the chance of an extra promotion for a sponsored protégé.
PLANTED_PROMOTION_CHANCE = 0.35
# The planted bridge (see nominate and sponsor_nominees): reverse mentors their senior mentee
# nominates for sponsorship; of them, those who leave the invitation unanswered; of those who
# accept, those a sponsor takes on; and of the sponsored, those promoted since. Every step of the
# bridge then holds at least five people, so the insights show it rather than "not shown".
BRIDGE_NOMINEES = 24
BRIDGE_UNANSWERED = 6
BRIDGE_SPONSORED = 12
BRIDGE_PROMOTED = 7
# Sponsors who join for the nominees (three seats each), so that accepting never waitlists them.
BRIDGE_SPONSORS = 6


def nominate(
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
        enrol(sp, person, EnrolmentRole.MENTOR, rng)
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


def sponsor_nominees(
    sp: Programme, accepted: list[Enrolment], rng: random.Random, start: date, as_of: date, history: DemoHistory
) -> None:
    """The rest of the bridge: a sponsor takes on :data:`BRIDGE_SPONSORED` of the nominees who
    accepted, about ten weeks into the programme (a pair proposed and accepted, then lived like the
    other sponsorships), and :data:`BRIDGE_PROMOTED` of those are promoted since, counting any
    promotion the organisation's usual pace already gave them."""
    proposed_at = at(weekday(start + timedelta(days=70)), 9)
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
            held, skills = fresh_skills([relationship.mentor_id, relationship.mentee_id])
            meetings_and_more(relationship, rng, held, skills, answered, at(as_of, 8), history, False)
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


def promote(sp: Programme, rng: random.Random, start: date, as_of: date, history: DemoHistory) -> None:
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
