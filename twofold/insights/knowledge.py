"""Knowledge transfer (reverse mentoring): which skills moved, which way, by how much, how far.

* Skills moved: for each skill (and each category), how many people learned it, and how many
  records went upward (the junior mentor taught the senior mentee) or downward. Rows are people who
  learned a skill, through :func:`twofold.privacy.group_table`.
* Mean proficiency gain with a 95 % interval: the batches of
  :func:`twofold.relationships.aggregates.knowledge_gain_answers` (the headline's figure), the
  interval by the batch-means method (:func:`twofold.insights.statistics.batch_mean_interval`), so
  it depends on the answers through their published bands only.
* Digital fluency of leadership: of the senior population (people at or above the programme's
  lowest mentee level, or level 7 when it sets none), by level band, how many hold each digital
  skill at working level (3 of 4) or better, before the programme's recorded transfers and now.
  "Before" is a person's proficiency before their first recorded transfer of that skill in this
  programme, and today's proficiency for those who recorded none; "now" is the higher of today's
  proficiency and the last one recorded after a transfer. Level bands split the senior
  population, so each skill's counts pass :func:`twofold.privacy.group_table` as sibling groups.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from twofold.insights.funnel import LEVEL_BANDS
from twofold.insights.statistics import MeanInterval, batch_mean_interval
from twofold.insights.tables import Cell, Table, share
from twofold.people.models import Person, PersonSkill, Skill, SkillCategory
from twofold.privacy import Headcount, Mean, group_table
from twofold.programmes.models import Programme
from twofold.relationships.aggregates import knowledge_gain_answers
from twofold.relationships.models import Direction, KnowledgeTransfer

WORKING_LEVEL = 3
DEFAULT_SENIOR_LEVEL = 7
UPWARD, DOWNWARD = "Upward", "Downward"


@dataclass(frozen=True)
class FluencyPoint:
    skill: str
    before: Headcount
    after: Headcount
    people: Headcount


@dataclass(frozen=True)
class Knowledge:
    programme: Programme
    mean_gain: MeanInterval
    headline_gain: Mean
    gain_by_direction: tuple[tuple[str, MeanInterval], ...]
    by_skill: Table
    by_category: Table
    fluency: Table
    fluency_points: tuple[FluencyPoint, ...]
    skill_rows: tuple[tuple[str, Headcount, Headcount], ...]  # shown skills: records upward, downward

    @property
    def gain_table(self) -> Table:
        rows: list[tuple[Cell, ...]] = []
        for label, interval in (("All skills recorded", self.mean_gain), *self.gain_by_direction):
            if interval.enough:
                rows.append(
                    (
                        label,
                        interval.n,
                        f"{interval.estimate:+.2f}",
                        f"{interval.ci_low:+.2f} to {interval.ci_high:+.2f}",
                    )
                )
            else:
                rows.append((label, interval.n, "Too few to say", ""))
        return Table(
            "proficiency-gain",
            "Mean proficiency gain (0–4 scale) with its 95 % interval",
            ("Skills", "Recorded (in whole batches)", "Mean gain", "95 % interval"),
            tuple(rows),
            "The interval is computed over batches of answers (the batch-means method), never over one answer.",
        )


def upward(programme: Programme) -> str:
    """The direction in which a skill goes up the hierarchy: from the junior mentor to the senior
    mentee in reverse mentoring, the other way in sponsorship."""
    return Direction.MENTOR_TO_MENTEE if not programme.is_sponsorship else Direction.MENTEE_TO_MENTOR


def knowledge(programme: Programme, *, as_of: date) -> Knowledge:
    answers = knowledge_gain_answers([programme.pk])
    k = answers.k
    mean_gain = batch_mean_interval(answers.batch_means("gain", programme=programme.pk), batch_size=k)
    by_direction = tuple(
        (
            UPWARD if direction == upward(programme) else DOWNWARD,
            batch_mean_interval(answers.batch_means("gain", programme=programme.pk, direction=direction), batch_size=k),
        )
        for direction in Direction.values
    )
    transfers = list(
        KnowledgeTransfer.objects.filter(relationship__programme=programme, recorded_on__lte=as_of)
        .order_by("recorded_on", "pk")
        .values_list(
            "skill_id",
            "skill__name",
            "skill__category",
            "direction",
            "relationship__mentor_id",
            "relationship__mentee_id",
            "proficiency_before",
            "proficiency_after",
        )
    )
    up = upward(programme)
    learners: dict[str, set[int]] = defaultdict(set)
    category_learners: dict[str, set[int]] = defaultdict(set)
    moved: dict[str, dict[str, int]] = defaultdict(lambda: {UPWARD: 0, DOWNWARD: 0})
    category_moved: dict[str, dict[str, int]] = defaultdict(lambda: {UPWARD: 0, DOWNWARD: 0})
    first_before: dict[tuple[int, int], int] = {}
    last_after: dict[tuple[int, int], int] = {}
    categories = dict(SkillCategory.choices)
    for skill_id, name, category, direction, mentor_id, mentee_id, before, after in transfers:
        learner = mentee_id if direction == Direction.MENTOR_TO_MENTEE else mentor_id
        way = UPWARD if direction == up else DOWNWARD
        learners[name].add(learner)
        moved[name][way] += 1
        label = categories.get(category, category)
        category_learners[label].add(learner)
        category_moved[label][way] += 1
        first_before.setdefault((learner, skill_id), before)
        last_after[(learner, skill_id)] = after
    by_skill = _moved_table("skills-moved", "Skills moved, by skill and direction", "Skill", learners, moved)
    fluency, points = _fluency(programme, first_before, last_after)
    return Knowledge(
        programme=programme,
        mean_gain=mean_gain,
        headline_gain=answers.mean("gain", programme=programme.pk),
        gain_by_direction=by_direction,
        by_skill=by_skill,
        by_category=_moved_table(
            "skills-by-category",
            "Skills moved, by category and direction",
            "Category",
            category_learners,
            category_moved,
        ),
        fluency=fluency,
        fluency_points=points,
        skill_rows=tuple(
            (str(row[0]), row[2], row[3])
            for row in by_skill.rows
            if isinstance(row[2], Headcount) and isinstance(row[3], Headcount)
        ),
    )


def _moved_table(
    slug: str, title: str, heading: str, learners: dict[str, set[int]], moved: dict[str, dict[str, int]]
) -> Table:
    # A skill learned by fewer than k people is hidden with its records; rows do not split one
    # population (one person learns several skills), so no total row is released.
    released = group_table(
        {name: {"people": len(people), **moved[name]} for name, people in sorted(learners.items())},
        size="people",
        totals=(),
    )
    rows = tuple((row.key, row["people"], row[UPWARD], row[DOWNWARD]) for row in released.rows)
    note = (
        f"Skills learned by fewer than {released.k} people are not shown, nor the next smallest with them."
        if released.any_hidden
        else ""
    )
    return Table(slug, title, (heading, "People who learned it", "Records upward", "Records downward"), rows, note)


def _clipped(low: int, high: int) -> str:
    return f"Level {low}" if low == high else f"Levels {low}–{high}"


def _fluency(
    programme: Programme, first_before: dict[tuple[int, int], int], last_after: dict[tuple[int, int], int]
) -> tuple[Table, tuple[FluencyPoint, ...]]:
    lowest = programme.mentee_min_level if not programme.is_sponsorship else programme.mentor_min_level
    senior = lowest or DEFAULT_SENIOR_LEVEL
    bands = [
        (max(low, senior), high, label if low >= senior else _clipped(senior, high))
        for low, high, label in LEVEL_BANDS
        if high >= senior
    ]
    people = dict(Person.objects.filter(active=True, level__gte=senior).values_list("pk", "level"))

    def band_of(level: int) -> str:
        return next(label for low, high, label in bands if low <= max(level, senior) <= high)

    skills = list(Skill.objects.filter(category=SkillCategory.DIGITAL).order_by("name").values_list("pk", "name"))
    held: dict[int, dict[int, int]] = defaultdict(dict)
    for person_id, skill_id, proficiency in PersonSkill.objects.filter(
        person_id__in=list(people), skill_id__in=[pk for pk, _ in skills]
    ).values_list("person_id", "skill_id", "proficiency"):
        held[skill_id][person_id] = proficiency
    population: dict[str, int] = defaultdict(int)
    for level in people.values():
        population[band_of(level)] += 1
    rows: list[tuple[Cell, ...]] = []
    points = []
    notes = set()
    for skill_id, name in skills:
        counts = {label: {"people": population.get(label, 0), "before": 0, "after": 0} for _, _, label in bands}
        # Everyone senior who holds the skill, or learned it here (a learner may have no skill row).
        learned = {person for person, skill in last_after if skill == skill_id and person in people}
        for person_id in set(held[skill_id]) | learned:
            label = band_of(people[person_id])
            current = held[skill_id].get(person_id, 0)
            now = max(current, last_after.get((person_id, skill_id), current))
            before = first_before.get((person_id, skill_id), current)
            counts[label]["after"] += now >= WORKING_LEVEL
            counts[label]["before"] += before >= WORKING_LEVEL
        released = group_table(counts, size="people", totals=("people", "before", "after"), subsets=("before", "after"))
        for row in released.rows:
            rows.append(
                (
                    name,
                    row.key,
                    row["people"],
                    row["before"],
                    share(row["before"], row["people"]),
                    row["after"],
                    share(row["after"], row["people"]),
                )
            )
        total = released.total
        rows.append(
            (
                name,
                "All senior levels",
                total["people"],
                total["before"],
                share(total["before"], total["people"]),
                total["after"],
                share(total["after"], total["people"]),
            )
        )
        points.append(FluencyPoint(name, total["before"], total["after"], total["people"]))
        if released.note:
            notes.add(released.note)
    table = Table(
        "digital-fluency",
        f"Digital skills held at working level or better (3 of 4) by people at level {senior} and above",
        ("Skill", "Level band", "People", "Before", "Share before", "Now", "Share now"),
        tuple(rows),
        " ".join(sorted(notes)),
    )
    return table, tuple(points)
