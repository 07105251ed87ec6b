"""A participant sees their own progress on *My programmes*: time in each programme, meetings
held, the skills they gained and how many they passed on."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import MeetingFactory, ProgrammeFactory, RelationshipFactory, SkillFactory
from tests.people.test_views import signed_in
from twofold.relationships.models import Direction, KnowledgeTransfer, RelationshipState


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_each_side_sees_its_own_progress(cast: Cast) -> None:
    started = timezone.now() - timedelta(days=92)
    pair = RelationshipFactory(
        programme=ProgrammeFactory(name="Digital fluency"),
        state=RelationshipState.ACTIVE,
        proposed_at=started,
        mentor_enrolment__person=cast.ana,
        mentee_enrolment__person=cast.vp_tech,
    )
    for days in (10, 24, 38):
        MeetingFactory(relationship=pair, starts_at=started + timedelta(days=days))
    for name, direction in (
        ("Generative AI", Direction.MENTOR_TO_MENTEE),
        ("Storytelling", Direction.MENTEE_TO_MENTOR),
    ):
        KnowledgeTransfer.objects.create(
            relationship=pair,
            skill=SkillFactory(name=name),
            direction=direction,
            proficiency_before=1,
            proficiency_after=3,
            recorded_on=timezone.localdate(),
        )
    senior = _text(signed_in(cast.vp_tech_user).get(reverse("relationships:mine")).content.decode())
    assert "My progress" in senior
    assert "Digital fluency" in senior and "3 months" in senior
    assert "Generative AI (1 → 3 of 4)" in senior and "Storytelling (1" not in senior
    html = signed_in(cast.ana_user).get(reverse("relationships:mine")).content.decode()
    junior = _text(html)
    assert "Storytelling (1 → 3 of 4)" in junior and "Generative AI (1" not in junior
    # Three months in, three meetings held, one skill passed on.
    assert re.search(r"<td>3 months</td>\s*<td>3</td>\s*<td>Storytelling \(1 → 3 of 4\)</td>\s*<td>1</td>", html)


def test_nobody_paired_sees_no_progress_section(cast: Cast) -> None:
    page = signed_in(cast.ben_user).get(reverse("relationships:mine")).content.decode()
    assert "My progress" not in page
