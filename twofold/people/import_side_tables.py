"""What an import of people writes beside the people themselves: their skills, and the attributes
they self-identify with. Each is planned against the directory first (what would change), then
written in bulk; :mod:`twofold.people.import_writes` calls them from its plan and its write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from twofold.people.bulk import bulk_insert_rows, bulk_update_columns
from twofold.people.importing import PersonRecord
from twofold.people.models import PersonSkill, SelfIdentification, Skill, SkillCategory

if TYPE_CHECKING:
    from twofold.people.import_writes import Progress, _Current

ATTRIBUTE_FIELDS = ("gender", "ethnicity", "birth_year", "disability")
# Rows read or written per statement by an import.
CHUNK = 5000


@dataclass
class _SkillPlan:
    changed: set[str]
    new_names: dict[str, str]  # casefolded → display name
    skill_ids: dict[str, int]  # casefolded → pk of existing skills
    existing: set[str]  # employee ids of people already in the directory


def _plan_skills(records: dict[str, PersonRecord], current: dict[str, _Current]) -> _SkillPlan:
    skill_ids = {name.casefold(): pk for pk, name in Skill.objects.values_list("pk", "name")}
    names = {pk: key for key, pk in skill_ids.items()}
    held: dict[int, set[tuple[str, int, bool, bool]]] = {}
    pk_to_eid = {person.pk: eid for eid, person in current.items() if eid in records}
    rows = PersonSkill.objects.values_list("person_id", "skill_id", "proficiency", "can_teach", "wants_to_learn")
    for person_id, skill_id, proficiency, can_teach, wants_to_learn in rows.order_by().iterator(chunk_size=CHUNK):
        if person_id in pk_to_eid:
            held.setdefault(person_id, set()).add((names[skill_id], proficiency, can_teach, wants_to_learn))
    changed = set()
    new_names: dict[str, str] = {}
    for employee_id, record in records.items():
        wanted = {
            (key, entry.proficiency, entry.can_teach, entry.wants_to_learn)
            for key, entry in (record.skills or {}).items()
        }
        for key, entry in (record.skills or {}).items():
            if key not in skill_ids and key not in new_names:
                new_names[key] = entry.name
        person = current.get(employee_id)
        if person is None:
            if wanted:
                changed.add(employee_id)
        elif held.get(person.pk, set()) != wanted:
            changed.add(employee_id)
    return _SkillPlan(changed=changed, new_names=new_names, skill_ids=skill_ids, existing=set(current))


def _write_skills(plan: _SkillPlan, records: dict[str, PersonRecord], pks: dict[str, int], progress: Progress) -> None:
    if plan.new_names:
        created = Skill.objects.bulk_create(
            [Skill(name=name, category=SkillCategory.OTHER) for name in plan.new_names.values()]
        )
        for skill in created:
            plan.skill_ids[skill.name.casefold()] = skill.pk
    if not plan.changed:
        return
    progress.stage("Writing skills", len(plan.changed))
    person_ids = sorted(pks[eid] for eid in plan.changed if eid in plan.existing)
    for start in range(0, len(person_ids), CHUNK):
        PersonSkill.objects.filter(person_id__in=person_ids[start : start + CHUNK]).delete()

    def rows() -> Iterator[tuple[int, int, int, bool, bool]]:
        for count, employee_id in enumerate(sorted(plan.changed), start=1):
            for key, entry in (records[employee_id].skills or {}).items():
                yield (pks[employee_id], plan.skill_ids[key], entry.proficiency, entry.can_teach, entry.wants_to_learn)
            if count % 1000 == 0:
                progress.advance(1000)

    bulk_insert_rows(PersonSkill, ["person", "skill", "proficiency", "can_teach", "wants_to_learn"], rows())


def _plan_attributes(records: dict[str, PersonRecord], current: dict[str, _Current]) -> set[str]:
    pk_to_eid = {person.pk: eid for eid, person in current.items() if eid in records}
    stored: dict[str, dict[str, Any]] = {}
    rows = SelfIdentification.objects.values_list("person_id", *ATTRIBUTE_FIELDS).order_by()
    for person_id, *values in rows.iterator(chunk_size=CHUNK):
        if person_id in pk_to_eid:
            stored[pk_to_eid[person_id]] = dict(zip(ATTRIBUTE_FIELDS, values, strict=True))
    # Someone who withdrew their consent gets no values back from the HRIS's file.
    withdrawn = set(SelfIdentification.objects.filter(withdrawn_at__isnull=False).values_list("person_id", flat=True))
    changed = set()
    for employee_id, record in records.items():
        given = record.attributes or {}
        if employee_id in current and current[employee_id].pk in withdrawn:
            continue
        before = stored.get(employee_id)
        if before is None:
            if any(value not in ("", None) for value in given.values()):
                changed.add(employee_id)
        elif any(before[name] != value for name, value in given.items()):
            changed.add(employee_id)
    return changed


def _write_attributes(
    changed: set[str], fields: list[str], records: dict[str, PersonRecord], pks: dict[str, int]
) -> None:
    if not changed:
        return
    existing_ids = set(SelfIdentification.objects.values_list("person_id", flat=True).order_by())
    blank = {name: None if name == "birth_year" else "" for name in ATTRIBUTE_FIELDS}
    create_rows = []
    update_rows = []
    for employee_id in sorted(changed):
        attributes = records[employee_id].attributes or {}
        if pks[employee_id] in existing_ids:
            update_rows.append((pks[employee_id], *(attributes.get(name) for name in fields)))
        else:
            create_rows.append((pks[employee_id], *({**blank, **attributes}[name] for name in ATTRIBUTE_FIELDS)))
    now = timezone.now()
    bulk_insert_rows(
        SelfIdentification,
        ["person", *ATTRIBUTE_FIELDS, "updated_at"],
        [(*row, now) for row in create_rows],
    )
    bulk_update_columns(SelfIdentification, [*fields, "updated_at"], [(*row, now) for row in update_rows])
