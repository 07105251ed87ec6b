"""The insights pages: who sees which programme's evidence, what it says, and what it withholds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import PersonFactory, ProgrammeFactory, RelationshipFactory, UserFactory
from tests.people.test_views import signed_in
from twofold.insights.careers import careers_evidence
from twofold.people.models import CareerEvent, CareerEventKind, Person
from twofold.programmes.models import Programme
from twofold.relationships.models import RelationshipState

FOLLOW_UP = timedelta(days=274)  # nine months


def today() -> date:
    """Today, read when a test asks: a date taken at import goes stale in a run that crosses midnight."""
    return timezone.localdate()


def start() -> date:
    """When the sponsorships began: nine months of follow-up before today."""
    return today() - FOLLOW_UP


def hipo(department: str = "Sales", level: int = 3, **extra: object) -> Person:
    return PersonFactory(
        level=level, department=department, high_potential=True, hire_date=start() - timedelta(days=3 * 365), **extra
    )


def promote(person: Person, days_after_start: int) -> None:
    CareerEvent.objects.create(
        person=person,
        kind=CareerEventKind.PROMOTION,
        effective_date=start() + timedelta(days=days_after_start),
        from_level=person.level,
        to_level=person.level + 1,
    )


@dataclass
class Organisation:
    programme: Programme
    other: Programme
    own_manager: object
    other_manager: object


def sponsorship(name: str, protégés: list[Person]) -> Programme:
    programme = ProgrammeFactory(sponsorship=True, name=name, starts_on=start())
    for person in protégés:
        RelationshipFactory(
            programme=programme,
            state=RelationshipState.ACTIVE,
            mentee_enrolment__person=person,
            mentor_enrolment__person__level=9,
            mentor_enrolment__person__department="Strategy",
        )
    return programme


@pytest.fixture
def organisation(cast: Cast) -> Organisation:
    return build_organisation()


def build_organisation() -> Organisation:
    """Twenty protégés, half of them promoted; forty comparable colleagues, a tenth promoted."""
    protégés = [hipo() for _ in range(20)]
    for person in protégés[:10]:
        promote(person, 120)
    others = [hipo() for _ in range(40)]
    for person in others[:4]:
        promote(person, 150)
    programme = sponsorship("Rising leaders", protégés)
    other = sponsorship("Another cohort", [hipo(department="Finance") for _ in range(2)])
    own_manager = UserFactory(username="own-pm", is_programme_manager=True)
    other_manager = UserFactory(username="other-pm", is_programme_manager=True)
    programme.managers.set([own_manager])
    other.managers.set([other_manager])
    return Organisation(programme, other, own_manager, other_manager)


def text(response) -> str:  # type: ignore[no-untyped-def]
    """What the page says, leaving out the filter form (its choices name every programme one may see)."""
    html = re.sub(r'<form class="filters".*?</form>', " ", response.content.decode(), flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_estimate_on_the_page_is_the_comparison_groups(organisation: Organisation) -> None:
    evidence = careers_evidence(organisation.programme, as_of=today())
    assert evidence.comparison is not None and evidence.horizon_months == 9
    promotion = evidence.comparison.promotion
    # Everyone is alike (level 3, Sales, three years, flagged): every colleague weighs the same, and
    # the difference is the raw one, 10/20 − 4/40 = 40 points.
    assert promotion.participants_rate == pytest.approx(0.5) and promotion.comparison_rate == pytest.approx(0.1)
    assert promotion.difference == pytest.approx(0.4)
    page = text(
        signed_in(organisation.own_manager).get(reverse("insights:programme", args=[organisation.programme.pk]))
    )
    assert "Careers of protégés" in page
    assert "Promoted within 9 months" in page and "50.0 %" in page and "10.0 %" in page and "+40.0 pts" in page
    assert f"{100 * promotion.ci_low:+.1f} pts to {100 * promotion.ci_high:+.1f} pts" in page
    assert "What this can and cannot show" in page and "not proof" in page


def test_a_programme_too_small_to_compare_shows_no_figure(organisation: Organisation) -> None:
    page = text(signed_in(organisation.other_manager).get(reverse("insights:programme", args=[organisation.other.pk])))
    assert "Careers of protégés" in page
    assert "Too few people to compare" in page
    assert "Promoted within" not in page and " pts" not in page
    assert "not shown" in page  # the two protégés' row, and its sibling, are hidden


def test_charts_are_drawn_on_the_server_without_inline_styles(organisation: Organisation) -> None:
    response = signed_in(organisation.own_manager).get(reverse("insights:programme", args=[organisation.programme.pk]))
    html = response.content.decode()
    assert html.count("<svg") >= 3  # rates, time to promotion, balance
    assert 'role="img" aria-label="Promoted within 9 months: protégés 50.0 %' in html
    assert not re.search(r"<[^>]*\sstyle\s*=", html) and "<script>" not in html


def test_who_sees_which_programme(cast: Cast, organisation: Organisation, client) -> None:  # type: ignore[no-untyped-def]
    mine = organisation.programme
    own_page = reverse("insights:programme", args=[mine.pk])
    # Anonymous: sent to sign in, shown nothing.
    response = client.get(own_page)
    assert response.status_code == 302 and "Rising leaders" not in response.content.decode()
    assert client.get(reverse("insights:overview")).status_code == 302
    # An employee without a role: refused, and the refusal names no programme.
    for url in (own_page, reverse("insights:overview")):
        response = signed_in(cast.ana_user).get(url)
        assert response.status_code == 403 and "Rising leaders" not in response.content.decode()
    # The manager of another programme: this one does not exist for them, and their overview omits it.
    other_manager = signed_in(organisation.other_manager)
    response = other_manager.get(own_page)
    assert response.status_code == 404 and "Rising leaders" not in response.content.decode()
    response = other_manager.get(reverse("insights:overview"))
    assert "Rising leaders" not in response.content.decode()  # not even among the filter's choices
    assert "Another cohort" in text(response)
    # Its own manager, executives and org admins see it, with its evidence.
    for user in (organisation.own_manager, cast.executive, cast.admin):
        assert "+40.0 pts" in text(signed_in(user).get(own_page))
    for user in (cast.executive, cast.admin):
        overview = text(signed_in(user).get(reverse("insights:overview")))
        assert "Rising leaders" in overview and "Another cohort" in overview
        assert "Promotion against the comparison group, programme by programme" in overview
    own_overview = signed_in(organisation.own_manager).get(reverse("insights:overview"))
    assert "Rising leaders" in text(own_overview) and "Another cohort" not in own_overview.content.decode()


def test_filters(cast: Cast, organisation: Organisation) -> None:
    executive = signed_in(cast.executive)
    only_one = text(executive.get(reverse("insights:overview"), {"programme": organisation.other.pk}))
    assert "Another cohort" in only_one and "Rising leaders" not in only_one
    organisation.other.starts_on = start() - timedelta(days=400)
    organisation.other.save()
    that_year = text(executive.get(reverse("insights:overview"), {"started": start().year}))
    assert "Rising leaders" in that_year and "Another cohort" not in that_year
    # A year no programme started in is not among the choices: a 400, below, not an empty page.
    # Finance holds none of this programme's protégés: nothing to compare, nothing made up.
    finance = text(
        executive.get(reverse("insights:programme", args=[organisation.programme.pk]), {"department": "Finance"})
    )
    assert "Finance only" in finance and "No protégés in Finance." in finance and "+40.0 pts" not in finance
    sales = text(
        executive.get(reverse("insights:programme", args=[organisation.programme.pk]), {"department": "Sales"})
    )
    assert "Sales only" in sales and "+40.0 pts" in sales


@pytest.mark.parametrize(
    "query", [{"department": "Nowhere"}, {"started": "last year"}, {"programme": "999999"}, {"programme": "x"}]
)
def test_filters_not_understood_are_a_clear_400(cast: Cast, organisation: Organisation, query: dict[str, str]) -> None:
    response = signed_in(cast.executive).get(reverse("insights:overview"), query)
    assert response.status_code == 400
    assert "These filters are not understood" in response.content.decode()


def test_a_programme_not_started_says_so(cast: Cast) -> None:
    programme = ProgrammeFactory(sponsorship=True, name="Next year", starts_on=date(today().year + 1, 1, 1))
    page = text(signed_in(cast.admin).get(reverse("insights:programme", args=[programme.pk])))
    assert "The programme has not started yet." in page and " pts" not in page


def test_what_sponsors_did_by_type(organisation: Organisation) -> None:
    from twofold.relationships.models import AdvocacyAction, Relationship

    pairs = list(Relationship.objects.filter(programme=organisation.programme).order_by("pk")[:3])
    for pair, kind in zip(pairs, ("nomination", "nomination", "introduction"), strict=True):
        AdvocacyAction.objects.create(relationship=pair, kind=kind, happened_on=start(), description="For the board")
    page = text(
        signed_in(organisation.own_manager).get(reverse("insights:programme", args=[organisation.programme.pk]))
    )
    assert "What sponsors did" in page
    assert "Nomination 2" in page and "Introduction to their network 1" in page
    assert "Came through, of those whose outcome is known: fewer than 5" in page
