"""Every route × every role, against a declared table.

Each URL pattern of the project (the Django admin aside) is requested by each role of the cast: GET,
and for routes that change state a POST with a valid form too. The status each one gets must be the
one written in :data:`TABLE_TEXT`; when a POST is refused (a 4xx, or the anonymous visitor sent to
sign in), nothing in the database may have changed. A route without a row in the table fails the
suite with its name: a new page is not finished until someone has said who may use it.

Path parameters are filled with real objects of one scene (:func:`tests.route_scene.scene`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.route_scene import ROUTES, Scene
from twofold.accounts.models import User
from twofold.api.api import api

# The roles, in the order of the columns of TABLE.
ROLES = (
    "anonymous",  # not signed in
    "employee",  # Eve: in the directory, in no pair, manages nobody
    "junior",  # Ana: one of the pair (the reverse mentor, the protégé)
    "senior",  # Vera: the other of the pair (the mentee, the sponsor)
    "other_pair",  # Ben: in another pair, in another programme
    "line_manager",  # Lena: Ana's manager
    "other_pm",  # a programme manager of another programme only
    "pm",  # the programme manager of the pair's programmes
    "executive",  # the chief executive: aggregates only
    "admin",  # an org admin
)

# One row per route: the status each role gets for GET, then for POST with a valid form ("-": the
# route changes nothing, and is asked GET only). Columns in the order of ROLES:
#   ano anonymous · emp employee · jun/sen the pair · oth another pair · lnm Ana's line manager
#   opm manager of another programme · pm manager of this one · exe executive · adm org admin
# Codes: 200 page · 302 done, or anonymous sent to sign in · 400 the form or a rule refused it ·
#   403 not for this role · 404 not theirs to know about (as for an unknown id), or a feature not
#   configured (sso:*, single sign-on; tests/sso covers it switched on) · 405 wrong method
TABLE_TEXT = """
route                           ano emp jun sen oth lnm opm  pm exe adm | ano emp jun sen oth lnm opm  pm exe adm
account                         302 200 200 200 200 200 200 200 200 200 | -
api:api-root                    404 404 404 404 404 404 404 404 404 404 | -
api:openapi-json                200 200 200 200 200 200 200 200 200 200 | -
api:openapi-view                200 200 200 200 200 200 200 200 200 200 | -
audit:log                       302 403 403 403 403 403 403 403 403 200 | -
choice:partners                 302 404 404 200 404 404 404 404 404 404 | 302 404 404 302 404 404 404 404 404 404
dataprotection:person_export_html 302 404 404 404 404 404 404 404 404 200 | -
dataprotection:person_export_json 302 404 404 404 404 404 404 404 404 200 | -
dataprotection:requests         302 403 403 403 403 403 403 403 403 200 | -
home                            302 302 302 302 302 302 302 302 302 302 | -
insights:overview               302 403 403 403 403 403 200 200 200 200 | -
insights:programme              302 403 403 403 403 403 404 200 200 200 | -
insights:programme_refresh      302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 404 302 302 302
insights:refresh                302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 302 302 302 302
insights:report                 302 403 403 403 403 403 404 200 200 200 | -
insights:table                  302 403 403 403 403 403 404 200 200 200 | -
login                           200 302 302 302 302 302 302 302 302 302 | -
login_code                      302 302 302 302 302 302 302 302 302 302 | -
logout                          405 405 405 405 405 405 405 405 405 405 | -
matchruns:board                 302 404 404 404 404 404 404 200 404 200 | -
matchruns:change                302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
matchruns:latest                302 404 404 404 404 404 404 200 404 200 | -
matchruns:list                  302 404 404 404 404 404 404 200 404 200 | -
matchruns:publish               302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
matchruns:rerun                 302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
matchruns:start                 302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
overview_moved                  301 301 301 301 301 301 301 301 301 301 | -
password_change                 302 200 200 200 200 200 200 200 200 200 | -
password_reset                  200 200 200 200 200 200 200 200 200 200 | -
password_reset_confirm          200 200 200 200 200 200 200 200 200 200 | -
password_reset_sent             200 200 200 200 200 200 200 200 200 200 | -
people:delegate_choose          302 405 405 405 405 405 405 405 405 405 | 302 302 302 302 302 302 403 403 302 403
people:delegate_remove          302 405 405 405 405 405 405 405 405 405 | 302 302 302 302 302 302 403 403 302 403
people:directory                302 200 200 200 200 200 200 200 200 200 | -
people:import                   302 403 403 403 403 403 403 403 403 200 | 302 403 403 403 403 403 403 403 403 200
people:import_cancel            302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
people:import_confirm           302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
people:import_job               302 403 403 403 403 403 403 403 403 200 | -
people:import_job_retry         302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
people:import_template          302 403 403 403 403 403 403 403 403 200 | -
people:my_self_identification   302 200 200 200 200 200 403 403 200 403 | 302 302 302 302 302 302 403 403 302 403
people:my_self_identification_withdraw 302 405 405 405 405 405 405 405 405 405 | 302 302 302 302 302 302 403 403 302 403
people:my_skills                302 200 200 200 200 200 403 403 200 403 | 302 302 302 302 302 302 403 403 302 403
people:person                   302 200 200 200 200 200 200 200 200 200 | -
service_tokens                  302 403 403 403 403 403 403 403 403 200 | 302 403 403 403 403 403 403 403 403 200
programmes:apply                302 200 200 200 200 200 403 403 200 403 | 302 302 400 400 302 302 403 403 302 403
programmes:approve              302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 302 403 403 404 403
programmes:decline_invitation   302 405 405 405 405 405 405 405 405 405 | 302 302 404 404 404 404 403 403 404 403
programmes:detail               302 404 404 404 404 404 404 200 404 200 | -
programmes:edit                 302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 200 404 200
programmes:enrolments           302 404 404 404 404 404 404 200 404 200 | -
programmes:invite               302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 302 404 302
programmes:add                  302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 302 404 302
programmes:add_file             302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
programmes:emails               302 404 404 404 404 404 404 200 404 200 | -
programmes:email                302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 302 404 302
programmes:copy                 302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 200 404 200
programmes:list                 302 403 403 403 403 403 200 200 403 200 | -
programmes:move                 302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
programmes:new                  302 403 403 403 403 403 200 200 403 200 | 302 403 403 403 403 403 200 200 403 200
programmes:withdraw             302 405 405 405 405 405 405 405 405 405 | 302 302 404 404 404 404 403 403 404 403
relationships:advocacy          302 405 405 405 405 405 405 405 405 405 | 302 404 403 302 404 404 403 403 404 403
relationships:advocacy_outcome  302 405 405 405 405 405 405 405 405 405 | 302 404 403 302 404 404 403 403 404 403
relationships:agreement         302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:agreement_accept  302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:answer            302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:calendar_feed     200 200 200 200 200 200 200 200 200 200 | -
relationships:calendar_rotate   302 405 405 405 405 405 405 405 405 405 | 302 302 302 302 302 302 403 403 302 403
relationships:check_in          302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:complete          302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:concern           302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:concern_handle    302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 404 302 403 302
relationships:concerns          302 403 403 403 403 403 200 200 403 200 | -
relationships:detail            302 404 200 200 404 404 403 403 404 403 | -
relationships:end               302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:withdraw_request  302 405 405 405 405 405 405 405 405 405 | 302 404 404 302 404 404 403 403 404 403
relationships:knowledge         302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:meeting_edit      302 404 200 200 404 404 403 403 404 403 | 302 404 302 302 404 404 403 403 404 403
relationships:meeting_log       302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:meeting_schedule  302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:meetings          302 404 302 302 404 404 403 403 404 403 | -
relationships:mine              302 200 200 200 200 200 403 403 200 403 | -
relationships:nominate          302 405 405 405 405 405 405 405 405 405 | 302 404 403 302 404 404 403 403 404 403
relationships:pair              302 404 404 404 404 404 404 200 404 200 | -
relationships:pair_end          302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
relationships:pair_extend       302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
relationships:pair_nudge        302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
relationships:pairs             302 404 404 404 404 404 404 200 404 200 | -
relationships:pairs_csv         302 404 404 404 404 404 404 200 404 200 | -
relationships:pick_partner      302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 302 404 302
relationships:programme_health  302 404 404 404 404 404 404 200 404 200 | -
scim:group                      401 401 401 401 401 401 401 401 401 401 | -
scim:groups                     401 401 401 401 401 401 401 401 401 401 | -
scim:other                      401 401 401 401 401 401 401 401 401 401 | -
scim:resource_types             401 401 401 401 401 401 401 401 401 401 | -
scim:schemas                    401 401 401 401 401 401 401 401 401 401 | -
scim:service_provider_config    200 200 200 200 200 200 200 200 200 200 | -
scim:user                       401 401 401 401 401 401 401 401 401 401 | -
scim:users                      401 401 401 401 401 401 401 401 401 401 | 401 401 401 401 401 401 401 401 401 401
token_revoke                    405 405 405 405 405 405 405 405 405 405 | 302 404 302 404 404 404 404 404 404 302
tokens                          302 200 200 200 200 200 200 200 200 200 | 302 200 200 200 200 200 200 200 200 200
sso:callback                    404 404 404 404 404 404 404 404 404 404 | -
sso:start                       404 404 404 404 404 404 404 404 404 404 | -
two_step                        302 403 403 403 403 403 403 403 403 200 | -
two_step_remove                 405 405 405 405 405 405 405 405 405 405 | -
webhooks:active                 302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
webhooks:detail                 302 403 403 403 403 403 403 403 403 200 | -
webhooks:edit                   302 403 403 403 403 403 403 403 403 200 | 302 403 403 403 403 403 403 403 403 302
webhooks:list                   302 403 403 403 403 403 403 403 403 200 | -
webhooks:new                    302 403 403 403 403 403 403 403 403 200 | 302 403 403 403 403 403 403 403 403 201
webhooks:resend                 302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
webhooks:rotate                 302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 200
webhooks:test                   302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
"""


def _parse(text: str) -> dict[str, tuple[list[int], list[int] | None]]:
    rows: dict[str, tuple[list[int], list[int] | None]] = {}
    for line in text.strip().splitlines()[1:]:
        left, right = (part.split() for part in line.split("|"))
        name, get = left[0], [int(code) for code in left[1:]]
        post = None if right == ["-"] else [int(code) for code in right]
        assert name not in rows, f"two rows for {name}"
        assert len(get) == len(ROLES) and (post is None or len(post) == len(ROLES)), f"{name}: one code per role"
        rows[name] = (get, post)
    return rows


TABLE = _parse(TABLE_TEXT)


# --- asking --------------------------------------------------------------------------------------

# Everything a request could change, compared row by row before and after a refused POST.
WATCHED = (
    "accounts.AccessToken",
    "people.Person",
    "people.PersonSkill",
    "programmes.Programme",
    "programmes.Enrolment",
    "programmes.ProgrammeEmail",
    "relationships.Relationship",
    "relationships.PairEvent",
    "relationships.Agreement",
    "relationships.Meeting",
    "relationships.PrivateNote",
    "relationships.KnowledgeTransfer",
    "relationships.AdvocacyAction",
    "relationships.CheckIn",
    "relationships.Concern",
    "relationships.Nomination",
    "relationships.CalendarFeed",
    "matchruns.MatchRun",
    "matchruns.Proposal",
    "webhooks.Subscription",
    "webhooks.Delivery",
)


def state() -> dict[str, list[dict[str, Any]]]:
    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in WATCHED}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def ask(client: Client, method: Callable[..., Any], url: str, data: dict[str, Any] | None = None) -> int:
    """The status of one request, its changes undone afterwards."""
    with transaction.atomic():
        response = method(url, data) if data is not None else method(url)
        transaction.set_rollback(True)
    return int(response.status_code)


def refused(status: int) -> bool:
    return status >= 400


# --- the tests -----------------------------------------------------------------------------------


def api_operation_routes() -> set[str]:
    """The API's operations (``api:<operation id>``): declared in the API's own table instead
    (:data:`tests.api.test_api_matrix.API_TABLE`), and called there with each role's token."""
    operation_ids = {
        operation["operationId"]
        for methods in api.get_openapi_schema()["paths"].values()
        for operation in methods.values()
    }
    return {name for name in ROUTES if name.startswith("api:") and name.removeprefix("api:") in operation_ids}


def test_every_route_has_a_row() -> None:
    from tests.api.test_api_matrix import API_TABLE

    undeclared = sorted(name for name in api_operation_routes() if name.removeprefix("api:") not in API_TABLE)
    assert not undeclared, f"API operations without a row in API_TABLE: {', '.join(undeclared)}"
    missing = sorted(set(ROUTES) - set(TABLE) - api_operation_routes())
    assert not missing, f"routes without a row in TABLE (say who may use them): {', '.join(missing)}"
    gone = sorted(set(TABLE) - set(ROUTES))
    assert not gone, f"rows in TABLE for routes that no longer exist: {', '.join(gone)}"


def _mismatches(seen: list[int], expected: list[int]) -> str:
    return ", ".join(
        f"{role} got {got} not {want}" for role, got, want in zip(ROLES, seen, expected, strict=True) if got != want
    )


@pytest.mark.parametrize("name", sorted(set(ROUTES) - api_operation_routes()))
def test_route_answers_each_role_as_declared(scene: Scene, name: str) -> None:
    assert name in TABLE, f"{name} has no row in TABLE_TEXT: say who may use it"
    expected_get, expected_post = TABLE[name]
    if expected_post is not None:
        assert name in scene.posts, f"{name} is asked with POST: give it a valid form in the scene"
    url = reverse(name, kwargs=scene.kwargs.get(name) or None)
    seen_get, seen_post = [], []
    for role in ROLES:
        client = client_for(scene.users[role])
        seen_get.append(ask(client, client.get, url))
        if expected_post is None:
            continue
        with transaction.atomic():
            before = state()
            status = int(client.post(url, scene.posts[name]).status_code)
            after = state()
            transaction.set_rollback(True)
        seen_post.append(status)
        if status >= 400 or role == "anonymous":
            assert after == before, f"{name}: {role}'s POST was refused ({status}), yet the data changed"
    assert seen_get == expected_get, f"GET {name}: {_mismatches(seen_get, expected_get)}"
    if expected_post is not None:
        assert seen_post == expected_post, f"POST {name}: {_mismatches(seen_post, expected_post)}"
