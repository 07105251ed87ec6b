"""A programme's page (and the API's ``next_states``) offers exactly the moves programme_transition
takes: both ask the one rule, :func:`~twofold.programmes.services.transition_refusal`."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import ProgrammeFactory
from twofold.programmes.errors import ProgrammeRuleBroken
from twofold.programmes.models import MatchingMode, Programme, ProgrammeState
from twofold.programmes.services import programme_transition

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    """Rolls a move back once it has been taken, so each target is tried from the same state."""


def moves_taken(cast: Cast, programme: Programme) -> set[str]:
    taken = set()
    for to_state in ProgrammeState.values:
        try:
            with transaction.atomic():
                fresh = Programme.objects.get(pk=programme.pk)
                programme_transition(actor=cast.admin, programme=fresh, to_state=to_state)
                raise _Undo
        except _Undo:
            taken.add(to_state)
        except ProgrammeRuleBroken:
            pass
    return taken


@pytest.mark.parametrize("mode", MatchingMode.values)
@pytest.mark.parametrize("state", ProgrammeState.values)
def test_the_page_and_the_api_offer_exactly_the_moves_the_service_takes(cast: Cast, state: str, mode: str) -> None:
    programme = ProgrammeFactory(state=state, matching_mode=mode)
    client = Client()
    client.force_login(cast.admin)

    page = client.get(reverse("programmes:detail", args=[programme.pk]))
    offered = set(re.findall(r'name="to_state" value="([a-z_]+)"', page.content.decode()))
    api = client.get(f"/api/v1/programmes/{programme.pk}")
    taken = moves_taken(cast, programme)

    assert page.status_code == 200 and api.status_code == 200
    assert offered == taken
    assert set(api.json()["next_states"]) == taken
    # The service took a move in every state but the last: the comparison above compared something.
    assert taken or state == ProgrammeState.CLOSED
    assert Programme.objects.get(pk=programme.pk).state == state
