"""The demo organisation: deterministic and shaped like a real company."""

from __future__ import annotations

from collections import Counter
from datetime import date
from statistics import mean

import pytest
from django.core.management import CommandError, call_command

from twofold.people.demo import generate_organisation
from twofold.people.demo_skills import SKILL_TAXONOMY
from twofold.people.models import CareerEvent, Person, PersonSkill, SelfIdentification, Skill

AS_OF = date(2026, 6, 1)


def test_same_seed_same_organisation_other_seed_other_one() -> None:
    first = generate_organisation(1500, 11, as_of=AS_OF)
    again = generate_organisation(1500, 11, as_of=AS_OF)
    other = generate_organisation(1500, 12, as_of=AS_OF)
    assert first.people == again.people and first.events == again.events
    assert [p.name for p in first.people] != [p.name for p in other.people]


def test_shape_of_a_generated_company() -> None:
    organisation = generate_organisation(3000, 2, as_of=AS_OF)
    people = organisation.people
    by_id = organisation.by_id()
    levels = Counter(person.level for person in people)
    assert levels[10] == 1
    assert levels[1] + levels[2] + levels[3] + levels[4] > 0.6 * len(people)
    assert all(levels[level] >= levels[level + 1] for level in range(2, 9))
    # Everyone but the chief executive has a manager, more senior than them.
    roots = [person for person in people if person.manager_id is None]
    assert len(roots) == 1 and roots[0].level == 10
    assert all(by_id[p.manager_id].level >= p.level for p in people if p.manager_id)
    spans = Counter(person.manager_id for person in people if person.manager_id)
    assert 3.5 <= mean(spans.values()) <= 8
    assert len({person.department for person in people}) >= 10
    assert len({person.location for person in people}) >= 8
    # ~10 % of eligible people are high potential.
    eligible = [p for p in people if p.active and 2 <= p.level <= 7 and (AS_OF - p.hire_date).days >= 365]
    share = sum(p.high_potential for p in eligible) / len(eligible)
    assert 0.08 <= share <= 0.12
    assert not any(p.high_potential for p in people if p not in eligible)
    # The premise of reverse mentoring: juniors teach digital skills, seniors want to learn them.
    fresh = {name for name, category in SKILL_TAXONOMY if category in ("digital", "trends")}

    def share_of(predicate, group) -> float:  # type: ignore[no-untyped-def]
        return mean(any(predicate(skill) for skill in person.skills) for person in group)

    juniors = [p for p in people if p.level <= 3]
    seniors = [p for p in people if p.level >= 7]
    assert share_of(lambda s: s.name in fresh and s.can_teach, juniors) > 0.8
    assert share_of(lambda s: s.name in fresh and s.can_teach, seniors) < 0.1
    assert share_of(lambda s: s.name in fresh and s.wants_to_learn, seniors) > 0.9
    junior_proficiency = mean(s.proficiency for p in juniors for s in p.skills if s.name in fresh)
    senior_proficiency = mean(s.proficiency for p in seniors for s in p.skills if s.name in fresh)
    assert junior_proficiency - senior_proficiency > 1.5
    # Self-identified attributes for most, with women fewer at the top than at the entry levels.
    identified = [p for p in people if p.attributes]
    assert 0.8 <= len(identified) / len(people) <= 0.9
    women = {level: mean(p.attributes["gender"] == "Woman" for p in identified if p.level == level) for level in (1, 7)}
    assert women[1] > women[7]
    kinds = Counter(event.kind for event in organisation.events)
    assert kinds["hire"] == len(people) and kinds["promotion"] > len(people) / 2 and kinds["exit"] > 0
    assert all(event.effective_date <= AS_OF for event in organisation.events)
    assert {p.employee_id for p in people if not p.active} == {
        e.employee_id for e in organisation.events if e.kind == "exit"
    }


def test_demo_org_command_loads_everything(db, capsys) -> None:
    call_command("demo_org", people=300, seed=4, as_of=AS_OF)
    assert "Built a demo organisation of 300 people" in capsys.readouterr().out
    assert Person.objects.count() == 300
    assert Skill.objects.filter(category="digital").count() >= 10
    assert PersonSkill.objects.count() > 300 * 4
    assert 200 < SelfIdentification.objects.count() < 300
    assert CareerEvent.objects.filter(kind="promotion").exists()
    with pytest.raises(CommandError, match="already holds 300 people"):
        call_command("demo_org", people=300, seed=4)
    call_command("demo_org", people=200, seed=5, replace=True, as_of=AS_OF)
    assert Person.objects.count() == 200
