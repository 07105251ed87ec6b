"""From people as records (a spreadsheet row, an HRIS export, the demo organisation) to arrays.

:func:`build_problem` turns :class:`PersonRecord` objects - everyone in the organisation, with the
role each has in the programme, if any - into a :class:`~twofold.matching.participants.MatchProblem`:
shared vocabularies for skills, departments, locations, groups and availability slots, the
reporting tree over everyone (people outside the programme still link their reports to their
managers), and pair lists by employee id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sps

from twofold.matching.arguments import LARGEST_WHOLE, is_whole
from twofold.matching.participants import MatchProblem, Side
from twofold.matching.policy import Policy
from twofold.matching.tree import ReportingTree

LEFT_ROLES = {"reverse-mentoring": ("mentor",), "sponsorship": ("sponsor",)}
RIGHT_ROLES = {"reverse-mentoring": ("mentee",), "sponsorship": ("protege", "protégé")}
MAX_SLOTS = 64


@dataclass
class PersonRecord:
    """One person. ``role`` is None for people outside the programme (they still shape the tree).

    ``teach``/``learn`` map skill names to proficiency 0-4. ``capacity`` None means the policy's
    default for mentors and sponsors, 1 for mentees and protégés. ``do_not_pair``,
    ``previous_partners`` and ``locked_partners`` hold employee ids.
    """

    employee_id: str
    level: int
    manager_id: str | None = None
    role: str | None = None
    department: str = ""
    location: str = ""
    capacity: int | None = None
    teach: dict[str, int] = field(default_factory=dict)
    learn: dict[str, int] = field(default_factory=dict)
    high_potential: bool = False
    group: str = ""
    aspiration: str = ""
    domain: str = ""
    availability: tuple[str, ...] = ()
    do_not_pair: tuple[str, ...] = ()
    previous_partners: tuple[str, ...] = ()
    locked_partners: tuple[str, ...] = ()


class RosterError(ValueError):
    """The records do not make a valid problem; ``problems`` is a list of (employee id, message),
    the id None for a problem of the records as a whole (more than 64 availability slots)."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        self.problems = problems
        super().__init__("; ".join(message if who is None else f"{who}: {message}" for who, message in problems))


@dataclass(frozen=True)
class Roster:
    """The built problem and the vocabularies its codes refer to."""

    problem: MatchProblem
    departments: tuple[str, ...]
    locations: tuple[str, ...]
    slots: tuple[str, ...]


class _Vocabulary:
    def __init__(self, names: Iterable[str]):
        self.names = tuple(sorted({name for name in names if name}))
        self.index = {name: position for position, name in enumerate(self.names)}

    def codes(self, values: Iterable[str]) -> np.ndarray:
        return np.fromiter((self.index.get(value, -1) for value in values), dtype=np.int64)


def build_problem(records: Sequence[PersonRecord], policy: Policy) -> Roster:
    """Arrays for a match run of ``policy.kind`` among ``records``. O(people + skills listed).

    Raises :class:`RosterError` for values of the wrong kind (a level of 5.5 or "5", a proficiency
    outside 0-4, a single string where a list of slots or ids belongs), unknown roles, more than 64
    availability slots and pair lists naming people who are not on the other side;
    :class:`~twofold.matching.tree.TreeError` for a broken management tree.
    """
    kind = policy.kind
    problems = _value_problems(records)
    if problems and _misshapen(records):
        raise RosterError(problems)
    left_people = [r for r in records if r.role in LEFT_ROLES[kind]]
    right_people = [r for r in records if r.role in RIGHT_ROLES[kind]]
    problems += _role_problems(records, kind)

    tree = ReportingTree.from_managers([r.employee_id for r in records], [r.manager_id for r in records])
    node_of = {record.employee_id: position for position, record in enumerate(records)}
    skills = _Vocabulary(name for r in (*left_people, *right_people) for name in (*r.teach, *r.learn))
    domains = _Vocabulary(
        name for r in (*left_people, *right_people) for name in (r.department, r.aspiration, r.domain)
    )
    locations = _Vocabulary(r.location for r in (*left_people, *right_people))
    groups = _Vocabulary(r.group for r in right_people)
    slots = _Vocabulary(slot for r in (*left_people, *right_people) for slot in r.availability)
    problems += _slot_problems(slots)
    if problems:
        raise RosterError(problems)

    def side(people: list[PersonRecord], default_capacity: int) -> Side:
        n = len(people)
        teach = _skill_matrix(people, skills, teaching=True)
        learn = _skill_matrix(people, skills, teaching=False)
        availability = np.zeros(n, dtype=np.uint64)
        for position, person in enumerate(people):
            mask = 0
            for slot in person.availability:
                mask |= 1 << slots.index[slot]
            availability[position] = mask
        return Side.create(
            [p.employee_id for p in people],
            level=[p.level for p in people],
            n_skills=len(skills.names),
            capacity=[default_capacity if p.capacity is None else p.capacity for p in people],
            department=domains.codes(p.department for p in people),
            location=locations.codes(p.location for p in people),
            teach=teach,
            learn=learn,
            availability=availability,
            aspiration=domains.codes(p.aspiration for p in people),
            domain=domains.codes(p.domain or p.department for p in people),
            node=[node_of[p.employee_id] for p in people],
            group=groups.codes(p.group for p in people),
            high_potential=[p.high_potential for p in people],
        )

    # Mentors and sponsors get the programme's default seats; mentees and protégés one each.
    left, right = side(left_people, policy.default_capacity), side(right_people, 1)
    left_at = {p.employee_id: i for i, p in enumerate(left_people)}
    right_at = {p.employee_id: j for j, p in enumerate(right_people)}
    lists = {
        name: _pairs(left_people, right_people, left_at, right_at, name, problems)
        for name in ("do_not_pair", "previous_partners", "locked_partners")
    }
    if problems:
        raise RosterError(problems)
    problem = MatchProblem(
        left=left,
        right=right,
        policy=policy,
        tree=tree,
        skills=skills.names,
        groups=groups.names,
        do_not_pair=lists["do_not_pair"],
        previous_pairs=lists["previous_partners"],
        locked_pairs=lists["locked_partners"],
    )
    return Roster(problem=problem, departments=domains.names, locations=locations.names, slots=slots.names)


def roster_problems(records: Sequence[PersonRecord], kind: str) -> list[tuple[str | None, str]]:
    """What :func:`build_problem` refuses in ``records`` without looking at the reporting tree, as
    (employee id or None, message): values of the wrong kind, roles that are not ``kind``'s, more
    than 64 availability slots. For a caller that names every problem at once, even when the tree
    is broken too (a file with an unknown manager or a loop of managers)."""
    problems = _value_problems(records)
    if problems and _misshapen(records):
        return problems
    roles = {*LEFT_ROLES[kind], *RIGHT_ROLES[kind]}
    slots = _Vocabulary(slot for r in records if r.role in roles for slot in r.availability)
    return [*problems, *_role_problems(records, kind), *_slot_problems(slots)]


def _value_problems(records: Sequence[PersonRecord]) -> list[tuple[str | None, str]]:
    return [
        (str(record.employee_id), problem)
        for record in records
        if not _plain(record)
        for problem in _record_problems(record)
    ]


def _misshapen(records: Sequence[PersonRecord]) -> bool:
    """Whether a record's skills, texts or lists are of a kind the vocabularies cannot be built from
    (then only the value problems can be named). A level or capacity out of range, a proficiency
    outside 0-4 or a high_potential that is not a bool still lets roles and slots be checked."""
    return any(
        not isinstance(record.teach, Mapping)
        or not isinstance(record.learn, Mapping)
        or not all(isinstance(getattr(record, name), str) for name in _TEXT_FIELDS)
        or not all(_is_list(getattr(record, name)) for name in _LIST_FIELDS)
        for record in records
        if not _plain(record)
    )


def _is_list(items: object) -> bool:
    return isinstance(items, Iterable) and not isinstance(items, str | bytes)


def _role_problems(records: Sequence[PersonRecord], kind: str) -> list[tuple[str | None, str]]:
    allowed_roles = {*LEFT_ROLES[kind], *RIGHT_ROLES[kind], None, ""}
    roles = ", ".join(sorted(role for role in allowed_roles if role))
    return [
        (record.employee_id, f"role '{record.role}' is not one of {roles} (or empty)")
        for record in records
        if record.role not in allowed_roles
    ]


def _slot_problems(slots: _Vocabulary) -> list[tuple[str | None, str]]:
    """A problem of the records as a whole (None, not an employee id: anyone's id may be "availability")."""
    if len(slots.names) > MAX_SLOTS:
        return [(None, f"{len(slots.names)} different availability slots; at most {MAX_SLOTS} are supported")]
    return []


_PROFICIENCIES = frozenset(range(5))
_TEXT_FIELDS = ("department", "location", "group", "aspiration", "domain")
_LIST_FIELDS = ("availability", "do_not_pair", "previous_partners", "locked_partners")


def _plain(record: PersonRecord) -> bool:
    """Whether every value of ``record`` has its usual type and range (an ``int`` level, text,
    tuples, a dict of ``int`` proficiencies 0-4, a ``bool``): then :func:`_record_problems` would
    find nothing. A few type tests per record, so that 300,000 records take a fraction of a second;
    anything else gets the full check."""
    level, capacity = record.level, record.capacity
    return (
        type(level) is int
        and -LARGEST_WHOLE <= level <= LARGEST_WHOLE
        and (capacity is None or (type(capacity) is int and 0 <= capacity <= LARGEST_WHOLE))
        and type(record.high_potential) is bool
        and type(record.department) is str
        and type(record.location) is str
        and type(record.group) is str
        and type(record.aspiration) is str
        and type(record.domain) is str
        and type(record.availability) is tuple
        and type(record.do_not_pair) is tuple
        and type(record.previous_partners) is tuple
        and type(record.locked_partners) is tuple
        and _plain_skills(record.teach)
        and _plain_skills(record.learn)
    )


def _plain_skills(skills: object) -> bool:
    if type(skills) is not dict:
        return False
    if not skills:
        return True
    values = skills.values()
    return all(type(value) is int for value in values) and _PROFICIENCIES.issuperset(values)


def _record_problems(record: PersonRecord) -> list[str]:
    """What is wrong with one record's values, each naming the field."""
    problems = []
    if not is_whole(record.level) or abs(int(record.level)) > LARGEST_WHOLE:
        problems.append(
            f"level must be a whole number from -{LARGEST_WHOLE:,} to {LARGEST_WHOLE:,}, not {record.level!r}"
        )
    if record.capacity is not None and (
        not is_whole(record.capacity) or not 0 <= int(record.capacity) <= LARGEST_WHOLE
    ):
        problems.append(f"capacity must be a whole number from 0 to {LARGEST_WHOLE:,}, not {record.capacity!r}")
    for name in ("teach", "learn"):
        skills = getattr(record, name)
        if not isinstance(skills, Mapping):
            problems.append(f"{name} must map skill names to a proficiency 0-4, not {skills!r}")
            continue
        for skill, proficiency in skills.items():
            if not is_whole(proficiency) or not 0 <= int(proficiency) <= 4:
                problems.append(f"{name}: proficiency of {skill!r} must be 0, 1, 2, 3 or 4, not {proficiency!r}")
    for name in _LIST_FIELDS:
        items = getattr(record, name)
        if not _is_list(items):
            problems.append(f"{name} must be a list of names, not the single value {items!r}")
    for name in _TEXT_FIELDS:
        if not isinstance(getattr(record, name), str):
            problems.append(f"{name} must be text, not {getattr(record, name)!r}")
    if not isinstance(record.high_potential, bool | np.bool_):
        problems.append(f"high_potential must be True or False, not {record.high_potential!r}")
    return problems


def _skill_matrix(people: list[PersonRecord], skills: _Vocabulary, *, teaching: bool) -> sps.csr_array:
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    for position, person in enumerate(people):
        for name, proficiency in (person.teach if teaching else person.learn).items():
            value = proficiency / 4 if teaching else 1 - proficiency / 5
            if value > 0:
                rows.append(position)
                cols.append(skills.index[name])
                data.append(value)
    return sps.csr_array((data, (rows, cols)), shape=(len(people), len(skills.names)))


def _pairs(
    left_people: list[PersonRecord],
    right_people: list[PersonRecord],
    left_at: dict[str, int],
    right_at: dict[str, int],
    name: str,
    problems: list[tuple[str | None, str]],
) -> np.ndarray:
    """Pairs named from either side; a name on the same side or unknown is an error for locks only.

    Do-not-pair and previous-partner lists may name anyone (a colleague outside the programme is
    simply irrelevant); a locked partner must be on the other side.
    """
    found: set[tuple[int, int]] = set()
    for people, own, other, left_side in (
        (left_people, left_at, right_at, True),
        (right_people, right_at, left_at, False),
    ):
        for person in people:
            for partner in getattr(person, name):
                if partner in other:
                    me, them = own[person.employee_id], other[partner]
                    found.add((me, them) if left_side else (them, me))
                elif name == "locked_partners":
                    problems.append((person.employee_id, f"locked partner '{partner}' is not on the other side"))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.array(sorted(found), dtype=np.int64)
