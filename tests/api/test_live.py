"""The API over real HTTP: a live server on loopback, requests sent with urllib and by schemathesis.

Nothing here goes through Django's test client: the requests cross a socket to the server thread
pytest-django runs (``live_server``), as a client's would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Cast
from tests.factories import ProgrammeFactory
from tests.route_scene import Scene
from twofold.accounts.tokens import SCOPES, SERVICE_ONLY_SCOPES, issue_token
from twofold.programmes.models import ProgrammeState


def get(url: str, token: str | None = None) -> tuple[int, str, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def test_a_token_made_by_the_service_lists_programmes_over_http(live_server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    for name in ("Digital fluency", "Rising leaders", "Data literacy"):
        ProgrammeFactory(name=name, state=ProgrammeState.ENROLLING, managers=[cast.programme_manager])
    user = cast.programme_manager
    _, raw = issue_token(actor=user, user=user, name="curl", scopes=["programmes:read"], kind="personal")
    base = f"{live_server.url}/api/v1/programmes"

    status, media_type, first = get(f"{base}?limit=2", raw)
    assert status == 200 and media_type.startswith("application/json")
    assert len(first["items"]) == 2 and first["next_cursor"]
    status, _, second = get(f"{base}?limit=2&cursor={first['next_cursor']}", raw)
    assert status == 200 and second["next_cursor"] is None
    names = [item["name"] for item in first["items"] + second["items"]]
    assert sorted(names) == ["Data literacy", "Digital fluency", "Rising leaders"]

    status, media_type, problem = get(base)
    assert (status, media_type) == (401, "application/problem+json")
    assert problem["status"] == 401 and problem["title"] and problem["detail"]
    status, _, problem = get(f"{base}?limit=0", raw)
    assert status == 422 and "limit" in problem["detail"]
    status, _, problem = get(f"{base}?cursor=not-one-of-ours", raw)
    assert status == 400 and problem["type"].endswith("invalid_cursor")


def test_the_schema_and_the_docs_are_served_without_a_network(live_server) -> None:  # type: ignore[no-untyped-def]
    with urllib.request.urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=30) as response:
        schema = json.loads(response.read())
    assert schema["openapi"].startswith("3.")
    for methods in schema["paths"].values():
        for operation in methods.values():
            declared = operation["responses"]
            assert {"400", "401", "403", "404", "409", "422"} <= set(declared), operation["operationId"]
            assert list(declared["403"]["content"]) == ["application/problem+json"]
    with urllib.request.urlopen(f"{live_server.url}/api/v1/docs", timeout=30) as response:
        page = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    # The docs page alone lets Swagger draw its icons from data: addresses (its view's csp_update).
    assert "data:" in policy.partition("img-src")[2].partition(";")[0]
    # Swagger UI comes from ninja's own static files, never from a CDN.
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()


# --- schemathesis, every operation, several roles --------------------------------------------------

ROLES_FUZZED = ("admin", "pm", "junior", "executive")
EXAMPLES_PER_OPERATION = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _scene_ids(scene: Scene) -> dict[str, int]:
    ids = scene.ids
    return {
        "programme_id": ids["programme"],
        "person_id": ids["ana"],
        "relationship_id": ids["pair"],
        "run_id": ids["run"],
        "proposal_id": ids["run_proposal"],
        "enrolment_id": ids["invitation"],
        "action_id": ids["advocacy_action"],
    }


@pytest.mark.parametrize("role", ROLES_FUZZED)
def test_every_operation_answers_within_its_schema(live_server, scene: Scene, role: str) -> None:  # type: ignore[no-untyped-def]
    """Schemathesis sends generated requests (a few per operation) for every operation, as this role
    with a token holding every scope: no 5xx, and every answer as the schema declares it — status,
    media type, headers and body. Most cases aim at the scene's real objects, so that the
    operations get past "no such id"; some send what the schema forbids (they must be refused with a
    declared 4xx)."""
    user = scene.users[role]
    assert user is not None
    every_scope = [name for name in SCOPES if name not in SERVICE_ONLY_SCOPES]
    _, raw = issue_token(actor=user, user=user, name="schemathesis", scopes=every_scope, kind="personal")
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {raw}"}
    real = _scene_ids(scene)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:
        names = {parameter.name for parameter in operation.path_parameters}
        fixed = {name: real[name] for name in names}
        strategy = st.one_of(
            operation.as_strategy(headers=headers),
            operation.as_strategy(headers=headers, path_parameters=fixed),
            operation.as_strategy(GenerationMode.NEGATIVE, headers=headers, path_parameters=fixed),
        )

        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @given(case=strategy)
        def check(case: Any) -> None:
            case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)

        check()
