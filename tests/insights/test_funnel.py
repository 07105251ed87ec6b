"""Reach, funnel and equity of access: counts through the privacy module, the four-fifths rule."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import EnrolmentFactory, PersonFactory, ProgrammeFactory, RelationshipFactory
from tests.people.test_views import signed_in
from twofold.insights.funnel import FOUR_FIFTHS, STEP_NAMES, programme_funnel
from twofold.people.models import Person, SelfIdentification
from twofold.programmes.models import EnrolmentRole, EnrolmentStatus, Programme
from twofold.relationships.models import RelationshipState


def person(gender: str) -> Person:
    someone = PersonFactory(level=3, department="Sales")
    SelfIdentification.objects.create(person=someone, gender=gender)
    return someone


@pytest.fixture
def programme(cast: Cast) -> Programme:
    """Thirteen women (ten enrolled, eight paired), twelve men (six enrolled, three paired), four
    non-binary people (two enrolled): a group of four that must never show, and six who describe
    themselves otherwise, the next smallest group, hidden with it."""
    programme = ProgrammeFactory(sponsorship=True, name="Rising leaders", mentor_min_level=9)
    programme.managers.set([cast.programme_manager])
    women = [person("Woman") for _ in range(13)]
    for _ in range(6):
        person("Self-described")
    men = [person("Man") for _ in range(12)]
    others = [person("Non-binary") for _ in range(4)]
    for people, enrolled, paired in ((women, 10, 8), (men, 6, 3), (others, 2, 1)):
        for index, someone in enumerate(people[:enrolled]):
            if index < paired:
                RelationshipFactory(
                    programme=programme,
                    state=RelationshipState.ACTIVE,
                    mentee_enrolment__person=someone,
                    mentor_enrolment__person__level=9,
                )
            else:
                EnrolmentFactory(
                    programme=programme, person=someone, role=EnrolmentRole.MENTEE, status=EnrolmentStatus.ACTIVE
                )
    return programme


def test_counts_and_the_four_fifths_rule(programme: Programme) -> None:
    funnel = programme_funnel(programme, start=None, side="protégés", field="mentee")
    gender = next(table for table in funnel.splits if table.title.startswith("By gender"))
    rows = {row.group: row for row in gender.rows}
    assert "Non-binary" not in rows and "Self-described" not in rows  # four, and the next smallest
    woman, man = rows["Woman"], rows["Man"]
    invited = STEP_NAMES.index("invited")
    paired = STEP_NAMES.index("accepted")
    # Three men paired are fewer than k: hidden, and the women's eight beside them (rule 5 of the
    # privacy module); the column's total of twelve leaves the hidden cells twelve together.
    assert [woman.cells[i].count.value for i in (0, invited, paired)] == [13, 10, None]
    assert [man.cells[i].count.value for i in (0, invited, paired)] == [12, 6, None]
    assert gender.total[paired].value == 12
    # Invited: men 6/12 against women's 10/13 → 0.65, under four fifths.
    assert man.cells[invited].impact_ratio == pytest.approx(0.5 / (10 / 13))
    assert man.cells[invited].flagged and not woman.cells[invited].flagged
    assert woman.cells[invited].impact_ratio == pytest.approx(1.0)
    # Paired: no ratio from hidden counts.
    assert man.cells[paired].impact_ratio is None and FOUR_FIFTHS == 0.8
    assert gender.note  # the page says why some groups are missing


def test_the_page_shows_equity_without_a_group_of_four(cast: Cast, programme: Programme) -> None:
    response = signed_in(cast.programme_manager).get(reverse("insights:programme", args=[programme.pk]))
    html = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Equity of access" in text and "By gender (self-identified)" in text
    assert "Non-binary" not in html and "Self-described" not in html
    assert "Man at “Invited or applied” (0.65)" in html
    assert "No match run of this programme had a fairness target." in text
    # An executive sees the same; an employee nothing.
    assert (
        "Equity of access"
        in signed_in(cast.executive).get(reverse("insights:programme", args=[programme.pk])).content.decode()
    )
    refused = signed_in(cast.ben_user).get(reverse("insights:programme", args=[programme.pk]))
    assert refused.status_code == 403 and "Equity" not in refused.content.decode()
