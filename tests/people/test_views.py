"""The directory and person pages: who sees what, filters, and bounded queries."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory
from twofold.people.models import SelfIdentification
from twofold.people.services import people_tree_rebuild


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    # django-axes checks every sign-in against the lockout and needs the request to do so.
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    return client


def test_pages_require_sign_in(cast, client) -> None:
    for url in (reverse("people:directory"), reverse("people:person", args=[cast.ana.pk]), reverse("home")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_login_page_and_wrong_password(client, cast) -> None:
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "ana", "password": "wrong"})
    assert "do not match an account" in response.content.decode()
    response = client.post(reverse("login"), {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302


def test_home_sends_each_role_to_its_page(cast) -> None:
    assert signed_in(cast.ana_user).get(reverse("home"))["Location"] == reverse("relationships:mine")
    assert signed_in(cast.programme_manager).get(reverse("home"))["Location"] == reverse("programmes:list")
    assert signed_in(cast.executive).get(reverse("home"))["Location"] == reverse("insights:overview")
    response = signed_in(cast.outsider).get(reverse("home"))
    assert response.status_code == 403 and "no role yet" in response.content.decode()


def test_outsider_without_role_cannot_see_the_directory(cast) -> None:
    client = signed_in(cast.outsider)
    assert client.get(reverse("people:directory")).status_code == 403
    assert client.get(reverse("people:person", args=[cast.ana.pk])).status_code == 404  # as an unknown id (hole 12)


def test_directory_search_and_filters(cast) -> None:
    client = signed_in(cast.programme_manager)
    page = client.get(reverse("people:directory"), {"q": "junior"}).content.decode()
    assert "Ana Junior" in page and "Ben Junior" in page and "Victor Tech" not in page
    page = client.get(reverse("people:directory"), {"department": "Sales"}).content.decode()
    assert "Ben Junior" in page and "Vera Sales" in page and "Ana Junior" not in page
    page = client.get(reverse("people:directory"), {"level": "8", "location": "Berlin"}).content.decode()
    assert "Vera Sales" in page and "Victor Tech" not in page
    page = client.get(reverse("people:directory"), {"high_potential": "yes"}).content.decode()
    assert "Ana Junior" in page and "Ben Junior" not in page
    page = client.get(reverse("people:directory"), {"q": "nobody-like-this"}).content.decode()
    assert "Nobody matches" in page


def test_htmx_search_returns_only_the_results_fragment(cast) -> None:
    client = signed_in(cast.programme_manager)
    response = client.get(
        reverse("people:directory"), {"q": "Ana"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="directory-results"
    )
    body = response.content.decode()
    assert "Ana Junior" in body and "<html" not in body and "<form" not in body


def test_high_potential_flag_is_for_programme_staff_only(cast) -> None:
    employee_view = (
        signed_in(cast.ben_user).get(reverse("people:directory"), {"high_potential": "yes"}).content.decode()
    )
    # The filter is ignored and the flag never shown to an ordinary employee.
    assert "High potential" not in employee_view and "Victor Tech" in employee_view
    profile = signed_in(cast.ben_user).get(reverse("people:person", args=[cast.ana.pk])).content.decode()
    assert "High potential" not in profile
    profile = signed_in(cast.programme_manager).get(reverse("people:person", args=[cast.ana.pk])).content.decode()
    assert "High potential" in profile


def test_person_page_shows_chain_reports_and_skills(cast) -> None:
    PersonSkillFactory(person=cast.ana, skill=SkillFactory(name="Generative AI"), proficiency=4, can_teach=True)
    PersonSkillFactory(
        person=cast.ana,
        skill=SkillFactory(name="Negotiation"),
        proficiency=1,
        can_teach=False,
        wants_to_learn=True,
    )
    page = signed_in(cast.ben_user).get(reverse("people:person", args=[cast.ana.pk])).content.decode()
    chain = [page.index(name) for name in ("Cleo Chief", "Victor Tech", "Lena Lead")]
    assert chain == sorted(chain)
    assert "Generative AI" in page and 'aria-label="Proficiency 4 of 4"' in page
    assert "Negotiation" in page
    lead = signed_in(cast.ben_user).get(reverse("people:person", args=[cast.lead_tech.pk])).content.decode()
    assert "Ana Junior" in lead  # a direct report


def test_self_identification_only_on_own_profile(cast) -> None:
    SelfIdentification.objects.create(person=cast.ana, gender="Woman", ethnicity="Black")
    own = signed_in(cast.ana_user).get(reverse("people:person", args=[cast.ana.pk])).content.decode()
    assert "Your self-identification" in own and "Black" in own
    for user in (cast.ben_user, cast.programme_manager, cast.executive):
        other = signed_in(user).get(reverse("people:person", args=[cast.ana.pk])).content.decode()
        assert "Black" not in other and "self-identification" not in other


def test_unknown_person_is_404(cast) -> None:
    assert signed_in(cast.ana_user).get(reverse("people:person", args=[999999])).status_code == 404


@pytest.mark.parametrize("extra", [5, 60])
def test_query_counts_do_not_grow_with_data(cast, extra, django_assert_max_num_queries) -> None:
    skill = SkillFactory(name="Python")
    for index in range(extra):
        report = PersonFactory(manager=cast.lead_tech, name=f"Extra {index}")
        PersonSkillFactory(person=report, skill=skill)
    PersonSkillFactory(person=cast.lead_tech, skill=skill)
    people_tree_rebuild()
    client = signed_in(cast.programme_manager)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("people:directory")).status_code == 200
    with django_assert_max_num_queries(11):
        assert client.get(reverse("people:person", args=[cast.lead_tech.pk])).status_code == 200


def test_employee_edits_own_skills(cast) -> None:
    python = SkillFactory(name="Python", category="digital")
    talks = SkillFactory(name="Public speaking", category="business")
    PersonSkillFactory(person=cast.ana, skill=talks, proficiency=1, can_teach=False, wants_to_learn=True)
    client = signed_in(cast.ana_user)
    page = client.get(reverse("people:my_skills")).content.decode()
    assert "Python" in page and "Public speaking" in page
    response = client.post(
        reverse("people:my_skills"),
        {f"skill-{python.pk}-proficiency": "4", f"skill-{python.pk}-teach": "on", f"skill-{talks.pk}-learn": "on"},
    )
    # Wanting to learn without saying how well you know it is not enough.
    assert response.status_code == 400 and "Public speaking: choose how well you know it" in response.content.decode()
    client.post(
        reverse("people:my_skills"),
        {
            f"skill-{python.pk}-proficiency": "4",
            f"skill-{python.pk}-teach": "on",
            f"skill-{talks.pk}-proficiency": "0",
            f"skill-{talks.pk}-learn": "on",
        },
    )
    held = {
        (s.skill.name, s.proficiency, s.can_teach, s.wants_to_learn) for s in cast.ana.skills.select_related("skill")
    }
    assert held == {("Python", 4, True, False), ("Public speaking", 0, False, True)}
    assert signed_in(cast.outsider).get(reverse("people:my_skills")).status_code == 403


def test_each_directory_row_links_the_person_and_their_manager(cast) -> None:
    def row_of(user, person):  # type: ignore[no-untyped-def]
        page = signed_in(user).get(reverse("people:directory"), {"q": person.name}).content.decode()
        html = " ".join(page.split())
        start = html.index(f'<a href="{reverse("people:person", args=[person.pk])}">{person.name}</a>')
        return html[start : html.index("</tr>", start)]

    row = row_of(cast.programme_manager, cast.ana)
    manager = cast.ana.manager
    assert f'<a href="{reverse("people:person", args=[manager.pk])}">{manager.name}</a>' in row
    assert f"<td>{cast.ana.title}</td> <td>{cast.ana.level}</td> <td>{cast.ana.department}</td>" in row
    # The talent flag shows to programme staff only; the top of the tree has no manager.
    assert "High potential" in row and "High potential" not in row_of(cast.ben_user, cast.ana)
    assert "<td>—</td>" in row_of(cast.programme_manager, cast.ceo)
