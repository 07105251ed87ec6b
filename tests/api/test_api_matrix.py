"""Every API operation × every role, against a declared table — the route matrix's API half.

Each role of the route matrix's cast calls each operation of ``/api/v1`` with a personal token of
their own carrying every scope their kind of token may hold (the anonymous visitor with none), on
the same scene (:func:`tests.test_route_matrix.scene`). The status each gets must be the one
written in :data:`API_TABLE_TEXT`; a refused write changes nothing. An operation of the OpenAPI
document without a row fails the suite, and so does a token without the operation's scope (403)
— the scope each operation needs is declared here too.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.route_scene import Scene
from tests.test_route_matrix import ROLES, _mismatches
from tests.test_route_matrix import state as everything
from twofold.accounts.tokens import SCOPES, SERVICE_ONLY_SCOPES, issue_token
from twofold.api.api import api


def state() -> dict[str, list[dict[str, Any]]]:
    """What a call could change, but the tokens (whose last use a call records)."""
    return {label: rows for label, rows in everything().items() if label != "accounts.AccessToken"}


# operation id, the scope its token needs, then the status per role (columns as in ROLES):
#   ano emp jun sen oth lnm opm pm exe adm
# Codes: 200/201 done · 401 no token · 403 not for this role · 404 not theirs to know about ·
#   409 the state forbids it (the pair's proposal has expired; Ana and Vera are already enrolled) ·
#   403 for one of the pair, a rule about which of the two they are (only the sponsor records advocacy,
#   only the mentee nominates) · 422 a manager's swap of a pair with itself (tests/api/test_manager_flows.py
#   swaps two real pairs)
API_TABLE_TEXT = """
operation              scope               ano emp jun sen oth lnm opm  pm exe adm
programmes_list        programmes:read     401 403 403 403 403 403 200 200 403 200
programmes_create      programmes:write    401 403 403 403 403 403 201 201 403 201
programmes_read        programmes:read     401 404 404 404 404 404 404 200 404 200
programmes_update      programmes:write    401 404 404 404 404 404 404 200 404 200
programmes_move        programmes:write    401 404 404 404 404 404 404 200 404 200
people_list            people:read         401 200 200 200 200 200 200 200 200 200
people_read            people:read         401 200 200 200 200 200 200 200 200 200
people_set_manager     people:write        401 403 403 403 403 403 403 403 403 200
people_set_skills      people:write        401 403 200 403 403 403 403 403 403 403
skills_list            people:read         401 200 200 200 200 200 200 200 200 200
enrolments_list        programmes:read     401 404 404 404 404 404 404 200 404 200
enrolments_invite      programmes:write    401 404 404 404 404 404 404 200 404 200
enrolments_apply       programmes:write    401 201 409 409 201 201 403 403 201 403
enrolments_mine        programmes:read     401 200 200 200 200 200 200 200 200 200
enrolments_approve     programmes:write    401 404 404 404 404 200 404 404 404 404
enrolments_withdraw    programmes:write    401 200 404 404 404 404 404 200 404 200
relationships_list     relationships:read  401 200 200 200 200 200 200 200 200 200
relationships_read     relationships:read  401 404 200 200 404 404 404 404 404 404
relationships_answer   relationships:write 401 404 409 409 404 404 404 404 404 404
relationships_end      relationships:write 401 404 200 200 404 404 404 404 404 404
meetings_list          relationships:read  401 404 200 200 404 404 404 404 404 404
meetings_log           relationships:write 401 404 201 201 404 404 404 404 404 404
matchruns_list         programmes:read     401 404 404 404 404 404 404 200 404 200
matchruns_start        matchruns:write     401 404 404 404 404 404 404 201 404 201
matchruns_read         programmes:read     401 404 404 404 404 404 404 200 404 200
matchruns_proposals    programmes:read     401 404 404 404 404 404 404 200 404 200
matchruns_publish      matchruns:write     401 404 404 404 404 404 404 200 404 200
insights_programmes    insights:read       401 403 403 403 403 403 200 200 200 200
knowledge_list         relationships:read  401 404 200 200 404 404 404 404 404 404
knowledge_record       relationships:write 401 404 201 201 404 404 404 404 404 404
advocacy_list          relationships:read  401 404 200 200 404 404 404 404 404 404
advocacy_record        relationships:write 401 404 403 201 404 404 404 404 404 404
advocacy_set_outcome   relationships:write 401 404 403 200 404 404 404 404 404 404
checkins_list          relationships:read  401 404 200 200 404 404 404 404 404 404
checkins_answer        relationships:write 401 404 201 201 404 404 404 404 404 404
checkins_scores        programmes:read     401 404 404 404 404 404 404 200 404 200
nominations_list       relationships:read  401 404 200 200 404 404 404 404 404 404
nominations_create     relationships:write 401 404 403 201 404 404 404 404 404 404
enrolments_respond     programmes:write    401 200 404 404 404 404 404 404 404 404
pairs_list             programmes:read     401 404 404 404 404 404 404 200 404 200
matchruns_lock         matchruns:write     401 404 404 404 404 404 404 200 404 200
matchruns_remove       matchruns:write     401 404 404 404 404 404 404 200 404 200
matchruns_swap         matchruns:write     401 404 404 404 404 404 404 422 404 422
"""


def _parse(text: str) -> dict[str, tuple[str, list[int]]]:
    rows: dict[str, tuple[str, list[int]]] = {}
    for line in text.strip().splitlines()[1:]:
        operation, scope, *codes = line.split()
        assert operation not in rows, f"two rows for {operation}"
        assert scope in SCOPES, f"{operation}: unknown scope {scope}"
        assert len(codes) == len(ROLES), f"{operation}: one code per role"
        rows[operation] = (scope, [int(code) for code in codes])
    return rows


API_TABLE = _parse(API_TABLE_TEXT)


def operations() -> dict[str, tuple[str, str]]:
    """operation id -> (method, path template) from the OpenAPI document."""
    found = {}
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method.upper(), path)
    return found


# What each operation is called with: its path's placeholders filled from the scene, and a valid body.
def request_for(operation: str, scene: Scene) -> tuple[str, str, dict[str, Any] | None]:
    method, template = operations()[operation]
    ids = scene.ids
    relationship = ids["pair"]
    if operation == "relationships_answer":
        relationship = ids["proposal"]
    elif operation.startswith("advocacy_"):
        relationship = ids["sponsored"]
    places = {
        "programme_id": ids["programme"],
        "person_id": ids["ana"],
        "relationship_id": relationship,
        "run_id": ids["run"],
        "proposal_id": ids["run_proposal"],
        "enrolment_id": ids["application"] if operation == "enrolments_approve" else ids["invitation"],
        "action_id": ids["advocacy_action"],
    }
    if operation == "enrolments_apply":
        places["programme_id"] = ids["sponsorship"]
    return method, template.format(**places), body_for(operation, method, ids)


def body_for(operation: str, method: str, ids: dict[str, int]) -> dict[str, Any] | None:
    """A valid body for ``operation``, naming the scene's objects (``eve``: a person, ``skill``)."""
    bodies: dict[str, dict[str, Any]] = {
        "programmes_create": {"name": "Data literacy", "kind": "reverse_mentoring"},
        "programmes_update": {"description": "Changed through the API"},
        "programmes_move": {"to_state": "running"},
        "enrolments_invite": {"role": "mentee", "max_level": 3},
        "enrolments_apply": {"role": "mentee", "goals": "Visibility"},
        "enrolments_approve": {"approve": True},
        "enrolments_withdraw": {"reason": "No time"},
        "people_set_manager": {"manager_id": ids["eve"]},
        "people_set_skills": {"skills": [{"skill_id": ids["skill"], "proficiency": 2, "can_teach": True}]},
        "relationships_answer": {"answer": "accept"},
        "relationships_end": {"reason": "Moving on"},
        "meetings_log": {"starts_at": (timezone.now() - timedelta(hours=2)).isoformat(), "duration_minutes": 45},
        "matchruns_start": {"background": False},
        "knowledge_record": {
            "skill_id": ids["skill"],
            "direction": "mentee_to_mentor",
            "proficiency_before": 1,
            "proficiency_after": 3,
        },
        "advocacy_record": {
            "kind": "introduction",
            "happened_on": timezone.localdate().isoformat(),
            "description": "CFO",
        },
        "checkins_answer": {"point": "fit", "satisfaction": 4, "psychological_safety": 5, "progress": 3},
        "nominations_create": {"programme_id": ids["future"], "statement": "Ready to lead"},
        "advocacy_set_outcome": {"outcome": "succeeded", "note": "Board seat"},
        "enrolments_respond": {"answer": "decline"},
        "matchruns_lock": {"locked": True},
        "matchruns_swap": {"first_id": ids["run_proposal"], "second_id": ids["run_proposal"]},
    }
    if method != "GET":
        bodies.setdefault(operation, {})
    return bodies.get(operation)


def call(client: Client, method: str, path: str, body: dict[str, Any] | None, token: str | None) -> int:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.generic(
        method, path, json.dumps(body) if body is not None else "", content_type="application/json", **headers
    )
    assert response.status_code < 500, f"{method} {path}: {response.status_code}"
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", f"{method} {path}: {response['Content-Type']}"
    return int(response.status_code)


def tokens_for(scene: Scene, scopes: list[str]) -> dict[str, str | None]:
    tokens: dict[str, str | None] = {}
    for role in ROLES:
        user = scene.users[role]
        if user is None:
            tokens[role] = None
            continue
        _, tokens[role] = issue_token(actor=user, user=user, name="matrix", scopes=scopes, kind="personal")
    return tokens


def test_every_operation_has_a_row() -> None:
    declared, present = set(API_TABLE), set(operations())
    assert not present - declared, f"operations without a row (say who may call them): {sorted(present - declared)}"
    assert not declared - present, f"rows for operations that do not exist: {sorted(declared - present)}"


@pytest.mark.parametrize("operation", sorted(API_TABLE))
def test_operation_answers_each_role_as_declared(scene: Scene, operation: str) -> None:
    _, expected = API_TABLE[operation]
    every_scope = [name for name in SCOPES if name not in SERVICE_ONLY_SCOPES]
    tokens = tokens_for(scene, every_scope)
    method, path, body = request_for(operation, scene)
    client = Client()
    seen = []
    for role in ROLES:
        with transaction.atomic():
            before = state()
            status = call(client, method, path, body, tokens[role])
            after = state()
            transaction.set_rollback(True)
        seen.append(status)
        if status >= 400 and method != "GET":
            assert after == before, f"{operation}: {role}'s call was refused ({status}), yet the data changed"
    assert seen == expected, f"{method} {path}: {_mismatches(seen, expected)}"


@pytest.mark.parametrize("operation", sorted(API_TABLE))
def test_a_token_without_the_scope_is_refused(scene: Scene, operation: str) -> None:
    scope, _ = API_TABLE[operation]
    others = [name for name in SCOPES if name not in SERVICE_ONLY_SCOPES and name != scope]
    # A write scope includes the read of the same resource.
    others = [name for name in others if name != scope.replace(":read", ":write")]
    admin = scene.users["admin"]
    assert admin is not None
    _, raw = issue_token(actor=admin, user=admin, name="narrow", scopes=others, kind="personal")
    method, path, body = request_for(operation, scene)
    with transaction.atomic():
        assert call(Client(), method, path, body, raw) == 403
        transaction.set_rollback(True)
