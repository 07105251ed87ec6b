"""Who the partner is: what one of a pair sees of the other before accepting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from twofold.accounts.kept_queries import KeptQuery
from twofold.people.models import PersonSkill, Skill
from twofold.programmes.forms import AVAILABILITY_CHOICES, availability_bits
from twofold.programmes.models import Enrolment
from twofold.relationships.models import Relationship
from twofold.relationships.selectors.page import RelationshipPage


@dataclass(frozen=True)
class PartnerProfile:
    """What one of a pair sees of their partner before accepting: what the partner wrote when they
    joined (goals, the skills they want to work on, when they can meet) and the skills on their profile
    they can teach or want to learn. Nothing the partner did not give for the programme or their profile."""

    goals: str
    focus_skills: list[Skill]
    can_teach: list[Skill]
    wants_to_learn: list[Skill]
    availability: list[str]  # e.g. "Monday morning"
    shared_availability: list[str]  # the times both of them are free


def partner_profile(page: RelationshipPage) -> PartnerProfile:
    """The partner as the viewer sees them on the pair's page: two queries, and one more when the
    page's relationship came without its enrolments."""
    relationship = page.relationship
    if not (
        Relationship.mentor_enrolment.is_cached(relationship) and Relationship.mentee_enrolment.is_cached(relationship)
    ):
        both = Enrolment.objects.in_bulk([relationship.mentor_enrolment_id, relationship.mentee_enrolment_id])
        relationship.mentor_enrolment = both[relationship.mentor_enrolment_id]
        relationship.mentee_enrolment = both[relationship.mentee_enrolment_id]
    mine, theirs = (
        (relationship.mentor_enrolment, relationship.mentee_enrolment)
        if page.viewer_role == "mentor"
        else (relationship.mentee_enrolment, relationship.mentor_enrolment)
    )
    # One partner: the reads of enrolment_profiles for one enrolment and one person, kept.
    focus = [row.skill for row in PARTNER_FOCUS_SKILLS.objects(theirs.pk)]
    skills = PARTNER_SKILLS.objects(theirs.person_id)
    return _profiles(own=mine, partners=[theirs], focus={theirs.pk: focus}, skills={theirs.person_id: skills})[
        theirs.pk
    ]


def _focus_skills(*enrolment_ids: int) -> QuerySet[Any]:
    """The skills each of ``enrolment_ids`` wants to work on, by name."""
    return (
        Enrolment.focus_skills.through.objects.filter(enrolment_id__in=enrolment_ids)
        .select_related("skill")
        .order_by("skill__name")
    )


def _person_skills(*person_ids: int) -> QuerySet[PersonSkill]:
    """The skills on the profiles of ``person_ids``, by name."""
    return PersonSkill.objects.filter(person_id__in=person_ids).select_related("skill").order_by("skill__name")


def _one_id_samples() -> tuple[tuple[int], tuple[int]]:
    return (1,), (2,)


# The pair's page draws one partner's profile on every request: the two reads kept (KeptQuery).
PARTNER_FOCUS_SKILLS = KeptQuery(
    Enrolment.focus_skills.through, _focus_skills, parameters=("enrolment",), samples=_one_id_samples
)
PARTNER_SKILLS = KeptQuery(PersonSkill, _person_skills, parameters=("person",), samples=_one_id_samples)


def enrolment_profiles(*, own: Enrolment, partners: Sequence[Enrolment]) -> dict[int, PartnerProfile]:
    """Each of ``partners`` (enrolments) as ``own``'s enrolment sees them, by enrolment id: on a pair's
    page, and on the partners a mentee may choose from. Two queries, however many partners."""
    ids = [enrolment.pk for enrolment in partners]
    focus: dict[int, list[Skill]] = {pk: [] for pk in ids}
    for row in _focus_skills(*ids):
        focus[row.enrolment_id].append(row.skill)
    skills: dict[int, list[PersonSkill]] = {}
    for skill in _person_skills(*[enrolment.person_id for enrolment in partners]):
        skills.setdefault(skill.person_id, []).append(skill)
    return _profiles(own=own, partners=partners, focus=focus, skills=skills)


def _profiles(
    *,
    own: Enrolment,
    partners: Sequence[Enrolment],
    focus: dict[int, list[Skill]],
    skills: dict[int, list[PersonSkill]],
) -> dict[int, PartnerProfile]:
    """Each of ``partners`` from their focus skills (by enrolment) and profile skills (by person)."""
    labels = dict(AVAILABILITY_CHOICES)
    own_times = set(availability_bits(own.availability))
    profiles = {}
    for enrolment in partners:
        rows = skills.get(enrolment.person_id, [])
        partner_times = availability_bits(enrolment.availability)
        profiles[enrolment.pk] = PartnerProfile(
            goals=enrolment.goals,
            focus_skills=focus[enrolment.pk],
            can_teach=[row.skill for row in rows if row.can_teach],
            wants_to_learn=[row.skill for row in rows if row.wants_to_learn],
            availability=[labels[bit] for bit in partner_times],
            shared_availability=[labels[bit] for bit in partner_times if bit in own_times],
        )
    return profiles
