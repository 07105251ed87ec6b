"""The skills of the generated demo organisation (:mod:`twofold.people.demo`): the taxonomy, how
popular each skill is, and who knows which. Juniors are fluent in digital & technology and trends &
culture skills that seniors want to learn (the premise of reverse mentoring); seniors are strong in
leadership and business skills.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SKILL_TAXONOMY: tuple[tuple[str, str], ...] = (
    ("Generative AI", "digital"),
    ("Prompt engineering", "digital"),
    ("Data analysis", "digital"),
    ("Data visualisation", "digital"),
    ("Python", "digital"),
    ("SQL", "digital"),
    ("Cloud platforms", "digital"),
    ("Cybersecurity awareness", "digital"),
    ("No-code automation", "digital"),
    ("Collaboration tools", "digital"),
    ("Product analytics", "digital"),
    ("Mobile-first design", "digital"),
    ("Social media", "trends"),
    ("Short-form video", "trends"),
    ("Creator economy", "trends"),
    ("Gen Z workplace expectations", "trends"),
    ("Hybrid and remote work", "trends"),
    ("Sustainability and ESG", "trends"),
    ("Inclusive language", "trends"),
    ("Online communities", "trends"),
    ("Gaming culture", "trends"),
    ("Wellbeing and mental health", "trends"),
    ("Strategic planning", "leadership"),
    ("Stakeholder management", "leadership"),
    ("Executive presence", "leadership"),
    ("Change management", "leadership"),
    ("Negotiation", "leadership"),
    ("Coaching", "leadership"),
    ("Decision making", "leadership"),
    ("Board communication", "leadership"),
    ("Leading teams", "leadership"),
    ("Finance fundamentals", "business"),
    ("P&L ownership", "business"),
    ("Sales strategy", "business"),
    ("Customer insight", "business"),
    ("Operations excellence", "business"),
    ("Budgeting", "business"),
    ("Public speaking", "business"),
    ("Networking", "business"),
    ("Commercial awareness", "business"),
)
FRESH_CATEGORIES = ("digital", "trends")
SENIOR_CATEGORIES = ("leadership", "business")


@dataclass(frozen=True)
class DemoSkill:
    name: str
    proficiency: int
    can_teach: bool
    wants_to_learn: bool


# Popularity of skills: a few (generative AI above all) are wanted by most senior people, which is
# what makes real matching scores tie-heavy.
_FRESH = [name for name, category in SKILL_TAXONOMY if category in FRESH_CATEGORIES]
_SENIOR = [name for name, category in SKILL_TAXONOMY if category in SENIOR_CATEGORIES]
_FRESH_POPULARITY = [1.0 / (rank + 1) ** 0.8 for rank in range(len(_FRESH))]
_SENIOR_POPULARITY = [1.0 / (rank + 1) ** 0.5 for rank in range(len(_SENIOR))]


def _pick(rng: random.Random, names: list[str], weights: list[float], count: int) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < min(count, len(names)):
        name = rng.choices(names, weights=weights)[0]
        if name not in chosen:
            chosen.append(name)
    return chosen


def skills_for_level(rng: random.Random, level: int) -> list[DemoSkill]:
    """The skills of one person at ``level``: what they know, can teach and want to learn."""
    skills: dict[str, DemoSkill] = {}
    seniority = (level - 1) / 9  # 0 for the most junior, 1 for the chief executive
    # Digital and trend skills: juniors fluent (and able to teach), seniors keen to learn.
    fresh_count = rng.randint(3, 6) if level <= 4 else rng.randint(2, 5)
    for name in _pick(rng, _FRESH, _FRESH_POPULARITY, fresh_count):
        centre = 3.4 - 3.0 * seniority
        proficiency = max(0, min(4, round(rng.gauss(centre, 0.8))))
        skills[name] = DemoSkill(
            name,
            proficiency,
            can_teach=proficiency >= 3 and level <= 5,
            wants_to_learn=proficiency <= 2 and (level >= 5 or rng.random() < 0.25),
        )
    # Leadership and business skills: the other way round.
    senior_count = rng.randint(1, 3) if level <= 4 else rng.randint(3, 5)
    for name in _pick(rng, _SENIOR, _SENIOR_POPULARITY, senior_count):
        centre = 0.8 + 3.2 * seniority
        proficiency = max(0, min(4, round(rng.gauss(centre, 0.8))))
        skills[name] = DemoSkill(
            name,
            proficiency,
            can_teach=proficiency >= 3 and level >= 5,
            wants_to_learn=proficiency <= 2 and level <= 6 and rng.random() < 0.6,
        )
    return sorted(skills.values(), key=lambda skill: skill.name)
