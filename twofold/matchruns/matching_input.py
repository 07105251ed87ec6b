"""From a programme's enrolments and the directory to the matching engine's input.

The engine (``twofold.matching``) knows nothing of the database: this module reads, in a fixed
number of queries, everyone's place in the management tree, the pool with its skills, wishes and
availability, the pairs that must never be proposed, and the pairs to keep; and turns them into
:class:`~twofold.matching.roster.PersonRecord` rows. The programme's rules become the engine's
:class:`~twofold.matching.policy.Policy` in :mod:`twofold.programmes.matching_policy`.

The rules are the ones ``pair_refusal`` checks for one pair, not a copy: who may be paired at all is
decided by :func:`~twofold.programmes.eligibility.participant_problem` for each enrolment (the
engine sees only those it lets through), and the pairs kept apart come from
:func:`~twofold.relationships.pairing.pair_history`. The level gap and the reporting chain are
checked by the engine in bulk, from the same numbers and the same management tree;
tests/matchruns/test_one_rule.py holds the two to one another.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from twofold.matching.roster import PersonRecord
from twofold.people.models import Person, PersonSkill, SelfIdentification
from twofold.programmes.eligibility import Candidate, EligibilityRules, Refusal, participant_problem
from twofold.programmes.matching_policy import ENGINE_ROLE
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme, ProgrammeKind
from twofold.relationships.pairing import pair_history, partnered_mentees, pool_place

# Kept out of the pool without being "unmatched": they have their partner (or their seats are full).
ALREADY_PAIRED = ("mentee_already_paired", "no_free_seat")
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
    """What one match run works on, with the way back from the engine's ids to enrolments, and the
    enrolments of the pool that may not be paired now (left the organisation, no longer eligible)."""

    records: list[PersonRecord]
    enrolments: dict[str, Enrolment]
    left_out: list[tuple[Enrolment, Refusal]] = field(default_factory=list)

    @property
    def mentors(self) -> list[Enrolment]:
        return [e for e in self.enrolments.values() if e.role == EnrolmentRole.MENTOR]

    @property
    def mentees(self) -> list[Enrolment]:
        return [e for e in self.enrolments.values() if e.role == EnrolmentRole.MENTEE]


def programme_pool(programme: Programme, *, locked: Sequence[tuple[int, int]] = (), only: Collection[int] = ()) -> Pool:
    """Everyone in the directory (the tree needs them all) and the programme's pool, as engine records.

    Only enrolments :func:`~twofold.programmes.eligibility.participant_problem` lets through are in
    the pool: people already in an open relationship of this programme are kept out (a partial
    re-match fills only the gaps), mentors offer only their free seats, and those who left or are
    no longer eligible are listed in ``left_out`` with the reason. ``locked`` pairs of enrolment ids
    are kept as they are. ``only`` restricts the pool (and the tree) to those enrolments: for
    scoring a few pairs whose rules were checked already.
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
    pool = list(in_pool.select_related("person").prefetch_related("focus_skills"))
    left_out: list[tuple[Enrolment, Refusal]] = []
    if not only:
        rules = EligibilityRules.of(programme)
        partnered = partnered_mentees(programme)
        admitted = []
        for enrolment in pool:
            place = pool_place(enrolment, partnered=enrolment.pk in partnered)
            problem = participant_problem(rules, Candidate.of(enrolment.person), place)
            if problem is None:
                admitted.append(enrolment)
            elif problem.code not in ALREADY_PAIRED:
                left_out.append((enrolment, problem))
        pool = admitted
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
    # The pairs pair_refusal keeps apart, as the engine's lists: asked not to be paired or declined
    # here (never proposed), paired before (unless the programme repeats pairs: the policy says).
    history = pair_history(programme, person_ids)
    employee = {e.person_id: e.person.employee_id for e in pool}
    never = history.partners(history.avoided | history.declined)
    before = history.partners(history.paired_before)
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
            do_not_pair=tuple(sorted(employee[other] for other in never.get(person.pk, ()))),
            previous_partners=tuple(sorted(employee[other] for other in before.get(person.pk, ()))),
            locked_partners=tuple(
                sorted(employee_of[other] for other in locked_by.get(enrolment.pk, ()) if other in employee_of)
            ),
        )
        enrolments[person.employee_id] = enrolment
    return Pool(records=list(records.values()), enrolments=enrolments, left_out=left_out)
