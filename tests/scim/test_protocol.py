"""Twofold's SCIM service answers exactly as scim2-server's own does (twofold/scim/protocol.py skips
a copy and a second validation of what it answers, nothing else)."""

from __future__ import annotations

import json

import pytest
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService

from tests.conftest import Cast
from twofold.scim.protocol import SERVICE, TwofoldService
from twofold.scim.resources import ENTERPRISE_USER, PROVIDER
from twofold.scim.storage import PeopleStorage

pytestmark = pytest.mark.django_db

BASE = "http://testserver/scim/v2"


def answer(service: ScimService, actor: object, path: str, query: dict[str, str] | None = None) -> tuple:
    request = ScimRequest(method="GET", base_url=BASE, path=path, query=query or {}, headers=[], body=b"")
    response = ScimHandler(service, PeopleStorage(actor)).handle(request)
    return int(response.status), json.loads(json.dumps(response.body)), response.headers


@pytest.mark.parametrize(
    "path, query",
    [
        ("/Users", {}),
        ("/Users", {"startIndex": "2", "count": "3"}),
        ("/Users", {"count": "0"}),
        ("/Users", {"startIndex": "500"}),
        ("/Users", {"attributes": "userName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}),
        ("/Users", {"excludedAttributes": "emails,name"}),
        ("/Users", {"filter": 'title co "a"', "sortBy": "userName", "sortOrder": "descending"}),
        ("/Users", {"filter": 'userName eq "nobody@example.org"'}),
        ("/Groups", {}),
        ("/Users/{vp_tech}", {}),
    ],
)
def test_answers_as_scim2_servers_own_service(cast: Cast, path: str, query: dict[str, str]) -> None:
    assert isinstance(SERVICE, TwofoldService)
    path = path.format(vp_tech=cast.vp_tech.pk)
    ours = answer(SERVICE, cast.admin, path, query)
    theirs = answer(ScimService(PROVIDER), cast.admin, path, query)
    assert ours[0] == 200
    assert ours == theirs


def test_a_page_names_each_manager_by_url(cast: Cast) -> None:
    status, body, _ = answer(SERVICE, cast.admin, "/Users", {"count": "200"})
    assert status == 200
    by_id = {resource["id"]: resource for resource in body["Resources"]}
    lead = by_id[str(cast.lead_tech.pk)]
    assert lead[ENTERPRISE_USER]["manager"] == {
        "value": str(cast.vp_tech.pk),
        "$ref": f"{BASE}/Users/{cast.vp_tech.pk}",
    }
    assert lead["meta"]["location"] == f"{BASE}/Users/{cast.lead_tech.pk}"
