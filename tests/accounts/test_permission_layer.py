"""The one permission layer: named actions, authorize() and allowed(), and the decisions it reports.

The role × route matrix (tests/test_route_matrix.py) covers the pages; these tests cover the layer
and the services that ask it, including the refusals a page never reaches.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.conftest import Cast
from tests.factories import OPERATOR, ProgrammeFactory, UserFactory, acting
from tests.relationships.pairing import pair_up
from twofold.accounts import permissions
from twofold.accounts.permissions import (
    CommandLineOperator,
    NotPermitted,
    NotPermittedHidden,
    UnknownAction,
    allowed,
    authorize,
    permission_decided,
)
from twofold.matchruns.models import MatchRun, MatchRunStatus
from twofold.matchruns.publishing import match_run_publish
from twofold.people.leavers import people_deactivate
from twofold.people.models import PersonSkill
from twofold.people.services import SkillChoice, person_skills_set
from twofold.programmes.models import ProgrammeState
from twofold.programmes.selectors import programmes_visible_to
from twofold.programmes.services import programme_transition
from twofold.relationships.models import Concern, ConcernStatus, RelationshipState
from twofold.relationships.selectors import concerns_for_managers
from twofold.relationships.services import concern_update, relationship_end


@pytest.fixture
def decisions() -> Any:
    heard: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        heard.append({key: kwargs[key] for key in ("actor", "action", "target", "allowed")})

    permission_decided.connect(receiver)
    yield heard
    permission_decided.disconnect(receiver)


def test_an_action_nobody_registered_is_refused_loudly_never_allowed(cast: Cast) -> None:
    for ask in (allowed, authorize):
        with pytest.raises(UnknownAction, match=r"relationships\.teleport"):
            ask(cast.admin, "relationships.teleport")


def test_every_decision_is_sent_with_who_what_to_what_and_the_answer(cast: Cast, decisions: list) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    authorize(cast.programme_manager, "programmes.manage", programme)
    with pytest.raises(NotPermitted):
        authorize(cast.ana_user, "programmes.manage", programme)
    assert decisions == [
        {"actor": cast.programme_manager, "action": "programmes.manage", "target": programme, "allowed": True},
        {"actor": cast.ana_user, "action": "programmes.manage", "target": programme, "allowed": False},
    ]


def test_require_refuses_like_authorize_but_leaves_the_record_to_its_caller(cast: Cast, decisions: list) -> None:
    """``require`` is for callers that record the decision themselves (data-subject requests)."""
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    permissions.require(cast.programme_manager, "programmes.manage", programme)
    with pytest.raises(NotPermittedHidden):
        permissions.require(cast.ana_user, "programmes.manage", programme)
    with pytest.raises(NotPermitted, match="Only org admins answer data-subject requests"):
        permissions.require(cast.programme_manager, "person.erase", cast.ana)
    with pytest.raises(UnknownAction):
        permissions.require(cast.admin, "relationships.teleport")
    assert decisions == []


def test_a_refusal_that_must_not_reveal_the_target_answers_like_an_unknown_id(cast: Cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    with pytest.raises(NotPermittedHidden) as hidden:
        authorize(cast.ana_user, "programmes.manage", programme)
    assert isinstance(hidden.value, Http404) and isinstance(hidden.value, PermissionDenied)
    with pytest.raises(NotPermitted) as plain:
        authorize(cast.ana_user, "programmes.create")
    assert not isinstance(plain.value, Http404)


def test_an_action_has_one_rule(cast: Cast) -> None:
    permissions.register("programmes.create", permissions.can_create_programmes, refusal="Again, the same rule.")
    with pytest.raises(ValueError, match="already has a rule"):
        permissions.register("programmes.create", permissions.can_administer, refusal="A second rule.")
    assert allowed(cast.programme_manager, "programmes.create")


def test_a_manager_listed_on_a_programme_without_the_role_manages_nothing(cast: Cast) -> None:
    """The second manager check (listed on the programme was enough) is gone: one definition."""
    demoted = UserFactory(username="former-pm", is_programme_manager=False)
    programme = ProgrammeFactory(managers=[cast.programme_manager, demoted])
    relationship = pair_up(programme, cast.ana, cast.vp_sales)
    concern = Concern.objects.create(relationship=relationship, raised_by=cast.ana, text="Uneasy")
    with pytest.raises(NotPermitted):
        concern_update(concern=concern, actor=demoted, status=ConcernStatus.RESOLVED, resolution="Mine")
    with pytest.raises(NotPermitted):
        relationship_end(relationship=relationship, actor=demoted, reason="Closing it")
    assert not concerns_for_managers(demoted).exists() and not programmes_visible_to(demoted).exists()
    concern.refresh_from_db()
    relationship.refresh_from_db()
    assert concern.status == ConcernStatus.OPEN and relationship.state == RelationshipState.ACTIVE


def test_services_refuse_before_writing(cast: Cast) -> None:
    other_manager = UserFactory(username="pm-elsewhere", is_programme_manager=True)
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, managers=[cast.programme_manager])
    run = MatchRun.objects.create(programme=programme, status=MatchRunStatus.READY)
    with pytest.raises(NotPermittedHidden):
        programme_transition(actor=other_manager, programme=programme, to_state=ProgrammeState.RUNNING)
    with pytest.raises(NotPermittedHidden):
        match_run_publish(actor=other_manager, run=run)
    programme.refresh_from_db()
    run.refresh_from_db()
    assert programme.state == ProgrammeState.MATCHING and run.status == MatchRunStatus.READY

    with pytest.raises(NotPermitted):
        person_skills_set(actor=cast.ben_user, person=cast.ana, choices=[SkillChoice(1, 3, True, False)])
    assert not PersonSkill.objects.filter(person=cast.ana).exists()


def test_no_actor_is_nobody_not_the_operator(cast: Cast) -> None:
    """Marking people as having left once took ``actor=None`` as "the terminal": now the command
    line says so with its own actor, and nobody is refused."""
    with pytest.raises(NotPermitted):
        people_deactivate(person_ids=[cast.ana.pk], actor=None)
    cast.ana.refresh_from_db()
    assert cast.ana.active
    people_deactivate(person_ids=[cast.ana.pk], actor=OPERATOR)
    cast.ana.refresh_from_db()
    assert not cast.ana.active


def test_the_command_line_records_who_ran_it_and_acts_for_people_only_by_name(cast: Cast) -> None:
    operator = CommandLineOperator()
    assert operator.os_user and operator.os_user in str(operator)
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    relationship = pair_up(programme, cast.ana, cast.vp_sales)
    # An account records what it did in its own name only; the command line names whom it records for.
    assert not allowed(acting(cast.ana), "relationships.act_for", cast.vp_sales)
    assert allowed(operator, "relationships.act_for", cast.vp_sales)
    assert allowed(operator, "relationships.end", relationship)
