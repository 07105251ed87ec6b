"""A small SCIM client over real HTTP (urllib), for the tests against a live server."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from twofold.accounts.models import User
from twofold.accounts.permissions import CommandLineOperator
from twofold.accounts.tokens import issue_token

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TWOFOLD = "urn:ietf:params:scim:schemas:extension:twofold:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

Answer = tuple[int, Any, dict[str, str]]


def token_for(user: User, *, scopes: list[str] | None = None) -> str:
    """A new service token of ``user`` (by default with the scim scope), as its raw string, issued as
    ``twofold token create`` issues it."""
    _, raw = issue_token(
        actor=CommandLineOperator(), user=user, name="SCIM test", scopes=scopes or ["scim"], kind="service"
    )
    return raw


def new_user(
    user_name: str, employee_number: str, *, level: str = "4", email: str | None = None, name: str = ""
) -> dict[str, Any]:
    given, _, family = (name or "Nia New").partition(" ")
    return {
        "schemas": [CORE, ENTERPRISE, TWOFOLD],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"value": email or user_name, "type": "work", "primary": True}],
        "active": True,
        ENTERPRISE: {"employeeNumber": employee_number},
        TWOFOLD: {"level": level, "highPotential": False},
    }


class Scim:
    def __init__(self, server: str, token: str | None) -> None:
        self.root = f"{server}/scim/v2"
        self.token = token

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, **query: str
    ) -> Answer:
        url = self.root + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        sent = {"Accept": "application/scim+json", **(headers or {})}
        if self.token is not None:
            sent["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/scim+json"
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, raw, answer_headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, answer_headers = error.code, error.read(), dict(error.headers)
        return status, json.loads(raw) if raw else None, answer_headers

    def get(self, path: str, *, if_none_match: str | None = None, **query: str) -> Answer:
        return self.request("GET", path, headers={"If-None-Match": if_none_match} if if_none_match else None, **query)

    def post(self, path: str, body: Any) -> Answer:
        return self.request("POST", path, body)

    def patch(self, path: str, operations: list[dict[str, Any]], *, if_match: str | None = None) -> Answer:
        headers = {"If-Match": if_match} if if_match else None
        return self.request("PATCH", path, {"schemas": [PATCH], "Operations": operations}, headers=headers)

    def delete(self, path: str) -> Answer:
        return self.request("DELETE", path)
