"""From a programme's enrolments and the directory to the matching engine's input.

The engine (``twofold.matching``) knows nothing of the database: this module reads, in a fixed
number of queries, everyone's place in the management tree, the pool with its skills, wishes and
availability, the pairs that must never be proposed, and the pairs to keep; and turns them into
:class:`~twofold.matching.roster.PersonRecord` rows. The programme's rules become the engine's
:class:`~twofold.matching.policy.Policy` in :mod:`twofold.programmes.matching_policy`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db.models import Q

from twofold.matching.roster import PersonRecord
from twofold.people.models import Person, PersonSkill, SelfIdentification
from twofold.programmes.matching_policy import ENGINE_ROLE
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme, ProgrammeKind
from twofold.relationships.models import OPEN_STATES, PAIRED_BEFORE_STATES, Relationship, RelationshipState

WEEKDAY_SLOTS = tuple(f"{day}-{half}" for day in ("mon", "tue", "wed", "thu", "fri") for half in ("am", "pm"))
# Self-identified attributes a fairness target may use. Read only to form groups for the solver;
# never stored with a match run or shown per person.
GENERATIONS = ((1997, "Gen Z"), (1981, "Millennial"), (1965, "Gen X"), (0, "Baby boomer"))


def availability_slots(mask: int) -> tuple[str, ...]:
    """The enrolment's availability bits (Monday morning = bit 0) as the engine's slot names."""
    return tuple(slot for bit, slot in enumerate(WEEKDAY_SLOTS) if mask & (1 << bit))


def _generation(birth_year: int | None) -> str:
    if birth_year is None:
        return ""
    return next(name for start, name in GENERATIONS if birth_year >= start)


@dataclass
class Pool:
    """What one match run works on, with the way back from the engine's ids to enrolments."""

    records: list[PersonRecord]
    enrolments: dict[str, Enrolment]

    @property
    def mentors(self) -> list[Enrolment]:
        return [e for e in self.enrolments.values() if e.role == EnrolmentRole.MENTOR]

    @property
    def mentees(self) -> list[Enrolment]:
        return [e for e in self.enrolments.values() if e.role == EnrolmentRole.MENTEE]


def programme_pool(programme: Programme, *, locked: Sequence[tuple[int, int]] = (), only: Collection[int] = ()) -> Pool:
    """Everyone in the directory (the tree needs them all) and the programme's pool, as engine records.

    People already in an open relationship of this programme are kept out of the pool (a partial
    re-match fills only the gaps) and their mentors offer only their free seats. ``locked`` pairs
    of enrolment ids are kept as they are. ``only`` restricts the pool (and the tree) to those
    enrolments: for scoring a few pairs whose rules were checked already.
    """
    in_pool = Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.ACTIVE)
    # Everyone, those who left included: people still report through a manager who has gone.
    people = Person.objects.all()
    if only:
        in_pool = in_pool.filter(pk__in=list(only))
        people = people.filter(enrolments__pk__in=list(only))
    directory: list[tuple[int, str, int, str | None]] = list(
        people.values_list("pk", "employee_id", "level", "manager__employee_id")
    )
    if only:
        # A handful of people out of the tree: their rules were checked against the full tree.
        directory = [(pk, employee_id, level, None) for pk, employee_id, level, _ in directory]
    pool = list(in_pool.select_related("person").prefetch_related("avoid", "focus_skills"))
    in_open = set(
        Relationship.objects.filter(programme=programme, state__in=OPEN_STATES).values_list(
            "mentee_enrolment_id", flat=True
        )
    )
    if not only:
        pool = [e for e in pool if not (e.role == EnrolmentRole.MENTEE and e.pk in in_open)]
        pool = [e for e in pool if not (e.role == EnrolmentRole.MENTOR and e.seats_free <= 0)]
    person_ids = [e.person_id for e in pool]
    teach: dict[int, dict[str, int]] = {}
    learn: dict[int, dict[str, int]] = {}
    proficiency: dict[int, dict[int, int]] = {}
    skill_rows = PersonSkill.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "skill_id", "skill__name", "proficiency", "can_teach", "wants_to_learn"
    )
    for person_id, skill_id, name, level, can_teach, wants in skill_rows.iterator(chunk_size=5000):
        proficiency.setdefault(person_id, {})[skill_id] = level
        if can_teach:
            teach.setdefault(person_id, {})[name] = level
        if wants:
            learn.setdefault(person_id, {})[name] = level
    groups: dict[int, str] = {}
    attribute = programme.fairness_attribute
    if programme.fairness_enabled and programme.kind == ProgrammeKind.SPONSORSHIP:
        rows = SelfIdentification.objects.filter(person_id__in=person_ids).values_list(
            "person_id", "gender", "ethnicity", "disability", "birth_year"
        )
        for person_id, gender, ethnicity, disability, birth_year in rows:
            groups[person_id] = {
                "gender": gender,
                "ethnicity": ethnicity,
                "disability": disability,
                "generation": _generation(birth_year),
            }.get(attribute, "")
    # "Paired before": the same two people, either way round, proposed (still open), active, completed
    # or ended early in a programme of this kind (allowed again if the programme says so). A pair
    # declined in this very programme is never proposed again: someone said no. (relationship_propose
    # applies the same.)
    history = Relationship.objects.filter(
        Q(programme__kind=programme.kind, state__in=PAIRED_BEFORE_STATES)
        | Q(programme=programme, state=RelationshipState.DECLINED),
        Q(mentor_id__in=person_ids) | Q(mentee_id__in=person_ids),
    ).values_list("mentor__employee_id", "mentee__employee_id", "programme_id", "state")
    previous: dict[str, set[str]] = {}
    declined: dict[str, set[str]] = {}
    for mentor, mentee, programme_id, state in history:
        target = declined if (programme_id == programme.pk and state == RelationshipState.DECLINED) else previous
        target.setdefault(mentor, set()).add(mentee)
        target.setdefault(mentee, set()).add(mentor)
    locked_by: dict[int, set[int]] = {}
    for mentor_enrolment, mentee_enrolment in locked:
        locked_by.setdefault(mentor_enrolment, set()).add(mentee_enrolment)
        locked_by.setdefault(mentee_enrolment, set()).add(mentor_enrolment)
    employee_of = {e.pk: e.person.employee_id for e in pool}

    records: dict[str, PersonRecord] = {
        employee_id: PersonRecord(employee_id=employee_id, level=level, manager_id=manager)
        for _, employee_id, level, manager in directory
    }
    enrolments: dict[str, Enrolment] = {}
    for enrolment in pool:
        person = enrolment.person
        wishes = dict(learn.get(person.pk, {}))
        offers = dict(teach.get(person.pk, {}))
        # Skills in focus sharpen the profile: a mentee's are wishes, a mentor's are offers.
        for skill in enrolment.focus_skills.all():
            held = proficiency.get(person.pk, {}).get(skill.pk, 0)
            if enrolment.role == EnrolmentRole.MENTEE:
                wishes.setdefault(skill.name, held)
            elif held >= 2:
                offers.setdefault(skill.name, held)
        records[person.employee_id] = PersonRecord(
            employee_id=person.employee_id,
            level=person.level,
            manager_id=records[person.employee_id].manager_id if person.employee_id in records else None,
            role=ENGINE_ROLE[(programme.kind, enrolment.role)],
            department=person.department,
            location=person.location,
            capacity=(enrolment.capacity if only else enrolment.seats_free)
            if enrolment.role == EnrolmentRole.MENTOR
            else 1,
            teach=offers,
            learn=wishes,
            high_potential=person.high_potential or enrolment.nominated_by_id is not None,
            group=groups.get(person.pk, ""),
            aspiration=enrolment.aspiration,
            domain=person.department,
            availability=availability_slots(enrolment.availability),
            do_not_pair=tuple(
                sorted({other.employee_id for other in enrolment.avoid.all()} | declined.get(person.employee_id, set()))
            ),
            previous_partners=tuple(sorted(previous.get(person.employee_id, ()))),
            locked_partners=tuple(
                sorted(employee_of[other] for other in locked_by.get(enrolment.pk, ()) if other in employee_of)
            ),
        )
        enrolments[person.employee_id] = enrolment
    return Pool(records=list(records.values()), enrolments=enrolments)
