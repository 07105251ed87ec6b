"""A believable, generated organisation for the demo, the tests and the benchmarks.

Pure Python (no Django), deterministic: the same ``people``, ``seed`` and ``as_of`` date give the
same organisation. The shape follows what HR data of mid-size and large companies looks like:

- a level pyramid (1–10, most people at levels 1–4, one chief executive at 10), departments with a
  head at level 9, managers with spans of 3–10 and individual contributors at every level;
- juniors fluent in digital & technology and trends & culture skills that seniors want to learn
  (the premise of reverse mentoring), seniors strong in leadership and business skills
  (:mod:`twofold.people.demo_skills`);
- about 10 % of eligible people (levels 2–7, a year's tenure) flagged high potential;
- self-identified attributes for ~85 % of people, in realistic proportions, with the under-
  representation at senior levels that programmes like sponsorship exist to correct;
- several years of career history: hires, promotions, role changes, level changes and exits.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from twofold.people.demo_names import DISABILITY, ETHNICITIES, LAST_NAMES, MEN_FIRST, NEUTRAL_FIRST, WOMEN_FIRST
from twofold.people.demo_skills import SKILL_TAXONOMY, DemoSkill, skills_for_level
from twofold.people.hris_presets import PERSON_FIELDS
from twofold.people.tabular import Table

DEPARTMENTS: tuple[tuple[str, float, str, str], ...] = (
    # name, share of headcount, individual-contributor role, title of the department head
    ("Engineering", 0.22, "Software Engineer", "Chief Technology Officer"),
    ("Sales", 0.15, "Account Executive", "Chief Revenue Officer"),
    ("Operations", 0.11, "Operations Specialist", "Chief Operating Officer"),
    ("Customer Success", 0.09, "Customer Success Specialist", "EVP Customer Success"),
    ("Marketing", 0.08, "Marketing Specialist", "Chief Marketing Officer"),
    ("Product", 0.07, "Product Manager", "Chief Product Officer"),
    ("Finance", 0.07, "Financial Analyst", "Chief Financial Officer"),
    ("Data & Analytics", 0.06, "Data Analyst", "Chief Data Officer"),
    ("People", 0.05, "People Partner", "Chief People Officer"),
    ("Strategy", 0.04, "Strategy Analyst", "Chief Strategy Officer"),
    ("Legal", 0.03, "Legal Counsel", "General Counsel"),
    ("Design", 0.03, "Product Designer", "EVP Design"),
)
LOCATIONS: tuple[tuple[str, float], ...] = (
    ("London", 0.20),
    ("New York", 0.17),
    ("Bangalore", 0.12),
    ("Berlin", 0.10),
    ("Singapore", 0.08),
    ("Toronto", 0.07),
    ("São Paulo", 0.07),
    ("Sydney", 0.05),
    ("Nairobi", 0.04),
    ("Remote", 0.10),
)
# Share of people at each level besides the chief executive (10) and the department heads (9);
# the other level-9 people are senior vice presidents under their department's head.
LEVEL_WEIGHTS = {1: 17.0, 2: 21.0, 3: 19.0, 4: 15.0, 5: 11.5, 6: 8.0, 7: 5.0, 8: 2.5, 9: 0.35}
# Who manages: everyone from level 7 up, fewer lower down; spans are capped per level.
MANAGER_SHARE = {4: 0.15, 5: 0.4, 6: 0.7, 7: 1.0, 8: 1.0, 9: 1.0, 10: 1.0}
MAX_SPAN = {4: 7, 5: 8, 6: 9, 7: 9, 8: 10, 9: 12, 10: 16}

EMAIL_DOMAIN = "demo.twofold.example"


@dataclass
class DemoPerson:
    employee_id: str
    name: str
    email: str
    title: str
    level: int
    department: str
    location: str
    manager_id: str | None
    hire_date: date
    high_potential: bool = False
    active: bool = True
    skills: list[DemoSkill] = field(default_factory=list)
    attributes: dict[str, object] | None = None


@dataclass(frozen=True)
class DemoEvent:
    employee_id: str
    kind: str  # hire, promotion, level_change, role_change, exit
    effective_date: date
    from_level: int | None = None
    to_level: int | None = None
    from_title: str = ""
    to_title: str = ""


@dataclass
class DemoOrganisation:
    people: list[DemoPerson]
    events: list[DemoEvent]
    skills: tuple[tuple[str, str], ...] = SKILL_TAXONOMY
    as_of: date = field(default_factory=date.today)

    def by_id(self) -> dict[str, DemoPerson]:
        return {person.employee_id: person for person in self.people}


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in options], weights=[weight for _, weight in options])[0]


def _level_counts(total: int) -> dict[int, int]:
    """Largest-remainder split of ``total`` people over the pyramid's levels 1–9."""
    weight_sum = sum(LEVEL_WEIGHTS.values())
    exact = {level: total * weight / weight_sum for level, weight in LEVEL_WEIGHTS.items()}
    counts = {level: int(value) for level, value in exact.items()}
    remainder = total - sum(counts.values())
    for level in sorted(exact, key=lambda level: exact[level] - counts[level], reverse=True)[:remainder]:
        counts[level] += 1
    return counts


def title_for(level: int, department: str, ic_role: str, head_title: str, manages: bool) -> str:
    if level >= 10:
        return "Chief Executive Officer"
    if level == 9:
        return f"Senior Vice President, {department}"
    if level == 8:
        return f"Vice President, {department}"
    if level == 7:
        return f"Director, {department}"
    if manages:
        return {6: f"Senior Manager, {department}", 5: f"Manager, {department}"}.get(level, f"Team Lead, {department}")
    return {
        1: f"Associate {ic_role}",
        2: ic_role,
        3: f"Senior {ic_role}",
        4: f"Lead {ic_role}",
        5: f"Principal {ic_role}",
        6: f"Distinguished {ic_role}",
    }[level]


def generate_organisation(people: int, seed: int = 1, *, as_of: date | None = None) -> DemoOrganisation:
    """Build an organisation of ``people`` people (including ~3 % who have left). O(n log n)."""
    if people < 2:
        raise ValueError("an organisation needs at least 2 people")
    as_of = as_of or date.today()
    rng = random.Random(seed)
    department_count = max(1, min(len(DEPARTMENTS), people // 40))
    departments = DEPARTMENTS[:department_count]
    dept_weights = [share for _, share, _, _ in departments]
    roles = {name: (ic, head) for name, _, ic, head in departments}

    # Levels and departments; the chief executive and one head per department come first.
    rows: list[dict[str, object]] = [{"level": 10, "department": "Executive Office"}]
    rows += [{"level": 9, "department": name} for name, *_ in departments]
    counts = _level_counts(people - len(rows))
    for level, count in counts.items():
        for _ in range(count):
            department = rng.choices([name for name, *_ in departments], weights=dept_weights)[0]
            rows.append({"level": level, "department": department})

    used_emails: set[str] = set()
    population: list[DemoPerson] = []
    genders: list[str] = []
    for index, row in enumerate(rows):
        level = int(row["level"])  # type: ignore[call-overload]
        gender = _gender(rng, level)
        genders.append(gender)
        first = rng.choice(
            WOMEN_FIRST
            if gender == "Woman"
            else MEN_FIRST
            if gender == "Man"
            else NEUTRAL_FIRST + WOMEN_FIRST + MEN_FIRST
        )
        last = rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower().replace("'", "")
        email = f"{base}@{EMAIL_DOMAIN}"
        suffix = 2
        while email in used_emails:
            email = f"{base}{suffix}@{EMAIL_DOMAIN}"
            suffix += 1
        used_emails.add(email)
        population.append(
            DemoPerson(
                employee_id=f"E{index + 1:06d}",
                name=f"{first} {last}",
                email=email,
                title="",
                level=level,
                department=str(row["department"]),
                location="",
                manager_id=None,
                hire_date=as_of,
            )
        )

    _assign_managers(rng, population)
    manages = {person.manager_id for person in population if person.manager_id}
    by_id = {person.employee_id: person for person in population}
    # Top down, so that each manager's location is known before their reports'.
    for person in sorted(population, key=lambda person: -person.level):
        ic_role, head_title = roles.get(person.department, ("Executive Assistant", "Chief Executive Officer"))
        if person.manager_id == population[0].employee_id:
            person.title = head_title
        else:
            person.title = title_for(
                person.level, person.department, ic_role, head_title, person.employee_id in manages
            )
        manager = by_id.get(person.manager_id or "")
        if manager is None:
            person.location = _weighted(rng, LOCATIONS[:2])
        elif manager.location != "Remote" and rng.random() < 0.7:
            person.location = manager.location
        else:
            person.location = _weighted(rng, LOCATIONS)

    events: list[DemoEvent] = []
    for person, gender in zip(population, genders, strict=True):
        _history(rng, person, as_of, roles, events)
        person.skills = skills_for_level(rng, person.level)
        person.attributes = _attributes(rng, person.level, gender, as_of)

    # A few leavers: individual contributors at levels 1–4 who exited in the last three years.
    leavers = [person for person in population if person.employee_id not in manages and person.level <= 4]
    for person in rng.sample(leavers, k=min(len(leavers), round(people * 0.03))):
        person.active = False
        exit_day = max(person.hire_date + timedelta(days=90), as_of - timedelta(days=rng.randint(10, 3 * 365)))
        exit_day = min(exit_day, as_of - timedelta(days=1))
        events.append(DemoEvent(person.employee_id, "exit", exit_day, person.level, None, person.title, ""))

    _flag_high_potential(rng, population, genders, as_of)
    events.sort(key=lambda event: (event.effective_date, event.employee_id, event.kind))
    return DemoOrganisation(people=population, events=events, as_of=as_of)


def _gender(rng: random.Random, level: int) -> str:
    roll = rng.random()
    if roll < 0.015:
        return "Non-binary"
    if roll < 0.035:
        return "Prefer not to say"
    # Women are about half of the entry levels and under a third of the top ones.
    share_women = 0.52 - 0.025 * (level - 1)
    return "Woman" if rng.random() < share_women else "Man"


def _assign_managers(rng: random.Random, population: list[DemoPerson]) -> None:
    """Give everyone but the chief executive a manager a level or more above, in their department."""
    ceo = population[0]
    heads: dict[str, DemoPerson] = {}
    for person in population:
        if person.level == 9 and person.department not in heads:
            heads[person.department] = person
            person.manager_id = ceo.employee_id
        elif person.level == 9:
            person.manager_id = heads[person.department].employee_id
    # Heaps of (reports so far, tie-break, employee id) per department and level, for balanced spans.
    pools: dict[tuple[str, int], list[tuple[int, float, str]]] = {}
    for person in population:
        if person.level < 10 and rng.random() < MANAGER_SHARE.get(person.level, 0.0):
            pools.setdefault((person.department, person.level), []).append((0, rng.random(), person.employee_id))
    for heap in pools.values():
        heapq.heapify(heap)
    ordered = sorted(
        (person for person in population if person.level < 9),
        key=lambda person: (-person.level, rng.random()),
    )
    for person in ordered:
        # The least-loaded manager at each of the next few levels up, weighed by how full they are
        # against their span cap, with a small preference for the nearer level.
        best: tuple[float, int] | None = None
        for manager_level in range(person.level + 1, 10):
            candidates = pools.get((person.department, manager_level))
            if not candidates:
                continue
            step = manager_level - person.level
            load = (candidates[0][0] + 1) / MAX_SPAN[manager_level] + 0.15 * (step - 1) + (1.0 if step > 4 else 0.0)
            if best is None or load < best[0]:
                best = (load, manager_level)
        if best is None:
            person.manager_id = heads[person.department].employee_id
            continue
        heap = pools[(person.department, best[1])]
        reports, tie, manager_id = heapq.heappop(heap)
        heapq.heappush(heap, (reports + 1, tie, manager_id))
        person.manager_id = manager_id


def _history(
    rng: random.Random,
    person: DemoPerson,
    as_of: date,
    roles: dict[str, tuple[str, str]],
    events: list[DemoEvent],
) -> None:
    """Hire date and a career that leads to today's level."""
    typical_years = {1: 1.2, 2: 3.0, 3: 4.5, 4: 6.0, 5: 7.5, 6: 9.0, 7: 11.0, 8: 12.0, 9: 14.0, 10: 16.0}
    years = max(0.1, rng.gauss(typical_years[person.level], typical_years[person.level] * 0.45))
    years = min(years, 26.0)
    person.hire_date = as_of - timedelta(days=int(years * 365.25))
    # Promotions at a pace of one every ~3 years, never more than the levels climbed.
    promotions = min(person.level - 1, max(0, int(years / rng.uniform(2.4, 3.8))))
    start_level = person.level - promotions
    ic_role, head_title = roles.get(person.department, ("Executive Assistant", "Chief Executive Officer"))
    start_title = title_for(start_level, person.department, ic_role, head_title, start_level >= 7)
    events.append(DemoEvent(person.employee_id, "hire", person.hire_date, None, start_level, "", start_title))
    if promotions:
        span_days = (as_of - person.hire_date).days
        days = sorted(rng.sample(range(180, max(181 + promotions, span_days - 30)), promotions))
        level, title = start_level, start_title
        for day in days:
            new_title = (
                person.title
                if level + 1 == person.level
                else title_for(level + 1, person.department, ic_role, head_title, level + 1 >= 7)
            )
            events.append(
                DemoEvent(
                    person.employee_id,
                    "promotion",
                    person.hire_date + timedelta(days=day),
                    level,
                    level + 1,
                    title,
                    new_title,
                )
            )
            level, title = level + 1, new_title
    if years > 2 and rng.random() < 0.12:
        moved = as_of - timedelta(days=rng.randint(60, int(min(years, 6) * 365)))
        events.append(DemoEvent(person.employee_id, "role_change", moved, person.level, person.level, "", person.title))
    if years > 3 and rng.random() < 0.03:
        regraded = as_of - timedelta(days=rng.randint(30, 700))
        events.append(
            DemoEvent(
                person.employee_id,
                "level_change",
                regraded,
                person.level,
                person.level,
                person.title,
                person.title,
            )
        )


def _attributes(rng: random.Random, level: int, gender: str, as_of: date) -> dict[str, object] | None:
    if rng.random() < 0.15:
        return None  # has not self-identified
    age = max(20, round(rng.gauss(23 + 3.1 * (level - 1), 5)))
    ethnicity_weights = tuple(
        (name, weight * (1.0 + 0.04 * (level - 1) if name == "White" else 1.0)) for name, weight in ETHNICITIES
    )
    return {
        "gender": gender,
        "ethnicity": _weighted(rng, ethnicity_weights),
        "birth_year": as_of.year - age,
        "disability": _weighted(rng, DISABILITY),
    }


def _flag_high_potential(rng: random.Random, population: list[DemoPerson], genders: list[str], as_of: date) -> None:
    eligible = [
        (person, gender)
        for person, gender in zip(population, genders, strict=True)
        if person.active and 2 <= person.level <= 7 and (as_of - person.hire_date).days >= 365
    ]
    if not eligible:
        return
    # Talent reviews tend to flag women a little less often: the gap sponsorship fairness addresses.
    weights = [0.8 if gender == "Woman" else 1.0 for _, gender in eligible]
    target = max(1, round(len(eligible) * 0.10))
    scored = sorted(range(len(eligible)), key=lambda index: rng.random() ** (1.0 / weights[index]), reverse=True)
    for index in scored[:target]:
        eligible[index][0].high_potential = True


def organisation_table(organisation: DemoOrganisation) -> Table:
    """The organisation as an import table in Twofold's own layout, restricted columns included."""
    # Twofold's own layout (what export-people writes), whose order the cells below follow.
    columns = [name for name in PERSON_FIELDS if name != "birth_date"]
    rows = []
    for number, person in enumerate(organisation.people, start=2):
        teach = ";".join(f"{skill.name}:{skill.proficiency}" for skill in person.skills if skill.can_teach)
        learn = ";".join(f"{skill.name}:{skill.proficiency}" for skill in person.skills if skill.wants_to_learn)
        other = ";".join(
            f"{skill.name}:{skill.proficiency}"
            for skill in person.skills
            if not skill.can_teach and not skill.wants_to_learn
        )
        attributes = person.attributes or {}
        rows.append(
            (
                number,
                [
                    person.employee_id,
                    person.name,
                    person.email,
                    person.title,
                    str(person.level),
                    person.department,
                    person.location,
                    person.manager_id or "",
                    person.hire_date.isoformat(),
                    "yes" if person.high_potential else "no",
                    "yes" if person.active else "no",
                    teach,
                    learn,
                    other,
                    str(attributes.get("gender", "")),
                    str(attributes.get("ethnicity", "")),
                    str(attributes.get("birth_year", "")),
                    str(attributes.get("disability", "")),
                ],
            )
        )
    return Table(source="demo organisation", format="generated", columns=columns, rows=rows, encoding=None)
