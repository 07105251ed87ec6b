"""Hole 10: a programme starting on 9999-12-01 was a 500 (its end, computed from the start, ran off the
calendar). Dates and counts are checked when a programme is saved, on every way in: the page, the
command line and the service."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import OPERATOR
from tests.people.test_views import signed_in
from tests.programmes.test_views import form_data
from twofold.programmes.models import Programme
from twofold.programmes.services import ProgrammeRuleBroken, programme_create, programme_update


def test_hole_10_programme_starting_in_9999_is_refused_by_the_page(cast: Cast) -> None:
    client = signed_in(cast.programme_manager)
    template = programme_create(actor=OPERATOR, name="Template", kind="reverse_mentoring")
    url = reverse("programmes:new", args=["reverse_mentoring"])

    response = client.post(url, form_data(template, name="Far future", starts_on="9999-12-01"))

    assert response.status_code == 400
    assert "The start date must be between 1900 and 2100, not 9999-12-01." in response.content.decode()
    assert not Programme.objects.filter(name="Far future").exists()


def test_hole_10_programme_moved_to_9999_is_refused_and_left_as_it_was(cast: Cast) -> None:
    programme = programme_create(
        name="Digital fluency", kind="reverse_mentoring", actor=cast.programme_manager, starts_on=date(2026, 9, 1)
    )
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:edit", args=[programme.pk])

    response = client.post(url, form_data(programme, starts_on="9999-12-01", ends_on="9999-12-31"))

    assert response.status_code == 400
    assert "The end date must be between 1900 and 2100, not 9999-12-31." in response.content.decode()
    programme.refresh_from_db()
    assert (programme.starts_on, programme.ends_on) == (date(2026, 9, 1), date(2027, 3, 1))


def test_hole_10_programme_starting_in_9999_is_refused_by_the_command_line(db) -> None:
    with pytest.raises(CommandError, match="the start date must be between 1900 and 2100"):
        call_command("programme", "create", "--kind", "sponsorship", "--name", "Far", "--set", "starts_on=9999-12-01")
    assert not Programme.objects.exists()


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"starts_on": date(9999, 12, 1)}, "the start date must be between 1900 and 2100"),
        ({"starts_on": date(1, 1, 1)}, "the start date must be between 1900 and 2100"),
        ({"starts_on": "2026-09-01"}, "the start date is not a date"),
        ({"duration_months": 30000}, "duration months must be at most 120"),
        ({"cadence_days": 40000}, "cadence days must be at most 365"),
        ({"proposal_expiry_days": 40000}, "proposal expiry days must be at most 365"),
        ({"capacity": 100000}, "capacity must be at most 50"),
        ({"mentee_min_level": 0}, "mentee min level must be a level from 1 to 30"),
        ({"min_level_gap": -1}, "min level gap must be from 0 to 29"),
    ],
)
def test_hole_10_out_of_range_settings_are_refused_by_the_service(db, changes: dict, problem: str) -> None:
    with pytest.raises(ProgrammeRuleBroken, match=problem) as caught:
        programme_create(actor=OPERATOR, name="Odd", kind="reverse_mentoring", **changes)
    assert caught.value.code == "invalid_programme"
    assert not Programme.objects.exists()

    programme = programme_create(actor=OPERATOR, name="Fine", kind="reverse_mentoring")
    with pytest.raises(ProgrammeRuleBroken, match=problem):
        programme_update(actor=OPERATOR, programme=programme, **changes)
    programme.refresh_from_db()
    assert programme.starts_on is None and programme.duration_months == 6 and programme.capacity == 1
