"""Who the partner is: what one of a pair sees of the other before accepting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    return enrolment_profiles(own=mine, partners=[theirs])[theirs.pk]


def enrolment_profiles(*, own: Enrolment, partners: Sequence[Enrolment]) -> dict[int, PartnerProfile]:
    """Each of ``partners`` (enrolments) as ``own``'s enrolment sees them, by enrolment id: on a pair's
    page, and on the partners a mentee may choose from. Two queries, however many partners."""
    ids = [enrolment.pk for enrolment in partners]
    focus: dict[int, list[Skill]] = {pk: [] for pk in ids}
    for row in (
        Enrolment.focus_skills.through.objects.filter(enrolment_id__in=ids)
        .select_related("skill")
        .order_by("skill__name")
    ):
        focus[row.enrolment_id].append(row.skill)
    skills: dict[int, list[PersonSkill]] = {}
    for skill in (
        PersonSkill.objects.filter(person_id__in=[enrolment.person_id for enrolment in partners])
        .select_related("skill")
        .order_by("skill__name")
    ):
        skills.setdefault(skill.person_id, []).append(skill)
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
