"""Who an API call acts as: a signed-in session (with CSRF for writes) or a live bearer token."""

from __future__ import annotations

import json

from django.test import Client

from tests.conftest import Cast
from twofold.accounts.tokens import issue_token, revoke_token
from twofold.programmes.models import Programme

NEW_PROGRAMME = json.dumps({"name": "Data literacy", "kind": "reverse_mentoring"})


def test_a_session_reads_freely_but_writes_only_with_the_csrf_token(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.programme_manager)
    assert client.get("/api/v1/programmes").status_code == 200

    refused = client.post("/api/v1/programmes", NEW_PROGRAMME, content_type="application/json")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/csrf") and not Programme.objects.exists()

    client.get("/account/")  # any page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    created = client.post("/api/v1/programmes", NEW_PROGRAMME, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert created.status_code == 201 and created.json()["state"] == "draft"
    assert Programme.objects.get().managers.get() == cast.programme_manager


def test_a_bearer_token_needs_no_csrf_and_stops_working_when_revoked(cast: Cast) -> None:
    user = cast.programme_manager
    token, raw = issue_token(actor=user, user=user, name="ci", scopes=["programmes:write"], kind="personal")
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    created = client.post("/api/v1/programmes", NEW_PROGRAMME, content_type="application/json", **auth)
    assert created.status_code == 201
    revoke_token(actor=user, token=token)
    refused = client.get("/api/v1/programmes", **auth)
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")


def test_a_token_acts_as_its_user_whatever_its_scopes(cast: Cast) -> None:
    """Scopes narrow what a token may try; the account's own rights still decide."""
    _, raw = issue_token(
        actor=cast.ana_user, user=cast.ana_user, name="mine", scopes=["programmes:write"], kind="personal"
    )
    refused = Client().post(
        "/api/v1/programmes", NEW_PROGRAMME, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/not_permitted")
    assert not Programme.objects.exists()


def test_rule_refusals_name_the_rule(cast: Cast) -> None:
    user = cast.admin
    _, raw = issue_token(actor=user, user=user, name="ops", scopes=["programmes:write"], kind="personal")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client = Client()
    created = client.post("/api/v1/programmes", NEW_PROGRAMME, content_type="application/json", **auth).json()
    moved = client.post(
        f"/api/v1/programmes/{created['id']}/state", json.dumps({"to_state": "running"}), "application/json", **auth
    )
    assert moved.status_code == 409
    assert moved.json()["type"].endswith("/transition_not_allowed")
    assert "cannot move to running" in moved.json()["detail"]
    invalid = client.patch(
        f"/api/v1/programmes/{created['id']}", json.dumps({"capacity": 0}), "application/json", **auth
    )
    assert invalid.status_code == 422 and invalid["Content-Type"] == "application/problem+json"
