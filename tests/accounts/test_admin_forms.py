"""The admin's forms refuse what the services refuse: dates outside 1900–2100 and text holding
control characters (the admin saves models past the services, so it must check the same rules)."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory
from tests.people.test_views import signed_in
from twofold.accounts.admin_forms import CheckedAdminForm
from twofold.people.models import CareerEvent, Delegation, Person, Skill
from twofold.people.services import people_tree_rebuild


def person_form(person: Person, **changes: str) -> dict[str, str]:
    form = {
        "employee_id": person.employee_id,
        "name": person.name,
        "email": person.email,
        "title": person.title,
        "level": str(person.level),
        "department": person.department,
        "location": person.location,
        "manager": str(person.manager_id or ""),
        "active": "on",
        "skills-TOTAL_FORMS": "0",
        "skills-INITIAL_FORMS": "0",
        "skills-MIN_NUM_FORMS": "0",
        "skills-MAX_NUM_FORMS": "1000",
    }
    return {**form, **changes}


def test_every_admin_form_checks_dates_and_text(db) -> None:
    # A model of Twofold's registered later without the checks fails here (Django's own are checked
    # too; the task queue's results are only ever written by the worker).
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith(("twofold.", "django.contrib.auth.")):
            continue
        assert issubclass(model_admin.form, CheckedAdminForm), model
        add_form = getattr(model_admin, "add_form", None)
        assert add_form is None or issubclass(add_form, CheckedAdminForm), model
        for inline in model_admin.inlines:
            assert issubclass(inline.form, CheckedAdminForm), (model, inline)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Ana\nJunior", "contains a line break"),
        ("title", "Engineer\u202eroot", "contains the control character U+202E"),
        ("department", "Eng\tineering", "contains a tab"),
        ("hire_date", "9999-12-01", "The date must be between 1900 and 2100, not 9999-12-01."),
        ("hire_date", "1066-10-14", "The date must be between 1900 and 2100, not 1066-10-14."),
    ],
)
def test_the_person_form_refuses_what_the_import_refuses(cast, field, value, message) -> None:
    before = Person.objects.filter(pk=cast.ana.pk).values().get()
    response = signed_in(cast.admin).post(
        reverse("admin:people_person_change", args=[cast.ana.pk]), person_form(cast.ana, **{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Person.objects.filter(pk=cast.ana.pk).values().get() == before


def test_the_admin_moves_a_person_under_a_new_manager_and_refuses_a_cycle(cast) -> None:
    people_tree_rebuild()
    client = signed_in(cast.admin)
    ana, vp_sales = Person.objects.get(pk=cast.ana.pk), Person.objects.get(pk=cast.vp_sales.pk)
    url = reverse("admin:people_person_change", args=[ana.pk])
    response = client.post(url, person_form(ana, manager=str(vp_sales.pk)))
    assert response.status_code == 302
    ana.refresh_from_db()
    assert ana.manager_id == vp_sales.pk and ana.tree_path.startswith(vp_sales.tree_path)
    # vp_sales under ana: a cycle, refused with nothing changed.
    before = Person.objects.filter(pk=vp_sales.pk).values().get()
    response = client.post(
        reverse("admin:people_person_change", args=[vp_sales.pk]), person_form(vp_sales, manager=str(ana.pk))
    )
    assert response.status_code == 200 and "(a manager cycle)" in response.content.decode()
    assert Person.objects.filter(pk=vp_sales.pk).values().get() == before


def test_a_career_event_outside_the_span_is_refused(cast) -> None:
    client = signed_in(cast.admin)
    url = reverse("admin:people_careerevent_add")
    event = {"person": str(cast.ana.pk), "kind": "promotion", "from_level": "2", "to_level": "3", "note": ""}
    response = client.post(url, {**event, "effective_date": "9999-12-31"})
    assert response.status_code == 200 and "must be between 1900 and 2100" in response.content.decode()
    response = client.post(url, {**event, "effective_date": "2026-01-05", "to_title": "Lead\r\nEngineer"})
    assert response.status_code == 200 and "contains a line break" in response.content.decode()
    assert not CareerEvent.objects.exists()
    # Inside the span and one line: saved.
    response = client.post(url, {**event, "effective_date": "2026-01-05", "to_title": "Lead Engineer"})
    assert response.status_code == 302
    assert CareerEvent.objects.get().effective_date == date(2026, 1, 5)


def test_skill_and_account_forms_refuse_control_characters(cast) -> None:
    client = signed_in(cast.admin)
    response = client.post(reverse("admin:people_skill_add"), {"name": "Python\x07", "category": "other"})
    assert response.status_code == 200 and "contains the control character U+0007" in response.content.decode()
    assert not Skill.objects.filter(name__startswith="Python").exists()
    user = cast.ana_user
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "username": user.username,
            "first_name": "An\u2028a",
            "last_name": "",
            "email": user.email,
            "person": str(cast.ana.pk),
            "is_active": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 200 and "contains a line break" in response.content.decode()
    user.refresh_from_db()
    assert user.first_name == ""


def test_org_admins_see_and_end_delegations_but_name_none(cast) -> None:
    delegation = Delegation.objects.create(manager=cast.lead_tech, delegate=cast.vp_tech)
    client = signed_in(cast.admin)
    page = client.get(reverse("admin:people_delegation_changelist")).content.decode()
    assert "Lena Lead" in page and "Victor Tech" in page
    assert client.get(reverse("admin:people_delegation_add")).status_code == 403
    staff = UserFactory(username="staffer", is_staff=True, is_programme_manager=True)
    assert signed_in(staff).get(reverse("admin:people_delegation_changelist")).status_code == 403
    assert Delegation.objects.filter(pk=delegation.pk).exists()
    response = client.post(reverse("admin:people_delegation_delete", args=[delegation.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Delegation.objects.filter(pk=delegation.pk).exists()
