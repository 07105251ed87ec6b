"""Hole 12: an id the viewer may not see answers exactly like an id that does not exist.

A 403 for someone else's relationship and a 404 for a missing one told anyone which relationships,
programmes, match runs, meetings, enrolments and concerns exist. Every route with an id in its path is
requested twice by people who may not see the object: once with the existing id, once with an id
nobody has. Status, templates, page and the number of database queries (what the view does, so what
its timing depends on) must be the same. A new route with an id fails here until it is listed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from tests.api.test_api_matrix import body_for, operations
from tests.conftest import Cast
from tests.factories import MeetingFactory, ProgrammeFactory, SkillFactory, UserFactory
from tests.people.test_views import signed_in
from tests.relationships.pairing import MENTEE, enrol, pair_up
from twofold.accounts.models import User
from twofold.accounts.tokens import issue_token
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal
from twofold.people.models import ImportJob
from twofold.programmes.models import MatchingMode, ProgrammeState
from twofold.relationships.models import AdvocacyAction, Concern
from twofold.webhooks.models import Subscription

MISSING = 987_654_321
# More digits than any database's integer holds: the path's int converter takes it all the same.
TOO_LARGE = 10**25


def _ids_in(pattern: URLPattern | URLResolver) -> set[str]:
    converters = getattr(pattern.pattern, "converters", {})
    return {name for name, kind in converters.items() if isinstance(kind, IntConverter)}


def routes_with_ids(
    patterns: list[Any] | None = None, prefix: str = "", inherited: frozenset[str] = frozenset()
) -> dict[str, set[str]]:
    """Every named route of the project (the admin aside) with the names of its integer path
    parameters, those of the includes it sits in counted."""
    found: dict[str, set[str]] = {}
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            found |= routes_with_ids(pattern.url_patterns, namespace, inherited | _ids_in(pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            ids = (inherited | _ids_in(pattern)) - set(pattern.default_args)
            if ids:
                found[f"{prefix}{pattern.name}"] = ids
    return found


@dataclass
class Scene:
    """One of everything, none of it visible to the viewers below."""

    ids: dict[str, dict[str, int]]  # route name -> the path ids of an object that exists
    viewers: dict[str, list[User]]  # route name -> who may not see that object
    body_ids: dict[str, int]  # what the API's bodies name (tests.api.test_api_matrix.body_for)
    # route name -> path parameters that are not ids (the same for the existing and the missing object)
    fixed: dict[str, dict[str, str]] = field(default_factory=dict)

    def kwargs(self, name: str, *, missing: bool = False, unknown_id: int = MISSING) -> dict[str, Any]:
        ids: dict[str, Any] = dict.fromkeys(self.ids[name], unknown_id) if missing else dict(self.ids[name])
        return ids | self.fixed.get(name, {})


@pytest.fixture
def scene(cast: Cast) -> Scene:
    other_manager = UserFactory(username="pm2", is_programme_manager=True)
    ProgrammeFactory(name="Someone else's", managers=[other_manager])
    programme = ProgrammeFactory(
        name="Rising leaders", sponsorship=True, state=ProgrammeState.RUNNING, managers=[cast.programme_manager]
    )
    draft = ProgrammeFactory(name="Not open yet", state=ProgrammeState.DRAFT, managers=[cast.programme_manager])
    relationship = pair_up(programme, cast.vp_sales, cast.ana)
    meeting = MeetingFactory(relationship=relationship)
    action = AdvocacyAction.objects.create(
        relationship=relationship, kind="introduction", happened_on=meeting.starts_at.date(), description="Board"
    )
    concern = Concern.objects.create(relationship=relationship, raised_by=cast.ana, text="Worried")
    run = MatchRun.objects.create(programme=programme, status=MatchRunStatus.READY)
    application = enrol(draft, cast.ana, MENTEE)
    pool_member = enrol(programme, cast.ben, MENTEE)
    proposal = Proposal.objects.create(run=run, mentor=relationship.mentor_enrolment, mentee=pool_member)
    # Participant choice: Vera chooses her mentor; nobody else has this page.
    choosing = ProgrammeFactory(
        name="Choose your mentor",
        state=ProgrammeState.MATCHING,
        matching_mode=MatchingMode.PARTICIPANT_CHOICE,
        managers=[cast.programme_manager],
    )
    enrol(choosing, cast.vp_sales, MENTEE)
    webhook = Subscription.objects.create(name="HR", url="https://hooks.example.org/hr", secret="whsec_x")
    import_job = ImportJob.objects.create(
        actor=cast.admin, file_path="hris.csv", file_name="hris.csv", preset="generic"
    )
    token, _ = issue_token(
        actor=cast.ana_user, user=cast.ana_user, name="script", scopes=["people:read"], kind="personal"
    )

    programme_ids = {"pk": programme.pk}
    relationship_ids = {"pk": relationship.pk}
    outsiders = [cast.ben_user, other_manager, cast.outsider]
    ids: dict[str, dict[str, int]] = {
        "people:person": {"pk": cast.ana.pk},
        # Import jobs: for those who may import; everyone else is refused before the id is looked up.
        "people:import_job": {"pk": import_job.pk},
        "people:import_job_retry": {"pk": import_job.pk},
        "programmes:apply": {"pk": draft.pk},
        "programmes:decline_invitation": {"pk": application.pk},
        "programmes:withdraw": {"pk": application.pk},
        "programmes:approve": {"pk": application.pk},
        "relationships:meeting_edit": {**relationship_ids, "meeting_id": meeting.pk},
        "relationships:advocacy_outcome": {**relationship_ids, "action_id": action.pk},
        "relationships:programme_health": programme_ids,
        "relationships:concern_handle": {"pk": concern.pk},
        "insights:programme": programme_ids,
        "insights:report": programme_ids,
        "insights:programme_refresh": programme_ids,
        # The pairs list and its actions: for the programme's managers; a pair of another programme
        # answers like an unknown one too.
        "relationships:pairs": programme_ids,
        "relationships:pairs_csv": programme_ids,
        "relationships:pair": {"pk": programme.pk, "pair_id": relationship.pk},
        "relationships:pair_end": {"pk": programme.pk, "pair_id": relationship.pk},
        "relationships:pair_extend": {"pk": programme.pk, "pair_id": relationship.pk},
        "relationships:pair_nudge": {"pk": programme.pk, "pair_id": relationship.pk},
        "relationships:pick_partner": {"pk": programme.pk, "enrolment_id": pool_member.pk},
        "insights:table": programme_ids,
        # Data-subject exports: org admins only; everyone else gets the unknown id's answer.
        "dataprotection:person_export_json": {"pk": cast.ana.pk},
        "dataprotection:person_export_html": {"pk": cast.ana.pk},
        # Webhooks: org admins only.
        "webhooks:detail": {"pk": webhook.pk},
        "webhooks:test": {"pk": webhook.pk},
        "webhooks:active": {"pk": webhook.pk},
        "webhooks:edit": {"pk": webhook.pk},
        "webhooks:rotate": {"pk": webhook.pk},
        "webhooks:resend": {"pk": webhook.pk},
        "token_revoke": {"pk": token.pk},
        "choice:partners": {"pk": choosing.pk},
    }
    viewers: dict[str, list[User]] = {
        # Everyone signed in with a role reads the directory; only who may not is asked here.
        "people:person": [cast.outsider],
        "programmes:apply": [*outsiders, cast.vp_tech_user, cast.executive],
        # Victor and the CEO are above Ana but not her line manager: her application is not theirs.
        "programmes:approve": [*outsiders, cast.vp_sales_user, cast.vp_tech_user, cast.executive],
        "relationships:concern_handle": [*outsiders, cast.executive],
        "relationships:programme_health": [*outsiders, cast.executive, cast.ana_user],
        # Executives and org admins see every programme's evidence; its own manager sees it too.
        "insights:programme": [*outsiders, cast.ana_user, cast.vp_tech_user],
        "insights:report": [*outsiders, cast.ana_user, cast.vp_tech_user],
        "insights:programme_refresh": [*outsiders, cast.ana_user, cast.vp_tech_user],
        **{
            name: [*outsiders, cast.executive, cast.ana_user, cast.vp_sales_user]
            for name in (
                "relationships:pairs",
                "relationships:pairs_csv",
                "relationships:pair",
                "relationships:pair_end",
                "relationships:pair_extend",
                "relationships:pair_nudge",
                "relationships:pick_partner",
            )
        },
        "insights:table": [*outsiders, cast.ana_user, cast.vp_tech_user],
        # Choosing a partner: the mentee's own page; the programme's manager has none either.
        "choice:partners": [*outsiders, cast.ana_user, cast.vp_tech_user, cast.executive, cast.programme_manager],
        "token_revoke": [*outsiders, cast.vp_sales_user, cast.executive, cast.programme_manager],
        # The API (through the session): the same objects, the same people who may not see them.
        "api:people_read": [cast.outsider],
        "api:people_set_manager": [cast.outsider],
        "api:people_set_skills": [cast.outsider],
        "api:enrolments_approve": [*outsiders, cast.vp_sales_user, cast.vp_tech_user, cast.executive],
        "api:enrolments_withdraw": [*outsiders, cast.vp_tech_user, cast.executive],
    }
    api_ids = {
        "programme_id": programme.pk,
        "run_id": run.pk,
        "proposal_id": proposal.pk,
        "relationship_id": relationship.pk,
        "person_id": cast.ana.pk,
        "enrolment_id": application.pk,
        "action_id": action.pk,
    }
    for name, params in routes_with_ids().items():
        if name == "api:enrolments_apply":  # as programmes:apply: a programme not open to them
            ids[name] = {"programme_id": draft.pk}
            viewers[name] = viewers["programmes:apply"]
        elif name.startswith("api:"):
            ids[name] = {param: api_ids[param] for param in params}
            if "programme_id" in params:
                viewers.setdefault(name, [*outsiders, cast.executive, cast.ana_user])
        if name.startswith(("programmes:", "matchruns:")) and name not in ids:
            ids[name] = {"pk": programme.pk, "run_id": run.pk} if "run_id" in params else programme_ids
            viewers.setdefault(name, [*outsiders, cast.executive, cast.ana_user])
        elif name.startswith("relationships:") and name not in ids:
            ids[name] = relationship_ids
        viewers.setdefault(name, [*outsiders, cast.vp_tech_user, cast.executive, cast.programme_manager])
    body_ids = {"eve": cast.ben.pk, "skill": SkillFactory().pk, "future": programme.pk, "run_proposal": proposal.pk}
    return Scene(
        ids=ids,
        viewers=viewers,
        body_ids=body_ids,
        fixed={
            "programmes:email": {"kind": "invitation"},
            "insights:report": {"fmt": "pdf"},
            "insights:table": {"slug": "careers-outcomes", "fmt": "csv"},
            "webhooks:resend": {"delivery_id": "0b7e3f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
        },
    )


def test_every_route_with_an_id_is_covered(scene: Scene) -> None:
    for name, params in routes_with_ids().items():
        assert name in scene.ids, f"{name} has an id in its path: add it to the scene of this test"
        assert set(scene.ids[name]) == params, name


CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def answer(
    client: Client, method: str, url: str, body: dict[str, Any] | None = None
) -> tuple[int, list[str], str, int]:
    with CaptureQueriesContext(connection) as queries:
        if body is None:
            response = getattr(client, method)(url)
        else:  # the API: its own method, with a valid JSON body
            response = client.generic(method.upper(), url, json.dumps(body), content_type="application/json")
    templates = [template.name for template in response.templates]
    return response.status_code, templates, CSRF.sub(r"\1…", response.content.decode()), len(queries)


@pytest.mark.parametrize("name", sorted(routes_with_ids()))
def test_hole_12_an_id_one_may_not_see_answers_like_an_unknown_one(scene: Scene, name: str) -> None:
    existing = reverse(name, kwargs=scene.kwargs(name))
    missing = reverse(name, kwargs=scene.kwargs(name, missing=True))
    methods: list[tuple[str, dict[str, Any] | None]] = [("get", None), ("post", None)]
    if name.startswith("api:"):
        operation = name.removeprefix("api:")
        method, _ = operations()[operation]
        methods = [(method.lower(), body_for(operation, method, scene.body_ids) or {})]
    for viewer in scene.viewers[name]:
        client = signed_in(viewer)
        for method, body in methods:
            seen = answer(client, method, existing, body)
            unknown = answer(client, method, missing, body)
            assert seen[0] in (403, 404, 405), (name, viewer.username, method, seen[0])
            assert seen == unknown, (name, viewer.username, method)


@pytest.mark.parametrize("name", sorted(routes_with_ids()))
def test_an_id_too_large_for_any_column_answers_like_an_unknown_one(cast: Cast, scene: Scene, name: str) -> None:
    """An id of 25 digits is refused as an unknown id is, by those who may see everything of its
    kind too (an org admin, the programme manager, one of a pair): the kept reads bind their values
    themselves, and no database's integer holds it."""
    missing = reverse(name, kwargs=scene.kwargs(name, missing=True))
    too_large = reverse(name, kwargs=scene.kwargs(name, missing=True, unknown_id=TOO_LARGE))
    methods: list[tuple[str, dict[str, Any] | None]] = [("get", None), ("post", None)]
    if name.startswith("api:"):
        operation = name.removeprefix("api:")
        method, _ = operations()[operation]
        methods = [(method.lower(), body_for(operation, method, scene.body_ids) or {})]
    for viewer in (cast.admin, cast.programme_manager, cast.ana_user):
        client = signed_in(viewer)
        for method, body in methods:
            unknown = answer(client, method, missing, body)
            assert unknown[0] in (400, 403, 404, 405), (name, viewer.username, method, unknown[0])
            assert answer(client, method, too_large, body)[0] == unknown[0], (name, viewer.username, method)


def test_hole_12_people_with_a_person_or_a_role_get_the_404_page_not_a_403(cast: Cast, scene: Scene) -> None:
    """Those with a person and a role get the 404 (not a 403 that an unknown id would never get)."""
    pages = [
        ("relationships:detail", cast.vp_tech_user),
        ("programmes:detail", cast.ben_user),
        ("matchruns:board", UserFactory(username="pm3", is_programme_manager=True)),
        ("relationships:programme_health", cast.ben_user),
        ("people:person", cast.outsider),
    ]
    for name, viewer in pages:
        response = signed_in(viewer).get(reverse(name, kwargs=scene.kwargs(name)))
        assert response.status_code == 404, name
        assert "There is nothing at this address." in response.content.decode()
