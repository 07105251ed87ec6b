"""Ana's life in Twofold: everything a data-subject request has to find (and erasure to remove)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import Cast
from tests.factories import ProgrammeFactory, SkillFactory, acting
from tests.relationships.pairing import DAY, NOW, pair_up
from twofold.people.models import CareerEvent, PersonSkill, SelfIdentification
from twofold.relationships.models import CheckIn, Concern, Meeting, Relationship
from twofold.relationships.services import check_in_submit, concern_raise, meeting_log


@dataclass
class Story:
    relationship: Relationship
    meeting: Meeting
    check_in: CheckIn
    concern: Concern


@pytest.fixture
def story(cast: Cast) -> Story:
    programme = ProgrammeFactory(name="Digital fluency", managers=[cast.programme_manager])
    relationship = pair_up(programme, cast.ana, cast.vp_sales)
    relationship.agreement.goals = "Ana teaches Vera prompt writing"
    relationship.agreement.save()
    SelfIdentification.objects.create(person=cast.ana, gender="Woman", birth_year=1999)
    PersonSkill.objects.create(
        person=cast.ana, skill=SkillFactory(name="Prompt writing"), proficiency=4, can_teach=True
    )
    CareerEvent.objects.create(
        person=cast.ana,
        kind="promotion",
        effective_date=NOW.date(),
        from_level=1,
        to_level=2,
        to_title="Engineer II",
        note="Fast riser",
    )
    meeting = meeting_log(
        relationship=relationship,
        actor=acting(cast.ana),
        person=cast.ana,
        starts_at=NOW + DAY,
        shared_note="We covered prompts",
        private_note="Vera seemed distracted",
        now=NOW + 2 * DAY,
    )
    # Vera's own private note on the same meeting is hers, not Ana's.
    meeting_log(
        relationship=relationship,
        actor=acting(cast.vp_sales),
        person=cast.vp_sales,
        starts_at=NOW + 3 * DAY,
        private_note="Vera's secret",
        now=NOW + 4 * DAY,
    )
    check_in = check_in_submit(
        relationship=relationship,
        actor=acting(cast.ana),
        person=cast.ana,
        point="fit",
        satisfaction=4,
        psychological_safety=5,
        progress=3,
        comment="Going well",
        now=NOW + 5 * DAY,
    )
    concern = concern_raise(
        relationship=relationship, actor=acting(cast.ana), person=cast.ana, text="Vera cancels a lot"
    )
    return Story(relationship=relationship, meeting=meeting, check_in=check_in, concern=concern)
