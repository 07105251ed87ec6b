"""Hole 10: two "my skills" saves at once (two tabs, a double click) ended in a 500 on PostgreSQL.

Both deleted the old rows and both inserted the new ones, so the second insert broke the
one-row-per-skill constraint. Now the saves take turns and the later one wins whole.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import Cast
from tests.factories import SkillFactory, acting
from tests.interleave import interleave
from twofold.people.models import PersonSkill
from twofold.people.services import SkillChoice, person_skills_set


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers")
def test_hole_10_simultaneous_my_skills_saves_both_succeed_and_the_later_wins_whole(cast: Cast) -> None:
    python, sql, design = SkillFactory(name="Python"), SkillFactory(name="SQL"), SkillFactory(name="Design")
    person_skills_set(actor=acting(cast.ana), person=cast.ana, choices=[SkillChoice(design.pk, 1, False, True)])
    first_tab = [SkillChoice(python.pk, 3, True, False), SkillChoice(sql.pk, 2, True, False)]
    second_tab = [SkillChoice(python.pk, 4, True, False)]

    outcomes = interleave(
        lambda: person_skills_set(actor=acting(cast.ana), person=cast.ana, choices=first_tab),
        lambda: person_skills_set(actor=acting(cast.ana), person=cast.ana, choices=second_tab),
        refusals=(ValueError,),
    )

    assert outcomes == ("ok", "ok")
    held = set(PersonSkill.objects.filter(person=cast.ana).values_list("skill__name", "proficiency", "can_teach"))
    assert held == {("Python", 4, True)}
