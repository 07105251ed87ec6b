"""A participant's own progress, for their *My programmes* page: time in each programme, meetings
held, skills gained and passed on. Their own records only, so no aggregate rule applies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from twofold.people.models import Person
from twofold.programmes.models import Programme
from twofold.relationships.models import Direction, KnowledgeTransfer, Relationship


@dataclass(frozen=True)
class SkillGain:
    skill: str
    before: int
    after: int


@dataclass(frozen=True)
class ProgrammeProgress:
    programme: Programme
    started_on: date
    ended_on: date | None
    meetings_held: int
    gained: tuple[SkillGain, ...]
    passed_on: int

    @property
    def days(self) -> int:
        return ((self.ended_on or timezone.localdate()) - self.started_on).days

    @property
    def time_in_programme(self) -> str:
        days = self.days
        if days < 60:
            return f"{days} day{'s' if days != 1 else ''}"
        return f"{round(days / 30.4375)} months"


def progress_of(person: Person, relationships: Iterable[Relationship]) -> list[ProgrammeProgress]:
    """Each pair of the person's that started, newest first, with what they learned in it (the
    skills a partner passed to them) and how many skills they passed on. ``relationships`` are all
    the person's pairs with their programmes, as the page has read them already; one query more."""
    started = [pair for pair in relationships if pair.started_at is not None]
    # Newest first; pairs that started at the same moment, the later made first.
    pairs = sorted(started, key=lambda pair: (pair.started_at, pair.pk), reverse=True)
    if not pairs:
        return []
    learned: dict[int, list[SkillGain]] = {}
    taught: dict[int, int] = {}
    for relationship_id, direction, mentor_id, skill, before, after in (
        KnowledgeTransfer.objects.filter(relationship__in=[pair.pk for pair in pairs])
        .order_by("recorded_on", "pk")
        .values_list(
            "relationship_id",
            "direction",
            "relationship__mentor_id",
            "skill__name",
            "proficiency_before",
            "proficiency_after",
        )
    ):
        learner_is_mentee = direction == Direction.MENTOR_TO_MENTEE
        i_learned = (person.pk != mentor_id) if learner_is_mentee else (person.pk == mentor_id)
        if i_learned:
            learned.setdefault(relationship_id, []).append(SkillGain(skill, before, after))
        else:
            taught[relationship_id] = taught.get(relationship_id, 0) + 1
    return [
        ProgrammeProgress(
            programme=pair.programme,
            started_on=timezone.localdate(pair.started_at),
            ended_on=timezone.localdate(pair.ended_at) if pair.ended_at else None,
            meetings_held=pair.meetings_held,
            gained=tuple(learned.get(pair.pk, ())),
            passed_on=taught.get(pair.pk, 0),
        )
        for pair in pairs
    ]
